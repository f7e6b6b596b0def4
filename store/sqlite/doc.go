// Package sqlite is the embedded SQLite implementation of book.Store, the default persistence
// of a CellForge workcell: one database file next to the controller, no server to run.
//
// The store/ folder holds the persistence implementations of book.Store. It is a top-level
// folder because persistence fits none of the fixed ones (cmd, cells, drivers, scheduler,
// telemetry, api, firmware-sim, configs); a PostgreSQL implementation can sit beside this one,
// speaking the same interface. Only cmd/ wires a store to the rest.
//
// This package imports only book, the standard library and the pure-Go driver
// modernc.org/sqlite (no cgo). It must not import cells, drivers, scheduler, api or any other
// package of ours: callers depend on book.Store, and the store depends on nothing but book.
//
// The schema lives in migrations/*.sql, embedded in the binary and applied by Open in order,
// each in its own transaction. A migration is never edited once released; a change is a new
// file with the next number.
//
// Writes go through a single connection (SQLite has one writer at a time anyway) in
// BEGIN IMMEDIATE transactions, with synchronous=FULL in WAL mode: a Write that returned nil
// survives a crash or a power loss. Reads use a pool of query_only connections, each Read one
// transaction on a snapshot, so they never block the writer and never see half of a Write.
package sqlite
