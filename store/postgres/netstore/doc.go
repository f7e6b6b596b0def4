// Package netstore is the network's book (book/network.Store) on PostgreSQL: the hub's sites,
// the network's orders and the routes that sent each to a site, with the ranking that chose
// it, and the first answers to the requests made to the hub's API with an Idempotency-Key.
//
// Its tables live in the schema network of the database, so that a hub may share a database
// with a site's book (store/postgres) or have one of its own. Open migrates that schema with
// the embedded migrations (migrations/NNNN_name.sql, each in its own transaction, recorded in
// network.schema_migrations) under an advisory lock, and refuses a schema newer than the
// program. A text is TEXT of the "C" collation (byte order, as the book's stores sort), a time
// unix microseconds UTC in a BIGINT (NULL for a zero time), so that every time reads back in
// UTC, exact to the microsecond. A route's ranking is JSONB.
//
// A Read is a REPEATABLE READ, READ ONLY transaction; a Write takes a transaction-scoped
// advisory lock first, so that the hub's writes run one at a time, each seeing every write
// committed before it. An error that says the server cannot be reached, went away or is
// shutting down wraps book.ErrUnavailable; a COMMIT whose answer was lost is settled by asking
// the server (store/internal/pgutil).
//
// The package imports book (ErrUnavailable, IdempotencyRecord), book/network, store/internal/pgutil, pgx and the
// standard library; nothing of ours imports it but cmd.
package netstore
