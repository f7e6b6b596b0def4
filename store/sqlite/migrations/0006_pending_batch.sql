-- 0006: a large batch import is written in several short transactions, so that the floor's
-- writes go between them, and becomes visible in one small last one (see the store's
-- batch.go). While a batch is being written its row is here, and every read leaves out the
-- rows at or after its marks: the batch's orders, work orders and operations, which take the
-- largest rowids and ids (nothing else inserts them meanwhile), and the events from
-- event_first on (the ids set aside for the batch's events, then any the floor appended
-- after the gap before them filled). The transaction that makes the batch visible deletes the
-- row; a batch left here by a crash or a failure is deleted, rows and all, before the next.
CREATE TABLE pending_batch (
    one         INTEGER PRIMARY KEY CHECK (one = 1), -- one batch at a time
    batch       TEXT NOT NULL,
    order_rowid INTEGER NOT NULL, -- the first rowid of the batch's orders
    work_order  INTEGER NOT NULL, -- the first id of its work orders
    operation   INTEGER NOT NULL, -- the first id of its operations
    event_floor INTEGER NOT NULL, -- the first id the floor's events take meanwhile
    event_first INTEGER NOT NULL, -- the ids set aside for the batch's events: from here
    event_end   INTEGER NOT NULL  -- to here, excluded
);
