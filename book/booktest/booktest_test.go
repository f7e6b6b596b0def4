package booktest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

func TestClock(t *testing.T) {
	c := booktest.NewClock(booktest.Start)
	c.Advance(90 * time.Minute)
	if want := booktest.Start.Add(90 * time.Minute); !c.Now().Equal(want) {
		t.Errorf("after Advance: %v, want %v", c.Now(), want)
	}
	later := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(later)
	if !c.Now().Equal(later) {
		t.Errorf("after Set: %v, want %v", c.Now(), later)
	}
}

// TestNew checks that a fixture's book reads its factory and clock, and that its store opens
// again at Path.
func TestNew(t *testing.T) {
	fx := booktest.New(t, "../testdata/factory.yaml")
	if len(fx.Factory.Cells) == 0 {
		t.Fatal("the factory has no cells")
	}
	if !fx.Clock.Now().Equal(booktest.Start) {
		t.Errorf("clock at %v, want %v", fx.Clock.Now(), booktest.Start)
	}
	if err := fx.Book.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := fx.Store.Close(); err != nil {
		t.Fatal(err)
	}
	booktest.Open(t, fx.Path)
}

// TestStoreKeepsWhatIsWrittenAcrossOpen checks that the address Store returns names the
// store's kind and that Open of it reaches the same data, on whichever store the run chose.
func TestStoreKeepsWhatIsWrittenAcrossOpen(t *testing.T) {
	st, addr := booktest.Store(t, "book.db")
	isURL := strings.HasPrefix(addr, "postgres://")
	if want := booktest.Kind(t) == booktest.KindPostgres; isURL != want {
		t.Fatalf("address %q on the %s store", addr, booktest.Kind(t))
	}
	ctx := context.Background()
	order := book.Order{OrderID: "O-1", Drop: "d1", SKU: "RUG", Quantity: 2, Customer: "ana", Due: booktest.Start,
		Hash: strings.Repeat("a", 64), IntakeAt: booktest.Start, Batch: "b1"}
	if err := st.Write(ctx, func(tx book.Tx) error { return tx.InsertOrder(order) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again := booktest.Open(t, addr)
	if err := again.Read(ctx, func(tx book.ReadTx) error {
		got, err := tx.Orders([]string{"O-1"})
		if err != nil {
			return err
		}
		if o, ok := got["O-1"]; !ok || o.Quantity != 2 || o.Customer != "ana" {
			t.Errorf("after Open: %+v", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
