package booktest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/sqlite"
)

// EnvStore names the environment variable that chooses the store the tests run on: "sqlite"
// (the default, when it is unset or empty) or "postgres". make test runs the tests of the
// packages that use booktest once on each.
const EnvStore = "CELLFORGE_TEST_STORE"

// The stores EnvStore names.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// Backend is what a daemon asks of its store and both stores provide: the order book's reads
// and writes, batches, the API's sign-in sessions and lockouts, and Close.
type Backend interface {
	book.Store
	book.BatchStore
	PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error
	Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error)
	TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
	SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error
	AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error
	SignedIn(ctx context.Context, person, client string, at time.Time) error
	Close() error
}

var (
	_ Backend = (*sqlite.Store)(nil)
	_ Backend = (*postgres.Store)(nil)
)

// Kind returns the store EnvStore chooses, failing t when it names no store.
func Kind(t testing.TB) string {
	t.Helper()
	kind, err := kindOf(os.Getenv(EnvStore))
	if err != nil {
		t.Fatal(err)
	}
	return kind
}

func kindOf(v string) (string, error) {
	switch v {
	case "", KindSQLite:
		return KindSQLite, nil
	case KindPostgres:
		return KindPostgres, nil
	}
	return "", fmt.Errorf("booktest: %s=%q names no store (want %s or %s)", EnvStore, v, KindSQLite, KindPostgres)
}

// Addr returns the address of a new, empty store of the kind EnvStore chooses, for Open: a
// file named name in t's temporary directory on SQLite, or the URL of a new database on
// PostgreSQL (dropped when t ends). Either is a copy of a store migrated once per test binary,
// which is much faster than migrating each: a SQLite book migrates in 2-3 s under the race
// detector, and its copy opens in about 0.2 s. (The stores' own tests migrate from nothing.)
func Addr(t testing.TB, name string) string {
	t.Helper()
	if Kind(t) == KindPostgres {
		return pgtest.URLFrom(t, pgtest.Template(t, "book", migrate))
	}
	data, err := sqliteTemplate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// template is the SQLite book the store migrated once per test binary, as its file's bytes.
var template struct {
	once sync.Once
	data []byte
	err  error
}

// sqliteTemplate returns the bytes of a SQLite book the store has just migrated and closed.
func sqliteTemplate() ([]byte, error) {
	template.once.Do(func() {
		template.data, template.err = migrateSQLite()
	})
	return template.data, template.err
}

// migrateSQLite migrates a new SQLite book in a directory of its own, closes it and returns
// its file's bytes (closing the last connection checkpoints the write-ahead log into the file).
func migrateSQLite() ([]byte, error) {
	dir, err := os.MkdirTemp("", "cellforge-booktest-")
	if err != nil {
		return nil, fmt.Errorf("booktest: migrating the SQLite template: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		return nil, fmt.Errorf("booktest: migrating the SQLite template: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("booktest: closing the SQLite template: %w", err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("booktest: the SQLite template kept %d bytes of write-ahead log after closing", fi.Size())
	}
	return os.ReadFile(path)
}

// migrate opens the PostgreSQL store at url, which migrates its schema, and closes it.
func migrate(url string) error {
	st, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		return err
	}
	return st.Close()
}

// Store opens a new store (see Addr) and returns it with its address; t's cleanup closes it.
func Store(t testing.TB, name string) (Backend, string) {
	t.Helper()
	addr := Addr(t, name)
	return Open(t, addr), addr
}

// Open opens the store at addr (as a restarted daemon does): the PostgreSQL database of a
// postgres:// URL, else the SQLite file. t's cleanup closes it; closing it before is harmless.
func Open(t testing.TB, addr string) Backend {
	t.Helper()
	if !isURL(addr) {
		return openSQLite(t, addr)
	}
	st, err := postgres.Open(context.Background(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func isURL(addr string) bool {
	return strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://")
}

// openSQLite opens the SQLite store at path; t's cleanup closes it.
func openSQLite(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Exec runs query on the database of the store at addr, behind the store's back (to change
// what it holds as an outside hand would), and returns the number of rows it changed. The
// query is in the dialect of the store's kind: a test that tampers gives one per store.
func Exec(t testing.TB, addr, query string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	if isURL(addr) {
		conn, err := pgx.Connect(ctx, addr)
		if err != nil {
			t.Fatalf("booktest: connecting to %s: %v", addr, err)
		}
		defer conn.Close(ctx)
		tag, err := conn.Exec(ctx, query, args...)
		if err != nil {
			t.Fatalf("booktest: %s: %v", query, err)
		}
		return tag.RowsAffected()
	}
	db, err := sql.Open("sqlite", addr)
	if err != nil {
		t.Fatalf("booktest: opening %s: %v", addr, err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("booktest: %s: %v", query, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.Fatalf("booktest: %s: %v", query, err)
	}
	return n
}
