package netstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

const (
	// writeLock is the key of the transaction-scoped advisory lock every Write takes first.
	writeLock = 0x6e657477 // "netw"
	// migrateLock is the key of the session advisory lock Open holds while it migrates.
	migrateLock = 0x6e65746d // "netm"
)

// schema is where the network's migrations are recorded.
var schema = pgutil.Schema{
	Lock:  migrateLock,
	Setup: `CREATE SCHEMA IF NOT EXISTS network`,
	Table: "network.schema_migrations",
}

var (
	// ErrNewerSchema is returned, wrapped, by Open when the schema network was migrated by a
	// newer version of the program than this one: opening it could corrupt it.
	ErrNewerSchema = pgutil.ErrNewerSchema
	// ErrConflict is returned, wrapped, by InsertOrders for an order id already stored and by
	// InsertRoute for a route number the order already has.
	ErrConflict = errors.New("conflict")
)

// Store is the network's book on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// writeMu lets one Write of this process wait for the advisory lock at a time, so that
	// waiting writers do not hold every connection of the pool; a channel of one slot, so that
	// a Write stops waiting when its context ends.
	writeMu chan struct{}
}

var _ network.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a libpq key=value string) and
// migrates its schema network to the one this program knows. It refuses a schema of a newer
// program with an error wrapping ErrNewerSchema. The caller must Close the store.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgutil.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("opening the network's store: %w", err)
	}
	migrations, err := pgutil.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening the network's store %s: %w", pgutil.Redact(cfg), err)
	}
	if err := pgutil.Migrate(ctx, pool, schema, migrations, nil); err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening the network's store %s: %w", pgutil.Redact(cfg), pgutil.Classify(err))
	}
	return &Store{pool: pool, writeMu: make(chan struct{}, 1)}, nil
}

// Close closes the store's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Read runs fn in a REPEATABLE READ, READ ONLY transaction: every read of fn sees the same
// snapshot. It returns fn's error.
func (s *Store) Read(ctx context.Context, fn func(network.ReadTx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("beginning read transaction: %w", pgutil.Classify(err))
	}
	// runs on every return, and when fn panics, before the panic goes on
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(&readTx{ctx: ctx, tx: tx})
}

// Write runs fn in a write transaction, after every other Write on the database has ended,
// and commits it when fn returns nil: the changes are then durable. When fn returns an error,
// Write rolls back and returns it as is; when fn panics, Write rolls back and the panic goes
// on. Once COMMIT has begun it runs to its end whatever happens to ctx, and a COMMIT whose
// answer was lost is settled by asking the server.
func (s *Store) Write(ctx context.Context, fn func(network.Tx) error) error {
	select {
	case s.writeMu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	var once sync.Once
	unlock := func() { once.Do(func() { <-s.writeMu }) }
	defer unlock()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning write transaction: %w", pgutil.Classify(err))
	}
	// runs on every return, and when fn panics; after a commit it does nothing
	defer tx.Rollback(context.WithoutCancel(ctx))
	var xid int64
	if err := tx.QueryRow(ctx, `SELECT txid_current(), pg_advisory_xact_lock($1)`, writeLock).Scan(&xid, nil); err != nil {
		return fmt.Errorf("beginning write transaction: %w", pgutil.Classify(err))
	}
	if err := fn(&writeTx{readTx{ctx: ctx, tx: tx}}); err != nil {
		return err
	}
	return pgutil.Commit(ctx, s.pool, tx, xid, "write transaction", nil, unlock)
}
