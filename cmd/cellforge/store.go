package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/sqlite"
)

// daemonStore is what the daemon needs of the store of its order book: the book's Store and
// BatchStore, the API's sign-in sessions and lockouts, and the expiry of sessions.
type daemonStore interface {
	book.Store
	book.BatchStore
	PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error
	Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error)
	TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
	SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error
	AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error
	SignedIn(ctx context.Context, person, client string, at time.Time) error
	Close() error
}

var (
	_ daemonStore = (*sqlite.Store)(nil)
	_ daemonStore = (*postgres.Store)(nil)
)

// sqliteFile is the order book's file in the data directory, when the book is on SQLite.
const sqliteFile = "cellforge.db"

// storeFlagUsage is the help of --store, which serve and the commands that open the book share.
const storeFlagUsage = "where the order book lives: `sqlite` (a file in the data directory) or a postgres:// URL; " +
	"when left out, the factory file's store section says (SQLite without one). A password belongs in PGPASSWORD or ~/.pgpass"

// storeChoice is where the order book lives: a PostgreSQL URL, or "" for SQLite in the data
// directory.
type storeChoice struct {
	postgres string
}

// chooseStore reads --store (flag, empty when not given) against the factory's store section.
func chooseStore(flag string, f *configs.Factory) (storeChoice, error) {
	switch {
	case flag == "sqlite":
		return storeChoice{}, nil
	case flag == "":
		return storeChoice{postgres: f.Store.Postgres}, nil
	case strings.HasPrefix(flag, "postgres://"), strings.HasPrefix(flag, "postgresql://"):
		if _, err := url.Parse(flag); err != nil {
			return storeChoice{}, fmt.Errorf("--store: %w", err)
		}
		return storeChoice{postgres: flag}, nil
	}
	return storeChoice{}, fmt.Errorf("--store %q: want sqlite or a postgres:// URL", flag)
}

// String names the store for the log, without a password.
func (c storeChoice) String() string {
	if c.postgres == "" {
		return "sqlite"
	}
	u, err := url.Parse(c.postgres)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// openStore opens the store of the order book as c says, SQLite in dataDir when c names none.
func openStore(ctx context.Context, c storeChoice, dataDir string, logger *slog.Logger) (daemonStore, error) {
	if c.postgres == "" {
		return sqlite.Open(ctx, filepath.Join(dataDir, sqliteFile), logger)
	}
	return postgres.Open(ctx, c.postgres, logger)
}
