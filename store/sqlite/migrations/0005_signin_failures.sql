-- 0005: failed sign-ins, kept so that a restart forgives none of them.

-- signin_failures counts a person's failed sign-ins by the client address they came from; the
-- API derives its lockouts from the counts and the times of the last failures. A successful
-- sign-in from an address sets its count back to zero and is remembered in signed_in_at.
CREATE TABLE signin_failures (
    person       TEXT NOT NULL,
    client       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    last_failure INTEGER NOT NULL,           -- micros; 0 when there is none
    signed_in_at INTEGER NOT NULL DEFAULT 0, -- micros of the last success from there; 0 when none
    PRIMARY KEY (person, client)
) WITHOUT ROWID;
