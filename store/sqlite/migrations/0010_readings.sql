-- 0010: the summaries of what a machine read while it worked an operation (a dye bath's
-- temperature and pH), one row per operation and quantity, replaced as the operation goes on.

-- Times are microseconds since the epoch, hold_ns nanoseconds. The open_ columns are the
-- stretch the last reading belongs to, which the next reading may extend; NULL once a pause
-- or the job's end closed it.
CREATE TABLE readings (
    operation    INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    quantity     TEXT NOT NULL,
    unit         TEXT NOT NULL,
    samples      INTEGER NOT NULL,
    min          REAL NOT NULL,
    max          REAL NOT NULL,
    held         REAL NOT NULL,
    hold_ns      INTEGER NOT NULL,
    held_from    INTEGER NOT NULL,
    hold_samples INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    tolerance    REAL NOT NULL,
    open_from    INTEGER,
    open_to      INTEGER,
    open_begin   REAL,
    open_min     REAL,
    open_max     REAL,
    open_sum     REAL,
    open_count   INTEGER,
    PRIMARY KEY (operation, quantity)
) WITHOUT ROWID;
