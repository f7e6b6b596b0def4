-- 0004: what the floor owes and holds, so that it outlives the process.

-- cells_down are the cells out of service and why (a machine fault, a lost connection, a fault
-- a person reported), until their controller brings them back.
CREATE TABLE cells_down (
    cell   TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    actor  TEXT NOT NULL,
    since  INTEGER NOT NULL
) WITHOUT ROWID;

-- cell_reports are the faults people reported at cells, held until the cell is reset.
CREATE TABLE cell_reports (
    cell        TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    at          INTEGER NOT NULL
) WITHOUT ROWID;

-- fault_paused are the operations that taking their cell down paused: they resume when the
-- cell comes back, unless a person acts on them first.
CREATE TABLE fault_paused (
    operation INTEGER PRIMARY KEY REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    cell      TEXT NOT NULL
);
CREATE INDEX fault_paused_cell ON fault_paused (cell);

-- owed_labels are the unit labels a cell's label printer owes: written in the transaction that
-- finished the unit (or asked for a reprint), deleted once the printer confirmed the label.
-- AUTOINCREMENT: an id is never used twice, so a label deleted as printed is never taken for
-- another.
CREATE TABLE owed_labels (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    cell      TEXT NOT NULL,
    operation INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    unit      INTEGER NOT NULL, -- 1-based
    reprint   INTEGER NOT NULL, -- 1 for a reprint asked for
    owed_at   INTEGER NOT NULL
);
CREATE INDEX owed_labels_cell ON owed_labels (cell, id);

-- cursors are positions in the event log that followers of it (the ticket printer) have
-- handled: a follower resumes after its cursor.
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    after INTEGER NOT NULL
) WITHOUT ROWID;
