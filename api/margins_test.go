package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/margin"
)

// TestDropMargin: a drop's margin as its roles read it, as JSON and CSV, first with no price
// (no revenue, no margin %), then priced and partly made (the actual side from what was
// measured), and every drop's margin.
func TestDropMargin(t *testing.T) {
	ts := newTestServer(t)
	f := ts.book.Factory()
	f.Currency = "EUR"
	for i := range f.Cells {
		f.Cells[i].LabourRate, f.Cells[i].MachineRate = 1800, 600 // 24.00 an hour
	}
	f.Products[0].Routing[0].MaterialCost = 700
	op := ts.firstOp(t, "A") // two scarves: weave 40 minutes, pack 4
	type margins struct {
		Currency string          `json:"currency"`
		Drops    []margin.Margin `json:"drops"`
	}

	t.Run("no price", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/v1/drops/winter/margin", managerToken, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("margin: %d %s", r.status, r.body)
		}
		if !strings.Contains(string(r.body), `"margin_pct":null`) {
			t.Errorf("margin %s: want a margin %% of null without revenue", r.body)
		}
		var m margin.Margin
		r.json(t, &m)
		// Predicted: 40 + 4 minutes at 24.00 = 17.60, and 2 x 7.00 of material.
		p := m.Total.Predicted
		if p.Revenue != 0 || p.TimeCost != 1760 || p.MaterialCost != 1400 || p.Margin != -3160 || p.MarginPct != nil {
			t.Errorf("predicted %+v, want no revenue, 17.60 of time, 14.00 of material, -31.60", p)
		}
	})

	f.Products[0].Price = 3900
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/start", operatorToken, "application/json", `{}`); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	ts.advance(30 * time.Minute)
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/complete", operatorToken, "application/json", `{}`); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}

	t.Run("partly made", func(t *testing.T) {
		var m margin.Margin
		r := ts.do(t, "GET", "/api/v1/drops/winter/margin", plannerToken, "", "")
		r.json(t, &m)
		// Actual: the weave's 30 minutes measured (12.00) and its 2 units' material (14.00);
		// no unit finished yet.
		a := m.Total.Actual
		if a.Revenue != 0 || a.TimeCost != 1200 || a.MaterialCost != 1400 || a.Margin != -2600 || a.Hours != 0.5 {
			t.Errorf("actual %+v, want 12.00 of time and 14.00 of material", a)
		}
		// Predicted: 2 x 39.00; the weave as measured and the packing's 4 minutes (1.60).
		p := m.Total.Predicted
		if p.Revenue != 7800 || p.TimeCost != 1360 || p.Margin != 7800-1360-1400 || p.MarginPct == nil || *p.MarginPct != 64.6 {
			t.Errorf("predicted %+v, want 78.00 of revenue, 13.60 of time, 64.6 %%", p)
		}
	})

	t.Run("csv", func(t *testing.T) {
		for _, ask := range []struct{ query, accept string }{{"?format=csv", ""}, {"", "text/csv"}} {
			r := ts.do(t, "GET", "/api/v1/drops/winter/margin"+ask.query, managerToken, "", "", "Accept", ask.accept)
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV margin: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if got := r.header.Get("Content-Disposition"); got != `attachment; filename="margin-winter.csv"` {
				t.Errorf("Content-Disposition %q", got)
			}
			rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{MarginCSVHeader,
				{"winter", "SCARF", "EUR", "39.00", "2", "78.00", "13.60", "14.00", "0.57", "50.40", "64.6", "0", "0.00", "12.00", "14.00", "0.00", "0.50", "-26.00", ""},
				{"winter", "total", "EUR", "", "2", "78.00", "13.60", "14.00", "0.57", "50.40", "64.6", "0", "0.00", "12.00", "14.00", "0.00", "0.50", "-26.00", ""}}
			if len(rows) != len(want) {
				t.Fatalf("CSV margin = %q, want %q", rows, want)
			}
			for i := range want {
				if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
					t.Errorf("CSV row %d = %q, want %q", i, rows[i], want[i])
				}
			}
		}
	})

	t.Run("every drop", func(t *testing.T) {
		var all margins
		r := ts.do(t, "GET", "/api/v1/margins", managerToken, "", "")
		r.json(t, &all)
		if r.status != http.StatusOK || all.Currency != "EUR" || len(all.Drops) != len(f.Drops) || all.Drops[0].Drop != "winter" ||
			all.Drops[0].Total.Predicted.Revenue != 7800 || all.Drops[1].Total.Predicted.MarginPct != nil {
			t.Errorf("margins: %d %s", r.status, r.body)
		}
		r = ts.do(t, "GET", "/api/v1/margins?format=csv", "admin-token-000000000001", "", "")
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil || r.status != http.StatusOK || len(rows) != 1+2+len(f.Drops)-1 {
			t.Errorf("margins as CSV: %d %q %v", r.status, rows, err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, token string
			status            int
		}{
			{"unknown drop", "/api/v1/drops/autumn/margin", managerToken, http.StatusNotFound},
			{"an operator", "/api/v1/drops/winter/margin", operatorToken, http.StatusForbidden},
			{"an operator, every drop", "/api/v1/margins", operatorToken, http.StatusForbidden},
			{"no credentials", "/api/v1/margins", "", http.StatusUnauthorized},
			{"a format unknown", "/api/v1/margins?format=xls", managerToken, http.StatusBadRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := ts.do(t, "GET", tc.path, tc.token, "", ""); r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
				}
			})
		}
	})
}

// TestMarginRows: a text cell a spreadsheet would take for a formula starts with a quote, a
// comma is quoted by the CSV, and a negative amount stays a number.
func TestMarginRows(t *testing.T) {
	pct := 12.5
	m := margin.Margin{Drop: "winter", Currency: "EUR", Lines: []margin.Line{
		{SKU: "=HYPERLINK(\"x\")", Price: 100, Predicted: margin.Figures{Units: 1, Revenue: 100, Margin: -5, MarginPct: &pct}},
		{SKU: "RUG,S", Actual: margin.Figures{ScrapCost: 250, Hours: 1.25}},
	}}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(MarginRows(m)); err != nil {
		t.Fatal(err)
	}
	want := `winter,"'=HYPERLINK(""x"")",EUR,1.00,1,1.00,0.00,0.00,0.00,-0.05,12.5,0,0.00,0.00,0.00,0.00,0.00,0.00,
winter,"RUG,S",EUR,0.00,0,0.00,0.00,0.00,0.00,0.00,,0,0.00,0.00,0.00,2.50,1.25,0.00,
winter,total,EUR,,0,0.00,0.00,0.00,0.00,0.00,,0,0.00,0.00,0.00,0.00,0.00,0.00,
`
	if b.String() != want {
		t.Errorf("rows:\n%s\nwant:\n%s", b.String(), want)
	}
}
