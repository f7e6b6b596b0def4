package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/filelock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a connection waits for a lock held by another connection (of another
// process, or a checkpoint) before it fails with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

var (
	// ErrConflict is returned, wrapped, when a write contradicts what is stored: an operation
	// changed since it was read (its version differs), or an order id that is already stored.
	ErrConflict = errors.New("conflict")
	// ErrNewerSchema is returned, wrapped, by Open when the database was migrated by a newer
	// version of the program than this one: opening it could corrupt it.
	ErrNewerSchema = errors.New("database schema is newer than this program knows")
)

// Store is the SQLite order book. It is safe for concurrent use; Writes are serialized.
type Store struct {
	path string
	// lockFile, held open and locked until Close, makes this process the store's owner (see
	// lock); nil when another process owns it.
	lockFile *os.File
	// batchMu lets one WriteBatch run at a time (see batch.go).
	batchMu sync.Mutex
	// abandoned tells that the last removal of a pending batch failed: the batch's rows and
	// record are left, with no batch being written, until a Write removes them (see
	// removeAbandoned).
	abandoned atomic.Bool

	writer *sql.DB // one connection: SQLite allows one writer at a time
	reader *sql.DB // query_only connections
	logger *slog.Logger
	now    func() time.Time // for session expiry
	// eventGap is how many event ids are set aside for the floor before a batch's (see
	// batch.go); the constant eventGap but in tests.
	eventGap int
}

var _ book.Store = (*Store)(nil)

// Open opens the database file at path, creating it if needed, and migrates its schema to the
// one this program knows. It refuses a database of a newer schema with an error wrapping
// ErrNewerSchema. The caller must Close the store.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// two pools on one in-memory database would be two databases
		return nil, fmt.Errorf("opening store %q: need the path of a database file", path)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	migrations, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	// ctx is checked between the steps below, but never given to the driver (see conn.go)
	sqlCtx := quiet(ctx)

	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		// fsync the WAL at every commit: a Write that returned nil survives a power loss
		"synchronous(FULL)",
	}
	writer, err := sql.Open("sqlite", dsn(path, slices.Concat(pragmas, []string{
		"journal_mode(WAL)",
		// 64 MiB for the pages a large import touches; per connection, and there is one writer
		"cache_size(-65536)",
	}), "immediate"))
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	if err := checkWAL(sqlCtx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if err := migrate(ctx, writer, migrations, logger); err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}

	reader, err := sql.Open("sqlite", dsn(path, slices.Concat(pragmas, []string{"query_only(1)"}), ""))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(sqlCtx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("opening store %s: connecting reader: %w", path, err)
	}

	s := &Store{path: path, writer: writer, reader: reader, logger: logger, now: time.Now, eventGap: eventGap}
	owner, err := s.lock()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if !owner {
		// Another process holds the store (the daemon, beside a command that reads its book):
		// a pending batch is that process's, being written, and is left alone.
		logger.Info("the store is held by another process: its pending batch, if any, is left to it", "path", path)
		return s, nil
	}
	// a batch that a crash interrupted: its rows are invisible, and would be in the way
	if err := s.removePending(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	return s, nil
}

// lock takes the lock file beside the store's database, held until Close, and reports whether
// this process holds it: the store's owner. Only the owner may take a pending batch for one a
// crash interrupted; a second process opening the store (which SQLite allows) must not.
func (s *Store) lock() (owner bool, err error) {
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := filelock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return false, nil
		}
		return false, fmt.Errorf("locking the lock file: %w", err)
	}
	s.lockFile = f
	return true, nil
}

// dsn is the modernc.org/sqlite data source name of the file at path: a file: URI whose
// _pragma parameters the driver runs on every new connection of the pool.
func dsn(path string, pragmas []string, txlock string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	// escape '?', '#' and '%' in the path, which SQLite's URI parser would take for syntax
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// checkWAL verifies that the database is in WAL mode, which the read/write split needs:
// journal_mode(WAL) fails silently on file systems without shared memory.
func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("reading journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, need WAL", mode)
	}
	return nil
}

// Close closes the store. Reads and Writes in progress finish first.
func (s *Store) Close() error {
	// the writer last: the last connection to close checkpoints the WAL into the database
	rerr := s.reader.Close()
	werr := s.writer.Close()
	var lerr error
	if f := s.lockFile; f != nil {
		s.lockFile = nil
		lerr = f.Close() // and with it the lock
	}
	if err := errors.Join(rerr, werr, lerr); err != nil {
		return fmt.Errorf("closing store %s: %w", s.path, err)
	}
	return nil
}

