-- 0015: parcel slips owed.

-- owed_slips are the parcel slips the studio's slip printer owes: written in the transaction
-- that takes a repair in at the counter (or asks for a reprint), deleted once the printer
-- confirmed the slip. AUTOINCREMENT: an id is never used twice, so a slip deleted as printed is
-- never taken for another.
CREATE TABLE owed_slips (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    repair  TEXT NOT NULL REFERENCES repairs (id) DEFERRABLE INITIALLY DEFERRED,
    reprint INTEGER NOT NULL, -- 1 for a reprint asked for
    owed_at INTEGER NOT NULL
);
