package certify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/provenance"
)

// TestVerifiedIsBounded: of the certificates read back, the Issuer keeps at most verifiedMax,
// the one read last among them, and serves it as it was.
func TestVerifiedIsBounded(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/factory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const units = verifiedMax + 6
	f := booktest.Parse(t, "factory.yaml", bytes.Replace(raw, []byte("windows: {RUG: 10}"), []byte("windows: {RUG: 1000}"), 1))
	st, _ := booktest.Store(t, "book.db")
	clock := booktest.NewClock(booktest.Start)
	bk := book.New(book.Config{Store: st, Factory: f, Now: clock.Now})
	keys, err := provenance.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	iss := New(Config{Book: bk, Factory: f, Keys: keys, Now: clock.Now})
	rr, err := intake.NewCSV(strings.NewReader(fmt.Sprintf("order_id,sku,quantity\nB-1,RUG,%d\n", units)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bk.Import(ctx, book.ImportRequest{Drop: "winter", Rows: rr, Actor: "person:planner"}); err != nil {
		t.Fatal(err)
	}
	_, wo, err := bk.Order(ctx, "B-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		d, err := bk.WorkOrder(ctx, wo.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
			if _, err := bk.Transition(ctx, book.TransitionRequest{Operation: d.Operations[i].ID, Action: a, Actor: "person:ana"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for n := range units {
		serial := fmt.Sprintf("B-1-%d", n+1)
		issued, err := iss.Unit(ctx, serial) // issues revision 1
		if err != nil {
			t.Fatal(err)
		}
		read, err := iss.Unit(ctx, serial) // reads it back and verifies it
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(read.Certificate, issued.Certificate) {
			t.Fatalf("%s read back is another certificate than the one issued", serial)
		}
		if kept := len(iss.verified); kept > verifiedMax || iss.verified[serial] == nil {
			t.Fatalf("after reading %s: %d certificates kept (at most %d), %s among them: %v", serial, kept, verifiedMax, serial, iss.verified[serial] != nil)
		}
	}
}
