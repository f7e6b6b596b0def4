package postgres

import (
	"context"
	"testing"

	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/storetest"
)

// The PostgreSQL store's own tests use the fixtures and comparisons of the conformance suite
// (storetest's exported helpers); these are what only they need: stores on the test server's
// databases, and statements on a database outside the book's transactions.

// t0 is the tests' "now", the suite's.
var t0 = storetest.T0

// openTest opens a store on a new database that is closed when the test ends; the string
// is the database's URL, for a second store on it.
func openTest(tb testing.TB) (*Store, string) {
	tb.Helper()
	url := pgtest.URL(tb)
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, url
}

// openAt opens another store on the database at url, as a second daemon would; it is closed
// when the test ends.
func openAt(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), url, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// sqlOK runs a statement on the store's database outside any book transaction.
func sqlOK(tb testing.TB, s *Store, sql string, args ...any) {
	tb.Helper()
	if _, err := s.pool.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// explain returns the plan of a statement as PostgreSQL would run it on the rows there are,
// as one text.
func explain(tb testing.TB, s *Store, sql string, args ...any) string {
	tb.Helper()
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			tb.Fatal(err)
		}
		plan += line + "\n"
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return plan
}
