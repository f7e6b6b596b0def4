-- The network's book, as its hub keeps it (book/network), in the schema network: a hub may
-- share a database with a site's book (whose tables are in the connection's search path) or
-- have one of its own. Every text is of the "C" collation (texts compare and sort byte by byte,
-- as the book's store does), every time is unix microseconds UTC in a BIGINT, NULL where the
-- time is not set (a zero time.Time).

CREATE TABLE network.sites (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    gone        BOOLEAN NOT NULL DEFAULT FALSE,
    gone_at     BIGINT,
    -- what the site said it makes: {"drop": ["SKU", ...]}; NULL until it first said
    makes       JSONB,
    -- its last reported load (book/network.Load), column for field
    load_open_work_orders BIGINT NOT NULL DEFAULT 0,
    load_hours            DOUBLE PRECISION NOT NULL DEFAULT 0,
    load_cells            BIGINT NOT NULL DEFAULT 0,
    load_plan_end         BIGINT,
    load_at               BIGINT,
    last_word   BIGINT
);

CREATE TABLE network.orders (
    order_id   TEXT COLLATE "C" PRIMARY KEY,
    drop_id    TEXT COLLATE "C" NOT NULL,
    sku        TEXT COLLATE "C" NOT NULL,
    quantity   BIGINT NOT NULL,
    customer   TEXT COLLATE "C" NOT NULL,
    priority   BIGINT NOT NULL,
    due        BIGINT NOT NULL,
    notes      TEXT COLLATE "C" NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL,
    batch      TEXT COLLATE "C" NOT NULL,
    state      TEXT COLLATE "C" NOT NULL,
    site       TEXT COLLATE "C" NOT NULL, -- '' while waiting
    route      BIGINT NOT NULL,
    ack_by     BIGINT,
    promise    BIGINT,
    made       BIGINT NOT NULL,
    good       BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    done_at    BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- the filters of OrderFilter, each paged by order id
CREATE INDEX orders_site ON network.orders (site, order_id);
CREATE INDEX orders_state ON network.orders (state, order_id);
CREATE INDEX orders_drop ON network.orders (drop_id, order_id);
-- the routed orders whose acknowledgement is due (Expire)
CREATE INDEX orders_ack_by ON network.orders (ack_by) WHERE state = 'routed';

CREATE TABLE network.routes (
    order_id  TEXT COLLATE "C" NOT NULL REFERENCES network.orders (order_id),
    n         BIGINT NOT NULL,
    site      TEXT COLLATE "C" NOT NULL,
    at        BIGINT NOT NULL,
    cause     TEXT COLLATE "C" NOT NULL,
    why       TEXT COLLATE "C" NOT NULL,
    -- the ranking that chose the site: the JSON of []book/network.Choice
    ranking   JSONB NOT NULL,
    ended     BIGINT,
    end_cause TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (order_id, n)
);

CREATE INDEX routes_site ON network.routes (site);
