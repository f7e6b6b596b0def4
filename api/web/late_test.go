package web

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestARushOrderIsLateWhileItsDropShipsOnTime: one rush order due before the floor can make it,
// in a drop whose date is far off. The drop reads on track everywhere; the order reads late and
// named (id, customer, due, planned finish) in the promise check, on the drop page and on the
// dashboard; checking the stored batch again says it is stored and offers no button.
func TestARushOrderIsLateWhileItsDropShipsOnTime(t *testing.T) {
	s := newSite(t)
	if err := s.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signIn("pia", "weft-and-warp")
	// Ten scarves take the dye vat 200 minutes: not done within the hour. Winter ships on
	// 10 Jan 2027.
	due := time.Now().Add(time.Hour).UTC().Truncate(time.Minute)
	batch := fmt.Sprintf("order_id,sku,quantity,customer,due\nRUSH-1,SCARF,10,Hana Sato,%s\nCALM-1,SCARF,1,Ida Berg,\n", due.Format(time.RFC3339))
	dueText := due.In(s.pages.loc).Format("Mon 2 Jan 2006 15:04")

	check := b.upload("/planner/drops/winter/check", "rush.csv", batch, "")
	ok := regexp.MustCompile(`(?s)<div id="batch-ok" class="banner (\w+)" role="status" data-verdict="([a-z-]+)">.*?</div>`).FindStringSubmatch(check.body)
	if ok == nil {
		t.Fatalf("check:\n%s", check.body)
	}
	for _, want := range []string{`data-on-time="true"`, "The drop still ships on Sun 10 Jan 2027", "But 1 order would finish after its own due date",
		`<tr data-order="RUSH-1" data-new="true">`, "Hana Sato", dueText, ">Store 2 orders, 1 of them late</button>"} {
		if !strings.Contains(ok[0], want) {
			t.Errorf("the promise lacks %q:\n%s", want, ok[0])
		}
	}
	if ok[1] != "warn" || ok[2] != "orders-late" || strings.Contains(ok[0], "misses its date") || strings.Contains(ok[0], "all good") {
		t.Errorf("the promise is %s, %s; want warn, orders-late, without \"misses its date\" or \"all good\":\n%s", ok[1], ok[2], ok[0])
	}
	key := regexp.MustCompile(`"Idempotency-Key": "([^"]+)"`).FindStringSubmatch(check.body)
	if p := b.upload("/planner/drops/winter/store", "rush.csv", batch, key[1]); !strings.Contains(p.body, "2 new orders") {
		t.Fatalf("store:\n%s", p.body)
	}
	if err := s.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}

	named := func(page, where string) {
		t.Helper()
		row := regexp.MustCompile(`(?s)<tr data-order="RUSH-1">.*?</tr>`).FindString(page)
		for _, want := range []string{"Hana Sato", dueText, `class="finish"`} {
			if !strings.Contains(row, want) {
				t.Errorf("%s: the late order's row lacks %q:\n%s", where, want, row)
			}
		}
		if strings.Contains(page, `data-order="CALM-1"`) {
			t.Errorf("%s names CALM-1 late", where)
		}
	}
	drop := b.get("/planner/drops/winter")
	if !strings.Contains(drop.body, `<p id="drop-status" data-status="on-track">`) || !strings.Contains(drop.body, "1 order late") {
		t.Errorf("drop page status:\n%s", regexp.MustCompile(`(?s)<p id="drop-status".*?</p>`).FindString(drop.body))
	}
	named(drop.body, "drop page")
	// The SKU window's sold figure beside its bar: 11 scarves of 100.
	if !regexp.MustCompile(`aria-valuenow="11"><span style="width: 11%"></span></div><span class="sold-figure num">11%</span>`).MatchString(drop.body) {
		t.Errorf("the SCARF window's sold figure:\n%s", regexp.MustCompile(`(?s)<td class="sold">.*?</td>`).FindString(drop.body))
	}
	dash := b.get("/manager")
	if !strings.Contains(dash.body, `<tr data-drop="winter" data-status="on-track">`) {
		t.Errorf("dashboard's winter row:\n%s", regexp.MustCompile(`(?s)<tr data-drop="winter".*?</tr>`).FindString(dash.body))
	}
	named(dash.body, "dashboard")

	again := b.upload("/planner/drops/winter/check", "rush.csv", batch, "")
	if !strings.Contains(again.body, "rush.csv is already stored: both its orders are in the book") || strings.Contains(again.body, "data-store") {
		t.Errorf("checking the stored batch again:\n%s", again.body)
	}
	// One more order with the stored ones: one to store, two already in.
	more := batch + "NEW-1,SCARF,1,Jo Lee,\n"
	if p := b.upload("/planner/drops/winter/check", "more.csv", more, ""); !strings.Contains(p.body, "more.csv: 1 order, 1 unit, no problem in the file. 2 more orders of the file are in the book already") ||
		!strings.Contains(p.body, ">Store 1 order") {
		t.Errorf("checking a batch partly stored:\n%s", p.body)
	}
}

// TestTurnaroundThisWeekAndLast: the dashboard's turnaround of this week (from Monday), of last
// week and of all time, over every drop.
func TestTurnaroundThisWeekAndLast(t *testing.T) {
	loc := time.FixedZone("studio", 3600)
	now := time.Date(2026, 12, 9, 10, 0, 0, 0, loc) // a Wednesday
	done := func(completed time.Time, took time.Duration) book.Completion {
		return book.Completion{IntakeAt: completed.Add(-took), CompletedAt: completed}
	}
	monday := time.Date(2026, 12, 7, 0, 0, 0, 0, loc)
	completions := map[string][]book.Completion{
		"winter": {
			done(monday.Add(time.Hour), 2*time.Hour),            // this week
			done(monday.Add(-time.Minute), 4*time.Hour),         // last week, Sunday night
			done(monday.AddDate(0, 0, -7), 6*time.Hour),         // last week, Monday midnight
			done(monday.AddDate(0, 0, -7).Add(-1), 8*time.Hour), // the week before
		},
		"spring": {done(now.Add(-time.Minute), 10*time.Second)}, // this week
	}
	rows := turnaroundPeriods(completions, now, loc)
	tests := []struct {
		period      string
		count       int
		median, p90 time.Duration
		from, to    time.Time
	}{
		{periodThisWeek, 2, 10 * time.Second, 2 * time.Hour, monday, monday.AddDate(0, 0, 7)},
		{periodLastWeek, 2, 4 * time.Hour, 6 * time.Hour, monday.AddDate(0, 0, -7), monday},
		{periodAll, 5, 4 * time.Hour, 8 * time.Hour, time.Time{}, time.Time{}},
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d periods, want %d", len(rows), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			r := rows[i]
			if r.Period != tt.period || r.Turnaround.Count != tt.count || r.Turnaround.Median != tt.median || r.Turnaround.P90 != tt.p90 ||
				!r.From.Equal(tt.from) || !r.To.Equal(tt.to) {
				t.Errorf("%s: %d completed, median %v, p90 %v, %v to %v; want %d, %v, %v, %v to %v", r.Period, r.Turnaround.Count,
					r.Turnaround.Median, r.Turnaround.P90, r.From, r.To, tt.count, tt.median, tt.p90, tt.from, tt.to)
			}
		})
	}
}
