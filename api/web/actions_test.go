package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestCompleteOffersTheGoodUnits: the complete dialog first offers what the machine reports
// done at a cell with a machine, and every unit open at a cell worked by hand; never more than
// is open.
func TestCompleteOffersTheGoodUnits(t *testing.T) {
	running := func(quantity, scrapped, done int) *job {
		return &job{QueueEntry: book.QueueEntry{Operation: book.Operation{State: book.Running,
			Quantity: quantity, Scrapped: scrapped, UnitsDone: done}}}
	}
	for _, tc := range []struct {
		name       string
		live       tabletLive
		open, good int
	}{
		{"no job", tabletLive{Machine: machineView{Manual: true}}, 0, 0},
		{"by hand", tabletLive{Machine: machineView{Manual: true}, Current: running(3, 0, 0)}, 3, 3},
		{"by hand after a scrap", tabletLive{Machine: machineView{Manual: true}, Current: running(3, 1, 0)}, 2, 2},
		{"machine with nothing done", tabletLive{Current: running(2, 0, 0)}, 2, 0},
		{"machine part done", tabletLive{Current: running(5, 1, 2)}, 4, 2},
		{"machine counted past a scrap", tabletLive{Current: running(5, 2, 4)}, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if open, good := tc.live.Open(), tc.live.Good(); open != tc.open || good != tc.good {
				t.Errorf("Open, Good = %d, %d; want %d, %d", open, good, tc.open, tc.good)
			}
		})
	}
}

// TestTabletOffersTheCompleteDialog: the tablet page holds the complete dialog, with the scrap
// reasons for units short, and its live part tells the script what to offer.
func TestTabletOffersTheCompleteDialog(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,3\n")
	b := s.browser(t)
	p := b.signInPIN("dye-1", "ana", "1234")
	for _, want := range []string{`id="dialog-complete"`, `id="complete-qty"`, `id="complete-short" hidden`,
		`aria-label="Why units are short"`, `data-reason="uneven-dye"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("tablet page lacks %s", want)
		}
	}
	op := attr(t, p.body, "article", "data-op")
	if r := b.post("/api/v1/operations/"+op+"/start", `{}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := b.post("/api/v1/operations/"+op+"/scrap", `{"reason":"stain","quantity":1}`, "k2", false); r.status != http.StatusOK {
		t.Fatalf("scrap: %d %s", r.status, r.body)
	}
	live := b.get("/tablet/dye-1/live")
	// No floor runs in this test: every cell is worked by hand.
	for name, want := range map[string]string{"data-open": "2", "data-good": "2", "data-counts": "false"} {
		if got := attr(t, live.body, "section", name); got != want {
			t.Errorf("#actions %s = %q, want %q", name, got, want)
		}
	}
}
