-- 0017: quality checks and non-conformances.

-- step is the routing step an operation follows: its seq until a rework operation is added
-- before it. rework_of is the operation whose failed check a rework operation redoes.
ALTER TABLE operations ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN rework_of INTEGER;
UPDATE operations SET step = seq;

-- checks are the quality checks recorded at the completion of operations, one row a check;
-- outcomes is the JSON list of the items judged against the step's checklist.
CREATE TABLE checks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    operation  INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    work_order INTEGER NOT NULL,
    cell       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    step       INTEGER NOT NULL,
    units      INTEGER NOT NULL,
    outcomes   TEXT NOT NULL,
    passed     INTEGER NOT NULL,
    by_actor   TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX checks_operation ON checks (operation, id);
CREATE INDEX checks_work_order ON checks (work_order, id);

-- nonconformances are the failed checks, open until a person decides them. One a check.
CREATE TABLE nonconformances (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id   INTEGER NOT NULL UNIQUE REFERENCES checks (id) DEFERRABLE INITIALLY DEFERRED,
    operation  INTEGER NOT NULL,
    work_order INTEGER NOT NULL,
    cell       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    failed     TEXT NOT NULL, -- JSON list of the names of the items that failed
    state      TEXT NOT NULL,
    opened_at  INTEGER NOT NULL,
    opened_by  TEXT NOT NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at INTEGER,
    note       TEXT NOT NULL DEFAULT '',
    rework     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX nonconformances_state ON nonconformances (state, id);
CREATE INDEX nonconformances_cell ON nonconformances (cell, id);
CREATE INDEX nonconformances_operation ON nonconformances (operation, id);
