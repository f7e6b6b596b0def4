package netstore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

func TestOpenMigratesOnceAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st, url := openTest(t)
	// a second hub process on the same database finds it migrated
	st2, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	st2.Close()
	if _, err := st.pool.Exec(ctx, `INSERT INTO network.schema_migrations VALUES (1000, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, url); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("opening a newer schema: %v, want ErrNewerSchema", err)
	}
}

func TestSharesADatabaseWithABook(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	b, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("opening the book: %v", err)
	}
	defer b.Close()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("opening the network's store beside a book: %v", err)
	}
	defer s.Close()
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders([]network.Order{order("A-1", 1)}) })
	// the book's orders table is another table: the book holds no order
	var n int
	if err := b.Read(ctx, func(tx book.ReadTx) error {
		orders, err := tx.Orders([]string{"A-1"})
		n = len(orders)
		return err
	}); err != nil || n != 0 {
		t.Fatalf("the book's orders: %d, %v; want none", n, err)
	}
	var tables int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'network'`).Scan(&tables); err != nil || tables != 7 {
		t.Fatalf("tables of the schema network: %d, %v; want sites, orders, routes, repairs, repair_routes, idempotency, schema_migrations", tables, err)
	}
}

func TestWriteAppliesAllOrNothing(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Write(ctx, func(tx network.Tx) error {
		if err := tx.PutSite(network.Site{ID: "porto", Name: "Porto"}); err != nil {
			return err
		}
		if err := tx.InsertOrders([]network.Order{order("A-1", 1)}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Write: %v, want fn's error as is", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a panic of fn did not go on")
			}
		}()
		s.Write(ctx, func(tx network.Tx) error {
			tx.PutSite(network.Site{ID: "lisbon"})
			panic("boom")
		})
	}()
	// a conflict late in a write undoes what came before it
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders([]network.Order{order("B-1", 1)}) })
	err = s.Write(ctx, func(tx network.Tx) error {
		if err := tx.PutSite(network.Site{ID: "madrid"}); err != nil {
			return err
		}
		return tx.InsertOrders([]network.Order{order("C-1", 1), order("B-1", 2)})
	})
	wantErr(t, "inserting an order id already stored", err, ErrConflict)
	read(t, s, func(tx network.ReadTx) error {
		sites, err := tx.Sites()
		same(t, "sites after the failed writes", sites, []network.Site(nil))
		orders, _ := tx.Orders(network.OrderFilter{})
		same(t, "orders after the failed writes", orders, []network.Order{storedOrder(order("B-1", 1))})
		return err
	})
}

// TestWritesRunOneAtATime has writers read an order and write it back with one more unit
// made: a write that did not see the one before it would lose a unit.
func TestWritesRunOneAtATime(t *testing.T) {
	s, url := openTest(t)
	s2, err := Open(context.Background(), url) // a second process on the database
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	write(t, s, func(tx network.Tx) error { return tx.InsertOrders([]network.Order{order("A-1", 1)}) })
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		st := []*Store{s, s2}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- st.Write(context.Background(), func(tx network.Tx) error {
					o, _, err := tx.Order("A-1")
					if err != nil {
						return err
					}
					o.Made++
					return tx.UpdateOrder(o)
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	read(t, s, func(tx network.ReadTx) error {
		o, _, err := tx.Order("A-1")
		if o.Made != writers*each {
			t.Errorf("made %d after %d writes of one more, want %d", o.Made, writers*each, writers*each)
		}
		return err
	})
}

func TestUnavailableServer(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	s, err := Open(ctx, srv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv.Stop()
	err = s.Read(ctx, func(tx network.ReadTx) error { _, err := tx.Sites(); return err })
	wantErr(t, "reading with the server stopped", err, book.ErrUnavailable)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.PutSite(network.Site{ID: "porto"}) })
	wantErr(t, "writing with the server stopped", err, book.ErrUnavailable)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	write(t, s, func(tx network.Tx) error { return tx.PutSite(network.Site{ID: "porto"}) })
	_, err = Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	wantErr(t, "opening a server that is not there", err, book.ErrUnavailable)
}

func TestTextsWithNUL(t *testing.T) {
	s, _ := openTest(t)
	read(t, s, func(tx network.ReadTx) error {
		_, ok, err := tx.Order("A\x00")
		if ok || err != nil {
			t.Errorf("Order of an id with NUL: %v, %v; want none", ok, err)
		}
		return nil
	})
	err := s.Write(context.Background(), func(tx network.Tx) error {
		return tx.InsertOrders([]network.Order{order("A\x001", 1)})
	})
	if err == nil || errors.Is(err, book.ErrUnavailable) {
		t.Errorf("inserting an order id with NUL: %v, want a refusal", err)
	}
}
