package network_test

import (
	"context"
	"testing"

	. "github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/postgres/netstore"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// testStore returns the book a test's hub keeps: the network's store on a new PostgreSQL
// database of its own.
func testStore(t *testing.T) Store {
	t.Helper()
	s, err := netstore.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
