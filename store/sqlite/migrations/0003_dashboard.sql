-- 0003: the reads of the manager dashboard.

-- Events of some kinds since a time (EventFilter.Kinds and Since): kind IN (...) AND at >= ?
-- reads one range of this index per kind.
CREATE INDEX events_kind_at ON events (kind, at);

-- FinishedOperations: the operations that ended since a time, in the order it returns them
-- (ended_at, then the rowid id). Operations that have not ended, most of a busy book, are
-- left out.
CREATE INDEX operations_ended ON operations (ended_at) WHERE ended_at IS NOT NULL;
