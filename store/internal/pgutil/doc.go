// Package pgutil is what the PostgreSQL stores share of speaking to PostgreSQL with pgx: the
// pool's configuration, the errors that say the database is unavailable (wrapped with
// book.ErrUnavailable), embedded migrations applied under an advisory lock, the settling of a
// COMMIT whose answer was lost, and the encoding of times (unix microseconds) and of texts
// that hold a NUL byte. store/postgres (the book) and store/postgres/netstore (the network's
// book) both use it, each with its own schema and migrations.
//
// It imports book (ErrUnavailable), pgx and the standard library only.
package pgutil
