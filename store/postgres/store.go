package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cellforge/cellforge/book"
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
	// commitCheck bounds how long Write keeps asking whether a COMMIT whose answer was lost
	// committed, while the database is unreachable.
	commitCheck = 60 * time.Second
)

var (
	// ErrConflict is returned, wrapped, when a write contradicts what is stored: an operation
	// changed since it was read (its version differs), or an order id that is already stored.
	ErrConflict = errors.New("conflict")
	// ErrNewerSchema is returned, wrapped, by Open when the database was migrated by a newer
	// version of the program than this one: opening it could corrupt it.
	ErrNewerSchema = errors.New("database schema is newer than this program knows")
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
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("opening store: the database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// The store's statements are reads by index whose cost estimates can pass the threshold of
	// JIT compilation (a year of OEE): compiling them took longer than running them, 2 s of a
	// 3.3 s read of a year of unit counts. A URL that sets jit keeps its own.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	migrations, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", redact(cfg), err)
	}
	var id [8]byte
	rand.Read(id[:])
	s := &Store{pool: pool, url: url, logger: logger, now: time.Now, id: hex.EncodeToString(id[:]),
		writeMu: make(chan struct{}, 1)}
	if err := s.migrate(ctx, migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening store %s: %w", redact(cfg), classify(err))
	}
	return s, nil
}

// redact names the database of cfg without its password.
func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
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
// server (see settle).
func (s *Store) Write(ctx context.Context, fn func(book.Tx) error) error {
	select {
	case s.writeMu <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writeMu }()
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
	return s.publish(ctx, t, xid)
}

// publish ends t, a write transaction that holds the write lock, Write's or WriteBatch's (its
// finish), whose id is xid: it notifies the other daemons and commits. What every write does
// before its COMMIT belongs here, so that both have it. Once COMMIT has begun it runs to its
// end whatever happens to ctx; a COMMIT whose answer was lost with the connection is settled
// by asking the server (see settle).
func (s *Store) publish(ctx context.Context, t *writeTx, xid int64) error {
	tx := t.tx
	if err := t.commit(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, changesChannel, s.id); err != nil {
		return fmt.Errorf("committing write transaction: %w", classify(err))
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitCheck)
	defer cancel()
	err := tx.Commit(cctx)
	if err == nil {
		return nil
	}
	if !lostConnection(err) {
		return fmt.Errorf("committing write transaction: %w", classify(err))
	}
	return s.settle(cctx, xid, err)
}

// settle answers a Write whose COMMIT failed with the connection (cerr): nil when transaction
// xid committed, an error wrapping book.ErrUnavailable when it did not or when the server
// cannot be asked before ctx ends.
func (s *Store) settle(ctx context.Context, xid int64, cerr error) error {
	for {
		var status *string
		err := s.pool.QueryRow(ctx, `SELECT txid_status($1)`, xid).Scan(&status)
		switch {
		case err == nil && status != nil && *status == "committed":
			s.logger.Warn("a commit's answer was lost; the server says it committed", "xid", xid, "err", cerr)
			return nil
		case err == nil && (status == nil || *status == "aborted"):
			return fmt.Errorf("committing write transaction: %w", classify(cerr))
		}
		// in progress (the server has not seen the connection go yet), or unreachable
		select {
		case <-ctx.Done():
			return fmt.Errorf("committing write transaction: the outcome is unknown: %w", classify(cerr))
		case <-time.After(200 * time.Millisecond):
		}
	}
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

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, each in its own transaction, under a
// session advisory lock (two daemons starting together migrate once), and refuses a database
// that has a migration this program does not know.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("locking the schema: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL -- unix microseconds UTC
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if known := len(ms); current > known {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", current, known, ErrNewerSchema)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.version, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		s.logger.Info("migrated", "migration", m.name)
	}
	return nil
}
