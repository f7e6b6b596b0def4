-- 0016: stops, the intervals a cell did not make good product, and their reasons.

-- stops are opened and closed by the book from what the cells' controllers see (book.TrackStop);
-- a person gives a reason afterwards (book.GiveStopReason). start_at and end_at are unix
-- microseconds as the store's other times; end_at is NULL while the stop lasts. reason is ''
-- while none is given; reason_by and reason_at name who gave it and when (reason_at NULL before).
CREATE TABLE stops (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    cell      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    operation INTEGER,          -- NULL when the stop holds up none
    detail    TEXT NOT NULL,
    start_at  INTEGER NOT NULL,
    end_at    INTEGER,          -- NULL while the stop lasts
    reason    TEXT NOT NULL,
    reason_by TEXT NOT NULL,
    reason_at INTEGER,
    auto      INTEGER NOT NULL  -- 1 when the reason came with the condition
);
-- A cell's stops by time, for the reports and the tablet's question.
CREATE INDEX stops_cell_start ON stops (cell, start_at);
-- Every cell's stops by time, for the manager's list and OEE over all cells.
CREATE INDEX stops_start ON stops (start_at);
-- The ended stops by end: those that overlap a window (with the open ones), those awaiting a
-- reason.
CREATE INDEX stops_end ON stops (end_at) WHERE end_at IS NOT NULL;
CREATE INDEX stops_cell_end ON stops (cell, end_at) WHERE end_at IS NOT NULL;
-- One open stop per cell at most: it is also how the open stop is found.
CREATE UNIQUE INDEX stops_open ON stops (cell) WHERE end_at IS NULL;
