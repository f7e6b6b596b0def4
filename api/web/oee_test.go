package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestDashboardOEESection: the dashboard fetches its effectiveness section, which shows each
// cell's OEE, the Pareto with a stop awaiting its reason said as such, first-pass yield per SKU
// (2 scarves at each of their 2 steps) and the open drop's margin, each part with its CSV.
func TestDashboardOEESection(t *testing.T) {
	s := newSite(t)
	f := s.book.Factory()
	f.Stops.Prompt = 0 // every stop counts, however short: the site's clock is the wall's
	f.Products[0].Price = 3900
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,2\nw-2,SCARF,1\n")
	ctx := context.Background()
	for range 2 { // w-1 whole: both its operations
		q, err := s.book.Queue(ctx, "dye-1", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 0 || q[0].OrderID != "w-1" {
			q, _ = s.book.Queue(ctx, "pack-1", 1)
		}
		for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
			if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: q[0].ID, Action: a, Actor: "person:ana"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []book.StopCondition{{Kind: book.StopFault, Reason: "breakdown"}, {}, {Kind: book.StopIdle}} {
		if _, err := s.book.TrackStop(ctx, "dye-1", c); err != nil {
			t.Fatal(err)
		}
	}

	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	if p := b.get("/manager"); !strings.Contains(p.body, `hx-get="/manager/oee"`) {
		t.Fatalf("the dashboard does not fetch its OEE section")
	}
	p := b.get("/manager/oee")
	if p.status != http.StatusOK {
		t.Fatalf("/manager/oee: %d %s", p.status, p.body)
	}
	for _, want := range []string{
		`<tr data-cell="dye-1">`, `<tr data-cell="pack-1">`, `<tr data-cell="floor">`,
		`<tr data-reason="awaiting"><th scope="row"><em>Awaiting a reason</em>`, `<tr data-reason="breakdown">`,
		`<tr data-sku="SCARF"><th scope="row">SCARF</th><td class="num">4</td><td class="num">4</td><td class="num yield">100.0 %</td>`,
		`<tr data-margin-drop="winter">`, `href="/manager/stops"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the section lacks %s", want)
		}
	}
	for _, name := range oeeParts {
		if !strings.Contains(p.body, `href="/manager/oee/`+name+`.csv"`) {
			t.Errorf("no CSV link of %s", name)
		}
	}
	for _, c := range []struct {
		name, header, row string
	}{
		{"oee", "cell,period,from,availability_pct", "dye-1,today,"},
		{"oee-trend", "cell,day,availability_pct", "pack-1,"},
		{"losses", "cell,planned_minutes,breakdowns_minutes", "floor,"},
		{"pareto", "reason,label,planned,loss,count,minutes,cumulative_pct", "awaiting,Awaiting a reason,false,breakdowns,1,"},
		{"fpy", "sku,first_pass,total,yield_pct", "SCARF,4,4,100.0"},
		{"margins", "drop,sku,currency", "winter,SCARF,"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := b.get("/manager/oee/" + c.name + ".csv")
			if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(p.header.Get("Content-Disposition"), `filename="`+c.name+"-") {
				t.Fatalf("%d %v", p.status, p.header)
			}
			rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(strings.Join(rows[0], ","), c.header) {
				t.Errorf("header %v, want %s", rows[0], c.header)
			}
			found := false
			for _, r := range rows[1:] {
				found = found || strings.HasPrefix(strings.Join(r, ","), c.row)
			}
			if !found {
				t.Errorf("no row %s in\n%s", c.row, p.body)
			}
		})
	}
	if p := b.get("/manager/oee/nope.csv"); p.status != http.StatusNotFound {
		t.Errorf("an unknown table: %d", p.status)
	}
}
