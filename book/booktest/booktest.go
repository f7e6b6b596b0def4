// Package booktest provides the set-up the tests of several packages share: a factory parsed
// from a test file, an order book on a fresh store, a clock the test moves, and a store whose
// database the test makes unreachable ([Away]). It is for tests only, as net/http/httptest is.
//
// The store is SQLite's, in the test's temporary directory, or PostgreSQL's, a fresh database
// on the server of store/postgres/pgtest, when CELLFORGE_TEST_STORE=postgres: the same tests
// run on both stores (see store.go).
//
// It imports book, configs, configs/profiles (the built-in device profiles the test factories'
// machines name), store/sqlite, store/postgres and its pgtest; book's own internal tests
// (package book) cannot
// use it, since that would make an import cycle, but its external tests (package book_test) and
// the tests of any other package can. No package but a test may import it.
package booktest

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
)

// Start is the time a Fixture's clock starts at: 8:00 UTC on Monday 2 November 2026.
var Start = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// Clock is a settable time source, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set sets the clock to now.
func (c *Clock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Factory parses the factory file at path (a testdata path of the caller) with the built-in
// device profiles, failing t when it cannot be read or parsed.
func Factory(t testing.TB, path string) *configs.Factory {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(t, path, raw)
}

// Parse parses raw as the factory file name (for a factory a test writes or alters), failing t
// when it does not parse.
func Parse(t testing.TB, name string, raw []byte) *configs.Factory {
	t.Helper()
	catalogue, err := profiles.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	f, err := configs.Parse(name, raw, catalogue)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Fixture is an order book of a factory on a fresh store, with the clock it reads.
type Fixture struct {
	Book    *book.Book
	Store   Backend
	Factory *configs.Factory
	Clock   *Clock
	Path    string // the store's address: its file, or its database's URL (Open opens it again)
}

// New parses the factory file at path and returns a book of it on a new store (named book.db
// in t's temporary directory on SQLite), reading a Clock set to Start.
func New(t testing.TB, path string) *Fixture {
	t.Helper()
	f := Factory(t, path)
	st, dbPath := Store(t, "book.db")
	c := NewClock(Start)
	return &Fixture{Book: book.New(book.Config{Store: st, Factory: f, Now: c.Now}), Store: st, Factory: f, Clock: c, Path: dbPath}
}
