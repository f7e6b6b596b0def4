// Package postgres is the PostgreSQL implementation of book.Store, for a studio that has
// outgrown one SQLite file: an order book several daemons share, a floor that goes on when one
// computer dies, a book of millions of units. SQLite stays the default (store/sqlite).
//
// The package imports only book, store/internal/pgutil (what it shares with the network's
// store, store/postgres/netstore), the standard library and pgx (v5); like store/sqlite it must
// not import cells, drivers, scheduler, telemetry, api or any other package of ours.
//
// # Schema
//
// The schema mirrors the SQLite store's table for table and column for column, with the same
// names: a text is TEXT, an integer BIGINT, a blob BYTEA, and a time is unix microseconds UTC
// in a BIGINT, as in SQLite. The two stores therefore give the same answers to the
// microsecond, and `cellforge migrate` copies a SQLite book into PostgreSQL table by table and
// checks the copy by counts and checksums of the same rows. The migrations live in
// migrations/NNNN_name.sql, embedded in the binary and applied by Open in order, each in its
// own transaction, recorded in schema_migrations, under an advisory lock so that two daemons
// starting together migrate once. A released migration is never edited.
//
// # Transactions
//
// A Read is a REPEATABLE READ, READ ONLY transaction: every read of it sees one snapshot.
// A Write takes a transaction-scoped advisory lock first (writeLock), so that the writes of
// every daemon on the database run one at a time, as SQLite's single writer does: each sees
// every write committed before it, nothing is ever retried, and the answers are the SQLite
// store's. Event ids are therefore committed in order, which the event log's followers rely
// on. Every Write also notifies the channel changesChannel on commit, which the other daemons
// on the database listen to (see Store.Changes).
//
// # The database going away
//
// An error that says the server cannot be reached, went away or is shutting down is wrapped
// with book.ErrUnavailable, which the API answers 503 with Retry-After. A COMMIT whose answer
// was lost with the connection is not a failure yet: Write asks the server, on another
// connection, whether the transaction's id committed (txid_status) and answers what happened,
// so that a write is never reported failed after it committed, nor applied twice by a retry.
package postgres
