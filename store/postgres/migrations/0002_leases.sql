-- Leases: which daemon drives what, when several share the database (see leases.go). A lease
-- is held by holder until expires_at, a time of the database's own clock (unix microseconds
-- UTC, as every time of the schema), so that the daemons' clocks never judge it. epoch grows
-- by one each time the lease changes holder.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