// Read runs fn in a read-only transaction: every read of fn sees the same snapshot of the
// book, with every Write that committed before it and nothing of those that did not. It
// returns fn's error. When ctx ends, fn's next read fails with ctx's error; the transaction
// is ended (and its connection discarded if that fails) whatever happened, so that no
// connection goes back to the pool holding an old snapshot (see conn.go).
func (s *Store) Read(ctx context.Context, fn func(book.ReadTx) error) (err error) {
	conn, err := beginTx(ctx, s.reader, "BEGIN")
	if err != nil {
		return fmt.Errorf("beginning read transaction: %w", err)
	}
	t := newReadTx(ctx, conn)
	// runs on every return, and when fn panics, before the panic goes on
	defer func() {
		cerr := t.close()
		if rerr := endTx(ctx, conn, true, cerr != nil); rerr != nil || cerr != nil {
			s.logger.Error("discarding a reader connection", "err", errors.Join(cerr, rerr))
		}
	}()
	if err := t.start(); err != nil {
		return fmt.Errorf("beginning read transaction: %w", err)
	}
	return fn(t)
}

// Write runs fn in a write transaction and commits it when fn returns nil: the changes are
// then durable. When fn returns an error, Write rolls the transaction back and returns fn's
// error as is; when fn panics, Write rolls back and the panic goes on. After an error from a
// method of the Tx, fn should return it: the transaction may hold part of the failed change.
// When ctx ends before the commit, the next method of the Tx and the commit fail with ctx's
// error; once COMMIT has begun it runs to its end.
//
// The Tx holds back inserts and operation updates and sends them to SQLite in batches (see
// writeTx), so a row that SQLite refuses, such as an order whose id is already stored, fails
// a later method of the Tx or the commit rather than the insert itself. Either way Write rolls
// back and returns an error wrapping the cause, ErrConflict for a stored order id.
//
// After a large batch failed and its removal failed too, the first Write while no batch is
// being written removes the batch's rows before it begins (see ErrBatchPending).
func (s *Store) Write(ctx context.Context, fn func(book.Tx) error) error {
	return s.write(ctx, nil, fn)
}

// write is Write, with before run first in the transaction, before the pending batch is read.
func (s *Store) write(ctx context.Context, before func(*writeTx) error, fn func(book.Tx) error) (err error) {
	s.removeAbandoned(ctx)
	// BEGIN IMMEDIATE on a *sql.Conn, and a rollback that runs even when ctx was cancelled
	conn, err := beginTx(ctx, s.writer, "BEGIN IMMEDIATE")
	if err != nil {
		return fmt.Errorf("beginning write transaction: %w", err)
	}
	t := newWriteTx(ctx, conn)
	committed := false
	// runs on every return, and when fn panics, before the panic goes on
	defer func() {
		cerr := t.close()
		// a batch that broke a constraint has rolled back already (OR ROLLBACK, see buffer.go)
		rerr := endTx(ctx, conn, !committed && !t.rolledBack, cerr != nil)
		if rerr != nil {
			err = errors.Join(err, rerr)
		}
		if cerr != nil || rerr != nil {
			// endTx discarded it: its state was in doubt
			s.logger.Error("discarding the writer connection", "err", errors.Join(cerr, rerr))
		}
	}()

	if before != nil {
		if err := before(t); err != nil {
			return err
		}
	}
	if err := t.start(); err != nil {
		return fmt.Errorf("beginning write transaction: %w", err)
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("committing write transaction: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("committing write transaction: %w", err)
	}
	if _, err := conn.ExecContext(t.sqlCtx, "COMMIT"); err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			err = t.explainForeignKeys(err)
		}
		return fmt.Errorf("committing write transaction: %w", err)
	}
	committed = true
	return nil
}

// migration is one file of migrations/: version 3 is 0003_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order. Versions start at 1 and
// have no gaps, so that a missing file fails the build's tests rather than a customer's
// database.
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

// migrate applies the migrations the database lacks, each in its own transaction, and
// refuses a database that has a migration this program does not know.
func migrate(ctx context.Context, db *sql.DB, ms []migration, logger *slog.Logger) error {
	sqlCtx := quiet(ctx)
	if _, err := db.ExecContext(sqlCtx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL -- unix microseconds UTC
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	current, err := schemaVersion(sqlCtx, db)
	if err != nil {
		return err
	}
	if known := len(ms); current > known {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", current, known, ErrNewerSchema)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		applied, err := applyMigration(sqlCtx, db, m)
		if err != nil {
			return fmt.Errorf("applying migration %s: %w", m.name, err)
		}
		if applied {
			logger.Info("applied schema migration", "version", m.version, "name", m.name)
		}
	}
	return nil
}

func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// applyMigration applies m in one transaction unless another process did it first.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the version read below stays true
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if current >= m.version {
		return false, nil
	}
	if current != m.version-1 {
		return false, fmt.Errorf("schema version is %d, want %d", current, m.version-1)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
		m.version, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("recording version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("committing: %w", err)
	}
	return true, nil
}
