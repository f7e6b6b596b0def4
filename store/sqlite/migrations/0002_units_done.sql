-- Units finished so far at an operation, as the cell's machine counts them.
ALTER TABLE operations ADD COLUMN units_done INTEGER NOT NULL DEFAULT 0;
