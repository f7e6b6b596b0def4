package web

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api"
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

// TestBatchResultWordsAgreeWithTheVerdict checks the good batch's answer: its colour, its
// words and its button say the same thing (every order on time, some orders late while the
// drop ships on its date, the drop late, nothing to store), the late orders are named, at most
// batchErrors of them with "and N more", and a batch too big to plan says so.
func TestBatchResultWordsAgreeWithTheVerdict(t *testing.T) {
	s := newSite(t)
	render := func(res batchResult) string {
		var b strings.Builder
		if err := s.pages.pages["en"]["batch_result"].ExecuteTemplate(&b, "batch_result", res); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	date := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	finish := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	rush := planner.LateOrder{OrderID: "RUSH-1", Due: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Predicted: finish}
	rush.LateBy = planner.Seconds(rush.Predicted.Sub(rush.Due))
	old := planner.LateOrder{WorkOrder: 7, OrderID: "OLD-1", Due: rush.Due, Predicted: rush.Due.Add(time.Hour), LateBy: planner.Seconds(time.Hour)}
	result := func(f planner.DropForecast, orders int) batchResult {
		r := batchResult{File: "b.csv", Orders: orders, Units: 2 * orders, Key: "k"}
		r.setPromise(f)
		for i := range r.Late.Rows {
			r.Late.Rows[i].Customer = "Customer of " + r.Late.Rows[i].OrderID
		}
		return r
	}
	many := planner.DropForecast{Drop: "winter", Date: date, Completion: date.Add(time.Hour)}
	for i := range 250 {
		many.Late = append(many.Late, planner.LateOrder{OrderID: fmt.Sprintf("late-%d", i), Due: date, Predicted: date.Add(time.Hour)})
	}
	tests := []struct {
		name   string
		res    batchResult
		banner string // the banner's colour class
		want   []string
		not    []string
	}{
		{"every order on time", result(planner.DropForecast{Drop: "spring", Date: date, Completion: finish, OnTime: true}, 3), "banner good",
			[]string{`data-verdict="on-time"`, `data-on-time="true"`, "The drop still ships on Mon 1 Mar 2027, and every order by its own due date", `class="primary"`, ">Store 3 orders</button>"},
			[]string{"misses", "late-orders", "anyway"}},
		{"a rush order late, the drop early", result(planner.DropForecast{Drop: "spring", Date: date, Completion: finish, OnTime: true, Late: []planner.LateOrder{rush}}, 3), "banner warn",
			[]string{`data-verdict="orders-late"`, "The drop still ships on Mon 1 Mar 2027: the plan finishes it Mon 7 Dec 2026 14:00.",
				"But 1 order would finish after its own due date</strong> (of this batch):", `<tr data-order="RUSH-1" data-new="true">`,
				"Customer of RUSH-1", "Sun 6 Dec 2026 10:00", "Mon 7 Dec 2026 14:00", ">28 h<", `class="warn"`, ">Store 3 orders, 1 of them late</button>"},
			[]string{"misses", "all good", "anyway", `class="primary"`}},
		{"an order in the book late", result(planner.DropForecast{Drop: "spring", Date: date, Completion: finish, OnTime: true, Late: []planner.LateOrder{old}}, 1), "banner warn",
			[]string{"But 1 order would finish after its own due date</strong> (already in the book, none of this batch):", `<tr data-order="OLD-1">`, ">Store 1 order</button>"},
			[]string{"misses", "in this batch</span>"}},
		{"the drop late", result(planner.DropForecast{Drop: "spring", Date: date, Completion: date.Add(48 * time.Hour), Late: []planner.LateOrder{rush, old}}, 2), "banner bad",
			[]string{`data-verdict="drop-late"`, `data-on-time="false"`, "With this batch the drop misses its date</strong> (Mon 1 Mar 2027): the plan finishes it Wed 3 Mar 2027 00:00, and 2 orders after their own due date.",
				`data-order="RUSH-1"`, `data-order="OLD-1"`, `class="danger"`, ">Store 2 orders anyway: the drop ships late</button>"},
			[]string{"still ships"}},
		{"250 late orders", result(many, 250), "banner bad",
			[]string{`data-order="late-99"`, "and 150 more late orders, 250 in all."},
			[]string{`data-order="late-100"`}},
		{"stored before", batchResult{File: "b.csv", Unchanged: 3, Key: "k"}, "banner info",
			[]string{"b.csv is already stored: all 3 of its orders are in the book as the file has them. Storing it again would change nothing.", `data-unchanged="3"`},
			[]string{"data-store", "0 orders", "all good"}},
		{"partly stored", func() batchResult {
			r := result(planner.DropForecast{Drop: "spring", Date: date, Completion: finish, OnTime: true}, 1)
			r.Unchanged = 2
			return r
		}(), "banner good",
			[]string{"b.csv: 1 order, 2 units, no problem in the file. 2 more orders of the file are in the book already, unchanged, and stay as they are.", ">Store 1 order</button>"}, nil},
		{"too many to plan", batchResult{File: "b.csv", Orders: book.MaxPreviewOrders + 1, Units: 7, TooMany: true}, "banner info",
			[]string{fmt.Sprintf("b.csv: %d orders, 7 units, no problem in the file.", book.MaxPreviewOrders+1),
				"more new orders than a promise check plans at once (100000)", "data-store"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := render(tt.res)
			if tt.banner != "" && !strings.Contains(page, `class="`+tt.banner+`"`) {
				t.Errorf("the banner is not %q:\n%s", tt.banner, page)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the answer lacks %q:\n%s", w, page)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(page, w) {
					t.Errorf("the answer has %q:\n%s", w, page)
				}
			}
		})
	}
}

// TestPagesAndAPIRefuseTheSameBatchSize checks that a limit set on the API alone bounds the
// pages' uploads too: a batch of the limit passes both, one byte more is refused by both.
func TestPagesAndAPIRefuseTheSameBatchSize(t *testing.T) {
	good := "order_id,sku,quantity\ng-1,SCARF,1\n"
	s := newSiteWith(t, func(c *api.Config) { c.MaxBatchBytes = int64(len(good)) })
	b := s.browser(t)
	if p := b.signIn("pia", "weft-and-warp"); p.url != "/planner" {
		t.Fatalf("planner sign-in landed on %s", p.url)
	}
	// The promise check reads the batch only once there is a plan.
	if err := s.planner.Replan(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	over := good + "\n"
	tests := []struct {
		name    string
		body    string
		refused bool
	}{
		{name: "of the limit", body: good},
		{name: "one byte over", body: over, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/drops/winter/promise", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+plannerToken)
			req.Header.Set("Content-Type", "text/csv")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want := http.StatusOK
			if tt.refused {
				want = http.StatusRequestEntityTooLarge
			}
			if res.StatusCode != want {
				t.Errorf("the API answered %d to %d bytes (limit %d), want %d:\n%s", res.StatusCode, len(tt.body), len(good), want, body)
			}
			p := b.upload("/planner/drops/winter/check", "batch.csv", tt.body, "")
			if got := strings.Contains(p.body, "The file is larger than"); got != tt.refused {
				t.Errorf("the pages refused %d bytes (limit %d): %v, want %v:\n%.600s", len(tt.body), len(good), got, tt.refused, p.body)
			}
			if !tt.refused && !strings.Contains(p.body, `id="batch-ok"`) {
				t.Errorf("the pages did not check a batch of the limit:\n%.600s", p.body)
			}
		})
	}
}
