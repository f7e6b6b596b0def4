package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/cellforge/cellforge/store/filelock"
)

// ErrOwned is returned, wrapped, by OpenSource when another process holds the store: a running
// daemon, whose book may change while it is read.
var ErrOwned = errors.New("the store is held by another process (a running daemon?): stop it first")

// Source is a book opened to be read whole by a program that copies it elsewhere. It holds the
// store's lock file until Close, so that no daemon takes the store over meanwhile.
type Source struct {
	st *Store
}

// OpenSource opens the book in the database file at path to be read whole. It refuses a path
// where no database is, and a store another process holds (ErrOwned). Otherwise it opens the
// store as Open does: the schema is migrated to the one this program knows (a newer one is
// refused with ErrNewerSchema) and a batch a crash interrupted is removed. The caller must
// Close the source.
func OpenSource(ctx context.Context, path string, logger *slog.Logger) (*Source, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening source %s: no order book there: %w", path, err)
	}
	// ask first, so that the book of a running daemon is not even migrated
	if err := probeLock(path); err != nil {
		return nil, fmt.Errorf("opening source %s: %w", path, err)
	}
	st, err := Open(ctx, path, logger)
	if err != nil {
		return nil, err
	}
	if st.lockFile == nil { // a daemon started since the probe
		st.Close()
		return nil, fmt.Errorf("opening source %s: %w", path, ErrOwned)
	}
	return &Source{st: st}, nil
}

// probeLock fails with ErrOwned when another process holds the lock of the store at path.
func probeLock(path string) error {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening the lock file: %w", err)
	}
	defer f.Close() // and with it the lock
	if err := filelock.TryLock(f); err != nil {
		if errors.Is(err, filelock.ErrLocked) {
			return ErrOwned
		}
		return fmt.Errorf("locking the lock file: %w", err)
	}
	return nil
}

// DB is the source's database, for reading only (its connections are query_only). A reader
// of the whole book takes one transaction on one connection: it then reads one snapshot.
// Contexts given to it should not be cancelled while a statement runs (see conn.go).
func (s *Source) DB() *sql.DB { return s.st.reader }

// Close closes the source and releases the store's lock.
func (s *Source) Close() error { return s.st.Close() }
