package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Schema returns the schema version this program knows: that of its newest migration. Open
// migrates an older database up to it and refuses a newer one.
func Schema() (int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}

// Snapshot writes a consistent copy of the book in the database file at path to dst, with
// SQLite's VACUUM INTO, and returns the copy's schema version. It is safe while a daemon
// writes the book: the copy is one read transaction's snapshot, holding every Write that
// committed before it began and nothing of one that had not, and it takes no lock a Write
// waits for. It never migrates nor creates the book: a path where no database is, or a
// database that is no order book, is refused. dst must not exist or be an empty file; on
// failure it may hold part of a copy, which the caller removes.
//
// A large batch being written is copied with its invisible rows; Open removes them from the
// copy, as from any book a crash interrupted.
func Snapshot(ctx context.Context, path, dst string) (schema int, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("snapshot of %s: no order book there: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	// not query_only, which refuses VACUUM INTO: the one statement run on it writes only dst
	db, err := sql.Open("sqlite", dsn(path, []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())}, ""))
	if err != nil {
		return 0, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	defer db.Close()
	// in autocommit, VACUUM INTO reads the book in a transaction of its own: one snapshot; the
	// driver is never given a context it could interrupt (see conn.go)
	if _, err := db.ExecContext(quiet(ctx), "VACUUM INTO ?", dst); err != nil {
		return 0, fmt.Errorf("snapshot of %s: copying into %s: %w", path, dst, err)
	}
	schema, err = schemaOf(ctx, dst)
	if err != nil {
		return 0, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	return schema, nil
}

// schemaOf reads the schema version of the order book in the database file at path, a copy no
// one else has open, refusing a database that is no order book.
func schemaOf(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", dsn(path, []string{"query_only(1)"}, ""))
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	defer db.Close()
	sqlCtx := quiet(ctx)
	var tables int
	if err := db.QueryRowContext(sqlCtx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return 0, fmt.Errorf("reading the schema: %w", err)
	}
	if tables == 0 {
		return 0, errors.New("not an order book: it has no schema_migrations table")
	}
	return schemaVersion(sqlCtx, db)
}

// SchemaOf returns the schema version of the order book in the database file at path, which
// no daemon holds (a copy, or a book being restored). It neither migrates nor creates the book.
func SchemaOf(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("schema of %s: %w", path, err)
	}
	v, err := schemaOf(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("schema of %s: %w", path, err)
	}
	return v, nil
}
