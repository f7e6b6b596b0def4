// Package sqlite is the embedded SQLite implementation of book.Store, the default persistence
// of a CellForge workcell: one database file beside the controller, no server to run.
//
// The store/ folder holds the persistence implementations of book.Store. It is a top-level
// folder because persistence fits none of the fixed ones (cmd, cells, drivers, scheduler,
// telemetry, api, firmware-sim, configs). SQLite is the embedded default; a PostgreSQL
// implementation can sit beside it, speaking the same interface. Only cmd/ chooses and wires
// a store.
//
// This package imports only book, the standard library and the pure-Go driver
// modernc.org/sqlite (its database/sql driver, and its lib for SQLite's result codes; no
// cgo), through database/sql and the driver's exported API only. It must not import cells,
// drivers, scheduler, telemetry, api or any other package of ours: they depend on book.Store,
// and the store depends on nothing but book.
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary and applied by Open in
// order, each in its own transaction, recorded in schema_migrations. A released migration is
// never edited; a change is a new file with the next number. Open refuses a database whose
// schema is newer than the binary knows.
//
// Writes go through a single connection (SQLite has one writer at a time anyway) in
// BEGIN IMMEDIATE transactions, with synchronous=FULL in WAL mode: a Write that returned nil
// survives a crash or a power loss. The driver compiles every statement it runs, which would
// cost an import of 100,000 orders most of its time with a statement per row, so a Write
// holds its inserts and operation updates back and sends them in multi-row statements (see
// buffer.go). Reads use a pool of query_only connections, each Read one transaction on a
// snapshot, so that they never wait for the writer and never see half of a Write. Times are
// stored as unix microseconds, so finer precision is lost; they come back in UTC.
//
// A large batch import is written by WriteBatch (book.BatchStore) in many short transactions,
// between which the floor's writes take the lock, and stays invisible to every read until one
// small transaction publishes it whole; a batch that fails or that a crash interrupts is
// removed, at once (should that fail, before the next write) or by the next Open (see
// batch.go).
//
// The driver is never given a context that can be cancelled: it would interrupt SQLite from
// another goroutine in ways that leave a pooled connection inside an old read transaction.
// The store checks the caller's context itself, and begins and ends every transaction on a
// *sql.Conn, discarding a connection whose transaction did not end cleanly (see conn.go).
package sqlite
