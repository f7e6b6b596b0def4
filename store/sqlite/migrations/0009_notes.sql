-- 0009: makers' notes and photos, attached to an operation and, optionally, to one unit of its
-- work order.

-- notes are what makers wrote about their work. unit is the unit's number within the work
-- order, from 1, or NULL for every unit of it. private is 1 for a note that stays in the
-- studio (never on a unit's public page or certificate). work_order repeats the operation's,
-- so that a work order's notes are read from one index.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    operation  INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    work_order INTEGER NOT NULL REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    unit       INTEGER CHECK (unit IS NULL OR unit >= 1),
    text       TEXT NOT NULL,
    author     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    private    INTEGER NOT NULL CHECK (private IN (0, 1))
);
CREATE INDEX notes_work_order ON notes (work_order, at, id);

-- photos are the records of makers' photos, whose files the photo store keeps by hash (the
-- SHA-256 of the stored bytes). The same picture may be recorded more than once (on two
-- operations, or public and private).
CREATE TABLE photos (
    id         INTEGER PRIMARY KEY,
    operation  INTEGER NOT NULL REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    work_order INTEGER NOT NULL REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    unit       INTEGER CHECK (unit IS NULL OR unit >= 1),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    media_type TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    caption    TEXT NOT NULL,
    author     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    private    INTEGER NOT NULL CHECK (private IN (0, 1))
);
CREATE INDEX photos_work_order ON photos (work_order, at, id);
CREATE INDEX photos_sha256 ON photos (sha256);
