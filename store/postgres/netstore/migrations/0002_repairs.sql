-- The network's repairs (book/network.Repair) and their routes, as the orders' are kept, and
-- the kinds of items each site said it repairs. Texts of the "C" collation, times in unix
-- microseconds UTC, NULL where a time is not set.

ALTER TABLE network.sites ADD COLUMN repairs JSONB; -- ["kind", ...]; NULL until it said

CREATE TABLE network.repairs (
    id          TEXT COLLATE "C" PRIMARY KEY,
    serial      TEXT COLLATE "C" NOT NULL,
    item        TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    customer    TEXT COLLATE "C" NOT NULL,
    contact     TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    due         BIGINT,
    hash        TEXT COLLATE "C" NOT NULL,
    state       TEXT COLLATE "C" NOT NULL,
    site        TEXT COLLATE "C" NOT NULL, -- '' while waiting
    route       BIGINT NOT NULL,
    ack_by      BIGINT,
    promise     BIGINT,
    site_repair TEXT COLLATE "C" NOT NULL,
    site_state  TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    done_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX repairs_site ON network.repairs (site, id);
CREATE INDEX repairs_state ON network.repairs (state, id);
CREATE INDEX repairs_ack_by ON network.repairs (ack_by) WHERE state = 'routed';

CREATE TABLE network.repair_routes (
    repair_id TEXT COLLATE "C" NOT NULL REFERENCES network.repairs (id),
    n         BIGINT NOT NULL,
    site      TEXT COLLATE "C" NOT NULL,
    at        BIGINT NOT NULL,
    cause     TEXT COLLATE "C" NOT NULL,
    why       TEXT COLLATE "C" NOT NULL,
    ranking   JSONB NOT NULL, -- []book/network.Choice
    ended     BIGINT,
    end_cause TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (repair_id, n)
);
