package booktest_test

import (
	"context"
	"testing"
	"time"

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
