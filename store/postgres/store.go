package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

const (
	// writeLock is the key of the transaction-scoped advisory lock every Write takes first:
	// the writes of every daemon on the database run one at a time.
	writeLock = 0x63656c6c // "cell"
	// migrateLock is the key of the session advisory lock Open holds while it migrates.
	migrateLock = 0x6d696772 // "migr"
	// changesChannel is the channel every committed Write notifies, with its store's id.
	changesChannel = "cellforge_changed"
)

var (
	// ErrConflict is returned, wrapped, when a write contradicts what is stored: an operation
	// changed since it was read (its version differs), or an order id that is already stored.
	ErrConflict = errors.New("conflict")
	// ErrNewerSchema is returned, wrapped, by Open when the database was migrated by a newer
	// version of the program than this one: opening it could corrupt it.
	ErrNewerSchema = pgutil.ErrNewerSchema
)

// Store is the PostgreSQL order book. It is safe for concurrent use, also by several
// processes on one database; Writes are serialized across all of them.
type Store struct {
	pool   *pgxpool.Pool
	url    string
	logger *slog.Logger
	now    func() time.Time // for session expiry
	// id tells this store's notifications from other processes' (see Changes).
	id string
	// writeMu lets one Write of this process wait for the advisory lock at a time, so that
	// waiting writers do not hold every connection of the pool. A channel of one slot rather
	// than a sync.Mutex: a batch waits for it while it watches for a write that waits for the
	// batch (see lockWrites), and a Write stops waiting when its context ends.
	writeMu chan struct{}
}

var _ book.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a libpq key=value string) and
// migrates its schema to the one this program knows. It refuses a database of a newer schema
// with an error wrapping ErrNewerSchema. The caller must Close the store.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgutil.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	migrations, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", pgutil.Redact(cfg), err)
	}
	var id [8]byte
	rand.Read(id[:])
	s := &Store{pool: pool, url: url, logger: logger, now: time.Now, id: hex.EncodeToString(id[:]),
		writeMu: make(chan struct{}, 1)}
	if err := pgutil.Migrate(ctx, pool, schema, migrations, logger); err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening store %s: %w", pgutil.Redact(cfg), classify(err))
	}
	return s, nil
}

// Close closes the store's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Read runs fn in a REPEATABLE READ, READ ONLY transaction: every read of fn sees the same
// snapshot of the book. It returns fn's error. When ctx ends, fn's next read fails with
// ctx's error.
func (s *Store) Read(ctx context.Context, fn func(book.ReadTx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("beginning read transaction: %w", classify(err))
	}
	// runs on every return, and when fn panics, before the panic goes on
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(newReadTx(ctx, tx))
}

// Write runs fn in a write transaction and commits it when fn returns nil: the changes are
// then durable. When fn returns an error, Write rolls the transaction back and returns fn's
// error as is; when fn panics, Write rolls back and the panic goes on. When ctx ends before
// the commit, the next statement fails with ctx's error and nothing is applied; once COMMIT
// has begun it runs to its end, and a COMMIT whose answer was lost is settled by asking the
// server (see pgutil.Settle).
func (s *Store) Write(ctx context.Context, fn func(book.Tx) error) error {
	select {
	case s.writeMu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	unlock := s.unlocker()
	defer unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning write transaction: %w", classify(err))
	}
	// runs on every return, and when fn panics; after a commit it does nothing
	defer tx.Rollback(context.WithoutCancel(ctx))
	var xid int64
	if err := tx.QueryRow(ctx, `SELECT txid_current(), pg_advisory_xact_lock($1)`, writeLock).Scan(&xid, nil); err != nil {
		return fmt.Errorf("beginning write transaction: %w", classify(err))
	}
	t := newWriteTx(ctx, tx)
	if err := fn(t); err != nil {
		return err
	}
	return s.publish(ctx, t, xid, unlock)
}

// unlocker returns a function that gives writeMu back, once however often it is called.
func (s *Store) unlocker() func() {
	var once sync.Once
	return func() { once.Do(func() { <-s.writeMu }) }
}

// publish ends t, a write transaction that holds the write lock, Write's or WriteBatch's (its
// finish), whose id is xid: it notifies the other daemons and commits. What every write does
// before its COMMIT belongs here, so that both have it. Once COMMIT has begun it runs to its
// end whatever happens to ctx; a COMMIT whose answer was lost with the connection is settled
// by asking the server (see pgutil.Settle), after unlock gives writeMu back.
func (s *Store) publish(ctx context.Context, t *writeTx, xid int64, unlock func()) error {
	tx := t.tx
	if err := t.commit(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, changesChannel, s.id); err != nil {
		return fmt.Errorf("committing write transaction: %w", classify(err))
	}
	return pgutil.Commit(ctx, s.pool, tx, xid, "write transaction", s.logger, unlock)
}

// Changes calls fn after every Write that another Store (another daemon) on the database
// commits, until ctx ends; notifications of this Store's own writes are left out. It keeps
// listening through the database going away, calling fn once it is back (writes may have
// been missed meanwhile). It returns when ctx ends.
func (s *Store) Changes(ctx context.Context, fn func()) {
	for ctx.Err() == nil {
		err := s.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("listening for other daemons' writes", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// listen is one connection of Changes: it calls fn once it listens (writes may have been
// missed before), then at every notification of another store.
func (s *Store) listen(ctx context.Context, fn func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// a connection that listened is not given back to the pool
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	fn()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != s.id {
			fn()
		}
	}
}

// schema is where the book's migrations are recorded: schema_migrations of the connection's
// search path, under the advisory lock migrateLock.
var schema = pgutil.Schema{Lock: migrateLock, Table: "schema_migrations"}

// loadMigrations reads the book's embedded migrations in version order.
func loadMigrations() ([]pgutil.Migration, error) {
	return pgutil.LoadMigrations(migrationFiles, "migrations")
}

// Schema returns the schema version this program knows: that of its newest migration. Open
// migrates an older database up to it and refuses a newer one.
func Schema() (int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	return len(ms), nil
}
