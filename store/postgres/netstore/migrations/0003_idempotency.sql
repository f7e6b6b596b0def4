-- The Idempotency-Keys of the hub's API (book/network.Store's Idempotency): the first answer
-- to a request made with a key, kept for a day (book.IdempotencyTTL) and written in the
-- transaction of the change it answers, so that a retry after a restart answers the same. A
-- key is its principal's own, as the site's keys are.

CREATE TABLE network.idempotency (
    principal    TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL,
    request_hash TEXT COLLATE "C" NOT NULL,
    status       BIGINT NOT NULL,
    response     BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (principal, key)
);

-- ExpireIdempotency
CREATE INDEX idempotency_created ON network.idempotency (created_at);
