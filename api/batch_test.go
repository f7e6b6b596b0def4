package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/cells/planner"
)

// TestRefusedBatchListsTheFirstProblems checks the answer to a refused batch: the first
// problems by line, at most Config.MaxErrors of them, each with its line, column and reason,
// the count of every problem and every bad row, and whether the list leaves some out.
func TestRefusedBatchListsTheFirstProblems(t *testing.T) {
	badRows := func(n int) string {
		var b strings.Builder
		b.WriteString("order_id,sku,quantity\n")
		for i := range n {
			fmt.Fprintf(&b, "B-%d,SCARF,0\n", i) // lines 2 to n+1
		}
		return b.String()
	}
	tests := []struct {
		name      string
		maxErrors int // 0: the default
		path      string
		body      string
		listed    int
		firstLine int
		problems  int
		badRows   int
	}{
		{name: "more bad rows than the default lists", path: "orders", body: badRows(1200),
			listed: book.DefaultMaxErrors, firstLine: 2, problems: 1200, badRows: 1200},
		{name: "a configured list", maxErrors: 5, path: "orders", body: badRows(12),
			listed: 5, firstLine: 2, problems: 12, badRows: 12},
		{name: "a list that holds every problem", maxErrors: 5, path: "orders", body: badRows(3),
			listed: 3, firstLine: 2, problems: 3, badRows: 3},
		{name: "several problems in one row", maxErrors: 4, path: "orders", body: "order_id,sku,quantity\n,,\n,NOPE,x\n",
			listed: 4, firstLine: 2, problems: 5, badRows: 2},
		{name: "the header's problems", maxErrors: 5, path: "orders", body: "order_id,sku,quantity,a,b,c,d,e,f,g\nA,SCARF,1\n",
			listed: 5, firstLine: 1, problems: 7, badRows: 1},
		{name: "the promise check", maxErrors: 5, path: "promise", body: badRows(12),
			listed: 5, firstLine: 2, problems: 12, badRows: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServerConfig(t, func(c *Config) { c.MaxErrors = tt.maxErrors })
			if err := ts.planner.Replan(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			r := ts.do(t, "POST", "/api/v1/drops/winter/"+tt.path, plannerToken, "text/csv", tt.body)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %.300s", r.status, r.body)
			}
			var e errorBody
			r.json(t, &e)
			d := e.Error
			if d.Code != codeBatchRejected || len(d.Rows) != tt.listed || d.Problems != tt.problems || d.BadRows != tt.badRows ||
				d.Truncated == nil || *d.Truncated != (tt.problems > tt.listed) {
				t.Fatalf("code %s, %d rows listed, %d problems in %d bad rows, truncated %v (said: %v); want %d listed, %d problems in %d bad rows",
					d.Code, len(d.Rows), d.Problems, d.BadRows, d.Truncated != nil && *d.Truncated, d.Truncated != nil, tt.listed, tt.problems, tt.badRows)
			}
			for i, row := range d.Rows {
				if row.Line < tt.firstLine || (i > 0 && row.Line < d.Rows[i-1].Line) || row.Reason == "" {
					t.Errorf("row %d: %+v, after %+v", i, row, d.Rows[max(i-1, 0)])
				}
			}
			if d.Rows[0].Line != tt.firstLine {
				t.Errorf("the first problem listed is on line %d, want %d", d.Rows[0].Line, tt.firstLine)
			}
			if want := fmt.Sprintf("%d problem(s) in %d row(s)", tt.problems, tt.badRows); !strings.Contains(d.Message, want) {
				t.Errorf("message %q does not say %q", d.Message, want)
			}
		})
	}
}

// TestBatchBoundBelowOneIsTheDefault checks that a batch bound of zero or less is the default,
// as the web pages take it (Server.MaxBatchBytes), and not a bound that refuses every batch.
func TestBatchBoundBelowOneIsTheDefault(t *testing.T) {
	for _, bound := range []int64{0, -1} {
		ts := newTestServerConfig(t, func(c *Config) { c.MaxBatchBytes = bound })
		if got := ts.api.MaxBatchBytes(); got != DefaultMaxBatchBytes {
			t.Errorf("MaxBatchBytes %d: the server bounds batches at %d bytes, want the default %d", bound, got, DefaultMaxBatchBytes)
		}
	}
}

// TestBatchLimits checks the defaults of the batch limits and the answer to a batch over the
// size limit, which says what the limit is and why.
func TestBatchLimits(t *testing.T) {
	ts := newTestServer(t)
	if ts.api.maxBatch != DefaultMaxBatchBytes || ts.api.maxErrs != book.DefaultMaxErrors {
		t.Errorf("defaults: %d bytes, %d problems; want %d and %d", ts.api.maxBatch, ts.api.maxErrs, DefaultMaxBatchBytes, book.DefaultMaxErrors)
	}
	small := newTestServerConfig(t, func(c *Config) { c.MaxBatchBytes = 1 << 20 })
	if err := small.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	body := "order_id,sku,quantity,notes\n" + strings.Repeat("A,SCARF,1,"+strings.Repeat("n", 1000)+"\n", 1100)
	for _, path := range []string{"orders", "promise"} {
		r := small.do(t, "POST", "/api/v1/drops/winter/"+path, plannerToken, "text/csv", body)
		var e errorBody
		r.json(t, &e)
		if r.status != http.StatusRequestEntityTooLarge || e.Error.Code != codeTooLarge ||
			!strings.Contains(e.Error.Message, "larger than 1 MiB") || !strings.Contains(e.Error.Message, "Split it") {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
}

// TestPromiseOfTooManyOrders checks that a good batch of more new orders than a promise check
// plans is answered 413 with its figures, before anything is planned.
func TestPromiseOfTooManyOrders(t *testing.T) {
	if raceDetector {
		t.Skip("more orders than a promise plans, in one goroutine, race nothing: checked in the pass without the race detector")
	}
	raw, err := os.ReadFile("testdata/factory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The winter drop with room for them.
	yaml := strings.Replace(string(raw), "windows: {SCARF: 100}", "windows: {SCARF: 1000000}", 1)
	f := booktest.Parse(t, "bulk.yaml", []byte(yaml))
	st, _ := booktest.Store(t, "bulk.db")
	b := book.New(book.Config{Store: st, Factory: f})
	pl := planner.New(planner.Config{Book: b, Factory: f, Search: 10 * time.Millisecond, Seed: 1})
	if err := pl.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Book: b, Sessions: st, Lockouts: st, BcryptCost: 4, Planner: pl})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	ts := &testServer{Server: hs}
	var body strings.Builder
	body.WriteString("order_id,sku,quantity\n")
	for i := range book.MaxPreviewOrders + 1 {
		fmt.Fprintf(&body, "%x,SCARF,1\n", i)
	}
	r := ts.do(t, "POST", "/api/v1/drops/winter/promise", plannerToken, "text/csv", body.String())
	var e errorBody
	r.json(t, &e)
	want := fmt.Sprintf("the batch is good: %d new orders, %d units; a promise check plans at most %d new orders at once",
		book.MaxPreviewOrders+1, book.MaxPreviewOrders+1, book.MaxPreviewOrders)
	if r.status != http.StatusRequestEntityTooLarge || e.Error.Code != codeTooLarge || !strings.Contains(e.Error.Message, want) {
		t.Errorf("%d %s, want 413 saying %q", r.status, r.body, want)
	}
}
