-- 0013: lots, the batches of material an operation made or consumed, for the recall trace.

-- operation_lots are the lots of operations: the lot an operation of a batch step (a dye bath)
-- made, whose material is '', and the lot of each material an operation consumed, recorded
-- when it started or afterwards (a correction replaces the row).
CREATE TABLE operation_lots (
    operation   INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    material    TEXT NOT NULL,
    lot         TEXT NOT NULL,
    made        INTEGER NOT NULL CHECK (made IN (0, 1)),
    recorded_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    PRIMARY KEY (operation, material),
    CHECK ((made = 1) = (material = ''))
) WITHOUT ROWID;
-- The trace of a lot reads it by lot id; a made lot's id is the studio's alone.
CREATE INDEX operation_lots_lot ON operation_lots (lot, operation);
CREATE UNIQUE INDEX operation_lots_made ON operation_lots (lot) WHERE made = 1;

-- lot_sequence is the studio's lot sequence, the {seq} of made lots' ids: the last number
-- taken.
CREATE TABLE lot_sequence (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
