package book

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/intake"
)

// TestHeldRowsGiveBackWhatWasHeld checks that a row held whole comes back as intake made it,
// and that an order id is found again across the table's growth and the arena's chunks.
func TestHeldRowsGiveBackWhatWasHeld(t *testing.T) {
	rows := []intake.Row{
		{Line: 2, OrderID: "A-1", SKU: "RUG", Quantity: 1},
		{Line: 3, OrderID: "Ünïcødé-✓", SKU: "SCARF", Quantity: intake.MaxQuantity, Customer: "Ines “the weaver”",
			Priority: intake.MinPriority, Due: time.Date(2027, 1, 9, 23, 59, 59, 123456789, time.UTC), Notes: strings.Repeat("n", intake.MaxNotesLen)},
		{Line: 1 << 30, OrderID: strings.Repeat("z", intake.MaxIDLen), SKU: "RUG", Quantity: 7, Priority: intake.MaxPriority,
			Due: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)},
	}
	h := newHeldRows()
	for _, r := range rows {
		if _, ok := h.first(r.OrderID); ok {
			t.Fatalf("%s found before it was held", r.OrderID)
		}
		if err := h.add(r, false); err != nil {
			t.Fatal(err)
		}
	}
	// Enough bad rows, held by their ids, to grow the table several times and fill more than
	// one chunk of the arena and of the rows.
	const many = 3 * rowChunk
	long := strings.Repeat("x", 60)
	for i := range many {
		id := fmt.Sprintf("%s-%06d", long, i)
		if _, ok := h.first(id); ok {
			t.Fatalf("%s found before it was held", id)
		}
		if err := h.add(intake.Row{Line: 10 + i, OrderID: id, SKU: "NOPE", Quantity: 1, Notes: "left out"}, true); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.text) < 2 || len(h.rows) < 3 {
		t.Fatalf("%d text chunks, %d row chunks: the test does not cross chunks", len(h.text), len(h.rows))
	}
	for i, want := range rows {
		got := h.intakeRow(h.row(i))
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || !got.Due.Equal(want.Due) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, want)
		}
		if f, ok := h.first(want.OrderID); !ok || f != h.row(i) {
			t.Errorf("%s: found %+v, want row %d", want.OrderID, f, i)
		}
	}
	for i := range many {
		id := fmt.Sprintf("%s-%06d", long, i)
		f, ok := h.first(id)
		if !ok || int(f.line) != 10+i || string(h.id(f)) != id || !h.bad(f) {
			t.Fatalf("%s: found %+v", id, f)
		}
	}
}
