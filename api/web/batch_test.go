package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// TestPlannerListsTheFirstProblemsOfABigBatch checks that the check and the store of a batch
// with more problems than the page lists show the first batchErrors of them by line, and count
// them all: "and N more".
func TestPlannerListsTheFirstProblemsOfABigBatch(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	if p := b.signIn("pia", "weft-and-warp"); p.url != "/planner" {
		t.Fatalf("planner sign-in landed on %s", p.url)
	}
	var bad strings.Builder
	bad.WriteString("order_id,sku,quantity\n")
	for i := range 250 {
		fmt.Fprintf(&bad, "b-%d,SCARF,0\n", i) // lines 2 to 251
	}
	header := "order_id,sku,quantity" + strings.Repeat(",extra", 120) + "\nA,SCARF,1\n"
	tests := []struct {
		name, path, file, body string
		listed, more           int
		firstLine, lastLine    int
		summary                string
	}{
		{name: "check", path: "check", file: "bad.csv", body: bad.String(), listed: batchErrors, more: 150, firstLine: 2, lastLine: 101,
			summary: "bad.csv: 250 problems in 250 rows; the first 100 are listed."},
		{name: "store", path: "store", file: "bad.csv", body: bad.String(), listed: batchErrors, more: 150, firstLine: 2, lastLine: 101,
			summary: "bad.csv: 250 problems in 250 rows; the first 100 are listed."},
		{name: "a header of many columns", path: "check", file: "wide.csv", body: header, listed: batchErrors, more: 20, firstLine: 1, lastLine: 1,
			summary: "wide.csv: 120 problems in 1 row; the first 100 are listed."},
	}
	lineRE := regexp.MustCompile(`<td class="line num">(\d+)</td>`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.upload("/planner/drops/winter/"+tt.path, tt.file, tt.body, "")
			lines := lineRE.FindAllStringSubmatch(p.body, -1)
			if len(lines) != tt.listed || lines[0][1] != fmt.Sprint(tt.firstLine) || lines[len(lines)-1][1] != fmt.Sprint(tt.lastLine) {
				t.Fatalf("%d problems listed, want %d from line %d to %d:\n%.3000s", len(lines), tt.listed, tt.firstLine, tt.lastLine, p.body)
			}
			if !strings.Contains(p.body, tt.summary) || !strings.Contains(p.body, fmt.Sprintf("and %d more problems", tt.more)) {
				t.Errorf("the page does not say %q and %d more:\n%.600s", tt.summary, tt.more, p.body)
			}
		})
	}
	if wos, err := s.book.WorkOrders(t.Context(), book.WorkOrderFilter{}); err != nil || len(wos) != 0 {
		t.Errorf("%d work orders stored from refused batches (%v)", len(wos), err)
	}

	// A short list says nothing more.
	p := b.upload("/planner/drops/winter/check", "two.csv", "order_id,sku,quantity\na,SCARF,0\nb,NOPE,1\n", "")
	if !strings.Contains(p.body, "two.csv: 2 problems in 2 rows. Nothing was stored") || strings.Contains(p.body, "more problem") {
		t.Errorf("a batch of two problems:\n%s", p.body)
	}
	// An empty file and one over the limit.
	if p := b.upload("/planner/drops/winter/check", "empty.csv", "", ""); !strings.Contains(p.body, "empty.csv is empty.") {
		t.Errorf("an empty file:\n%s", p.body)
	}
	s.pages.cfg.MaxBatchBytes = 1 << 20
	big := "order_id,sku,quantity,notes\n" + strings.Repeat("A,SCARF,1,"+strings.Repeat("n", 1000)+"\n", 1100)
	if p := b.upload("/planner/drops/winter/check", "big.csv", big, ""); !strings.Contains(p.body, "The file is larger than 1 MiB, the most one batch may be: split it.") {
		t.Errorf("a file over the limit:\n%.600s", p.body)
	}
	// The limit is the file's, whatever the form around it.
	good := "order_id,sku,quantity\ng-1,SCARF,1\n"
	s.pages.cfg.MaxBatchBytes = int64(len(good))
	if p := b.upload("/planner/drops/winter/check", "exact.csv", good, ""); !strings.Contains(p.body, `id="batch-ok"`) {
		t.Errorf("a file of the limit:\n%.600s", p.body)
	}
	s.pages.cfg.MaxBatchBytes--
	if p := b.upload("/planner/drops/winter/check", "over.csv", good, ""); !strings.Contains(p.body, "The file is larger than") {
		t.Errorf("a file one byte over the limit:\n%.600s", p.body)
	}
}

// TestBatchResultListsAtMostAPageOfLateOrders checks the good batch's answer: the late work
// orders listed are at most batchErrors, "and N more", and a batch too big to plan says so.
func TestBatchResultListsAtMostAPageOfLateOrders(t *testing.T) {
	s := newSite(t)
	render := func(res batchResult) string {
		var b strings.Builder
		if err := s.pages.pages["batch_result"].ExecuteTemplate(&b, "batch_result", res); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	f := &planner.DropForecast{Drop: "winter", Date: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)}
	for i := range 250 {
		f.Late = append(f.Late, planner.LateOrder{OrderID: fmt.Sprintf("late-%d", i)})
	}
	page := render(batchResult{File: "b.csv", Orders: 250, Units: 250, Promise: f})
	if n := strings.Count(page, "<li>late-"); n != batchErrors || !strings.Contains(page, "<li>late-99:") || strings.Contains(page, "<li>late-100:") ||
		!strings.Contains(page, "and 150 more.") || !strings.Contains(page, "250 work orders late") {
		t.Errorf("%d late orders listed:\n%.1000s", n, page)
	}
	page = render(batchResult{File: "b.csv", Orders: book.MaxPreviewOrders + 1, Units: 7, TooMany: true})
	if !strings.Contains(page, fmt.Sprintf("b.csv: %d orders, 7 units, all good.", book.MaxPreviewOrders+1)) ||
		!strings.Contains(page, "more new orders than a promise check plans at once (100000)") || !strings.Contains(page, "data-store") {
		t.Errorf("a batch too big to plan:\n%s", page)
	}
}
