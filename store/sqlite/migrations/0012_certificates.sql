-- 0012: units' certificates.

-- Every revision of a unit's certificate, as it was signed: form is the signed revision in
-- canonical JSON ({"revision":{…},"signature":"…"}), hash its SHA-256 in hex, which the next
-- revision names. A revision is never changed or removed: the primary key makes a second
-- revision of the same number, issued at the same moment by another request, fail.
CREATE TABLE certificate_revisions (
    serial    TEXT    NOT NULL,
    number    INTEGER NOT NULL CHECK (number >= 1),
    form      BLOB    NOT NULL,
    hash      TEXT    NOT NULL,
    issued_at INTEGER NOT NULL,
    PRIMARY KEY (serial, number)
) WITHOUT ROWID;
