-- 0014: repairs and care plans.

-- repairs are the repair orders. Their diagnosis and work orders are orders of no drop
-- (order_id the repair's id, and the repair's id and "-W"). The checklist, the customer's
-- photos, the diagnosis, the estimate and the decision are JSON documents the book writes
-- whole; expires_at copies the estimate's, so that the derived state expired is read in SQL.
-- link_hash is the SHA-256 of the customer's link, never the link.
CREATE TABLE repairs (
    id                   TEXT PRIMARY KEY,
    seq                  INTEGER NOT NULL UNIQUE,
    serial               TEXT NOT NULL,
    item                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    customer             TEXT NOT NULL,
    contact              TEXT NOT NULL,
    description          TEXT NOT NULL,
    source               TEXT NOT NULL CHECK (source IN ('counter', 'public')),
    state                TEXT NOT NULL CHECK (state IN ('requested', 'received', 'estimated', 'approved', 'declined', 'expired', 'returned')),
    intake_at            INTEGER NOT NULL,
    received_at          INTEGER,
    expires_at           INTEGER,
    returned_at          INTEGER,
    diagnosis_work_order INTEGER REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    work_order           INTEGER REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    link_hash            TEXT NOT NULL UNIQUE,
    checklist            TEXT NOT NULL,
    photos               TEXT NOT NULL,
    diagnosis            TEXT,
    estimate             TEXT,
    decision             TEXT,
    CHECK ((serial = '') <> (item = ''))
);
CREATE INDEX repairs_serial ON repairs (serial, seq) WHERE serial <> '';
CREATE INDEX repairs_state ON repairs (state, seq);
CREATE INDEX repairs_customer ON repairs (customer, seq);

-- repair_sequence is the studio's repair sequence, the number of repair ids: the last taken.
CREATE TABLE repair_sequence (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);

-- care_plan_holdings are the care plans units (by serial) or customers (by exact name) hold.
CREATE TABLE care_plan_holdings (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    plan     TEXT NOT NULL,
    serial   TEXT NOT NULL,
    customer TEXT NOT NULL,
    start    INTEGER NOT NULL,
    end      INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    CHECK ((serial = '') <> (customer = ''))
);
CREATE INDEX care_plan_holdings_serial ON care_plan_holdings (serial) WHERE serial <> '';
CREATE INDEX care_plan_holdings_customer ON care_plan_holdings (customer) WHERE customer <> '';

-- care_plan_uses are the entitlements estimates reserved: one per holding, repair and
-- service. released_at is set when the estimate is declined or expires.
CREATE TABLE care_plan_uses (
    holding     INTEGER NOT NULL REFERENCES care_plan_holdings (id) DEFERRABLE INITIALLY DEFERRED,
    repair      TEXT NOT NULL REFERENCES repairs (id) DEFERRABLE INITIALLY DEFERRED,
    service     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    released_at INTEGER,
    PRIMARY KEY (holding, repair, service)
) WITHOUT ROWID;
CREATE INDEX care_plan_uses_repair ON care_plan_uses (repair);
