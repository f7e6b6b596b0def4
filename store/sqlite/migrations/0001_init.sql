-- 0001: the order book.
--
-- Times are INTEGER unix microseconds UTC, durations INTEGER nanoseconds. Strings that may be
-- empty are stored as '' (NOT NULL), except where an index should leave empty values out: there
-- they are NULL.
--
-- Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED): the store inserts in
-- multi-row statements that roll the whole transaction back when they break a constraint, and a
-- key checked at once would make SQLite journal every such statement to undo it alone.

-- orders are the pre-orders as imported; order_id is the idempotency key of batch imports.
CREATE TABLE orders (
    order_id  TEXT PRIMARY KEY,
    drop_id   TEXT NOT NULL,
    sku       TEXT NOT NULL,
    quantity  INTEGER NOT NULL,
    customer  TEXT NOT NULL,
    priority  INTEGER NOT NULL,
    due       INTEGER NOT NULL,
    notes     TEXT NOT NULL,
    hash      TEXT NOT NULL,
    intake_at INTEGER NOT NULL,
    batch     TEXT NOT NULL
);

-- drop_units sums orders.quantity per drop and SKU. The store adds to it with every order it
-- inserts (orders are never updated or deleted), so that DropUnits does not scan a drop's orders.
CREATE TABLE drop_units (
    drop_id TEXT NOT NULL,
    sku     TEXT NOT NULL,
    units   INTEGER NOT NULL,
    PRIMARY KEY (drop_id, sku)
) WITHOUT ROWID;

CREATE TABLE work_orders (
    id           INTEGER PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
    drop_id      TEXT NOT NULL,
    sku          TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    priority     INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    state        TEXT NOT NULL,
    intake_at    INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX work_orders_order ON work_orders (order_id);
-- every index ends with the rowid (id), which serves paging by id
CREATE INDEX work_orders_drop ON work_orders (drop_id);
CREATE INDEX work_orders_drop_state ON work_orders (drop_id, state);
CREATE INDEX work_orders_state ON work_orders (state);

CREATE TABLE operations (
    id               INTEGER PRIMARY KEY,
    work_order       INTEGER NOT NULL REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    seq              INTEGER NOT NULL,
    name             TEXT NOT NULL,
    capability       TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    unit_time_ns     INTEGER NOT NULL,
    setup_ns         INTEGER NOT NULL,
    changeover_attr  TEXT NOT NULL,
    changeover_value TEXT NOT NULL,
    state            TEXT NOT NULL,
    cell             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    scrapped         INTEGER NOT NULL,
    queued_at        INTEGER,
    started_at       INTEGER,
    ended_at         INTEGER,
    version          INTEGER NOT NULL,
    -- copies of the work order's due and priority, kept equal by the store, so that queues
    -- are read in index order without a join or a sort
    due              INTEGER NOT NULL,
    priority         INTEGER NOT NULL,
    -- the first sort key of a cell's queue: what runs now, then what is paused, then what is
    -- queued; NULL for operations in no queue, which the partial index below leaves out
    queue_rank       INTEGER GENERATED ALWAYS AS (
        CASE state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 WHEN 'queued' THEN 2 END
    ) VIRTUAL,
    UNIQUE (work_order, seq)
);
-- Queue and CellLoads: only operations in a queue, in queue order.
CREATE INDEX operations_queue ON operations (cell, queue_rank, due, priority DESC, work_order, seq)
    WHERE queue_rank IS NOT NULL;
-- ReadyOperations
CREATE INDEX operations_ready ON operations (due, priority DESC, work_order, seq)
    WHERE state = 'ready';

-- state_counts holds the number of work orders and operations per state, kept by the store
-- with every insert and state change, so that Counts does not scan the history.
CREATE TABLE state_counts (
    entity TEXT NOT NULL, -- 'work_order' or 'operation'
    state  TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (entity, state)
) WITHOUT ROWID;

-- events is the append-only audit trail. AUTOINCREMENT: an id is never used twice. The store
-- hands out ids itself, after the larger of sqlite_sequence and max(id); SQLite raises the
-- sequence to the ids inserted.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    cell       TEXT,    -- NULL when none
    drop_id    TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    work_order INTEGER, -- NULL when none
    operation  INTEGER, -- NULL when none
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    batch      TEXT NOT NULL
);
CREATE INDEX events_work_order ON events (work_order) WHERE work_order IS NOT NULL;
CREATE INDEX events_operation ON events (operation) WHERE operation IS NOT NULL;
CREATE INDEX events_cell ON events (cell) WHERE cell IS NOT NULL;
-- Completions
CREATE INDEX events_completed ON events (work_order, at) WHERE kind = 'workorder.completed';

CREATE TABLE idempotency (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

-- sessions are the API's sign-in sessions, by the hash of their token.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person     TEXT NOT NULL,
    role       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
