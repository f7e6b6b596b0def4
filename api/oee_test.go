package api

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// TestOEEReports: the stops of newStopsServer (weave-1: 10 minutes idle without a reason, 3
// minutes of a fault the machine named breakdown, 6 minutes lost and still open) and two scarves
// woven, as OEE, losses, Pareto and first-pass yield, JSON and CSV, against figures by hand.
func TestOEEReports(t *testing.T) {
	ts, stops := newStopsServer(t)
	op := ts.firstOp(t, "A") // two scarves at weave-1, 20 minutes each
	start := stops[0].Start
	if r := ts.do(t, "POST", "/api/v1/dispatch", plannerToken, "", ""); r.status != http.StatusOK {
		t.Fatalf("dispatch: %d %s", r.status, r.body)
	}
	for _, a := range []string{"start", "complete"} {
		if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/"+a, operatorToken, "application/json", `{}`); r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	ts.advance(time.Minute) // a report counts what happened before now
	// One shift a day, from 90 minutes before the first stop: the window by shift is one bucket
	// whatever the time of day the test runs at.
	sh := start.Add(-90 * time.Minute)
	ts.book.Factory().Stops.Shifts = []configs.Shift{{Name: "all", Start: time.Duration(sh.Hour())*time.Hour + time.Duration(sh.Minute())*time.Minute}}
	window := "from=" + url.QueryEscape(start.Add(-time.Hour).Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(start.Add(time.Hour).Format(time.RFC3339Nano))

	t.Run("oee", func(t *testing.T) {
		var v oeeView
		r := ts.do(t, "GET", "/api/v1/oee?cell=weave-1&by=shift&"+window, managerToken, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		r.json(t, &v)
		if len(v.Cells) != 1 || v.Cells[0].Cell != "weave-1" || len(v.Cells[0].Buckets) != len(v.Buckets) || v.By != "shift" {
			t.Fatalf("cells %+v", v)
		}
		f := v.Cells[0].Total
		// Working time: an hour before the first stop to now, 21 minutes after it.
		if f.WorkingMinutes != 81 || f.PlannedMinutes != 81 || f.RunMinutes != 62 {
			t.Errorf("working %v planned %v run %v, want 81, 81, 62", f.WorkingMinutes, f.PlannedMinutes, f.RunMinutes)
		}
		if f.Losses[0].Loss != configs.LossBreakdowns || f.Losses[0].Minutes != 19 {
			t.Errorf("losses %+v, want 19 minutes of breakdowns first", f.Losses)
		}
		// Two units of 20 minutes: 40 of 62 minutes run, both good.
		if f.Good != 2 || f.Total != 2 || f.IdealMinutes != 40 || !near(f.Availability, 62.0/81) || !near(f.Performance, 40.0/62) || f.Quality != 1 || !near(f.OEE, 40.0/81) {
			t.Errorf("figures %+v", f)
		}
		if w := f.Waterfall; len(w) != 12 || w[0].Name != "working" || w[0].Minutes != 81 || w[11].Name != "fully-productive" || w[11].Minutes != 40 {
			t.Errorf("waterfall %+v", w)
		}
		if v.Total.RunMinutes != 62 || len(v.Totals) != len(v.Buckets) {
			t.Errorf("totals %+v", v.Total)
		}
	})

	t.Run("oee csv", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/v1/oee?format=csv&"+window, plannerToken, "", "")
		rows := csvRows(t, r, "oee.csv", OEECSVHeader)
		// A row per cell (two) and bucket (a day, or two across midnight).
		if n := len(rows) - 1; n != 2 && n != 4 {
			t.Errorf("%d rows, want 2 or 4: %v", n, rows)
		}
	})

	t.Run("losses", func(t *testing.T) {
		var v struct {
			Cells []lossesCell `json:"cells"`
			Total lossesCell   `json:"total"`
		}
		ts.do(t, "GET", "/api/v1/oee/losses?"+window, roleTokens[configs.RoleAdmin], "", "").json(t, &v)
		if len(v.Cells) != 2 || v.Cells[0].Cell != "weave-1" || v.Total.Losses[0].Minutes != 19 || len(v.Total.Losses) != 6 {
			t.Errorf("losses %+v", v)
		}
		rows := csvRows(t, ts.do(t, "GET", "/api/v1/oee/losses?"+window, roleTokens[configs.RoleAdmin], "text/csv", "", "Accept", "text/csv"), "oee-losses.csv", LossesCSVHeader)
		if len(rows) != 4 || rows[3][0] != "total" || rows[3][2] != "19.00" {
			t.Errorf("losses as CSV %v", rows)
		}
	})

	t.Run("pareto", func(t *testing.T) {
		var v struct {
			Reasons []struct {
				Reason     string  `json:"reason"`
				Count      int     `json:"count"`
				Minutes    float64 `json:"minutes"`
				Cumulative float64 `json:"cumulative"`
			} `json:"reasons"`
		}
		ts.do(t, "GET", "/api/v1/oee/pareto?cell=weave-1&"+window, managerToken, "", "").json(t, &v)
		if len(v.Reasons) != 2 || v.Reasons[0].Reason != "awaiting" || v.Reasons[0].Count != 2 || v.Reasons[0].Minutes != 16 ||
			v.Reasons[1].Reason != "breakdown" || v.Reasons[1].Minutes != 3 || v.Reasons[1].Cumulative != 100 {
			t.Errorf("pareto %+v", v.Reasons)
		}
		rows := csvRows(t, ts.do(t, "GET", "/api/v1/oee/pareto?format=csv&"+window, managerToken, "", ""), "oee-pareto.csv", ParetoCSVHeader)
		if len(rows) != 3 || rows[1][0] != "awaiting" || rows[1][6] != "84.2" {
			t.Errorf("pareto as CSV %v", rows)
		}
	})

	t.Run("first-pass yield", func(t *testing.T) {
		var v struct {
			Rows []struct {
				Key       string  `json:"key"`
				FirstPass int     `json:"first_pass"`
				Total     int     `json:"total"`
				Yield     float64 `json:"yield"`
			} `json:"rows"`
		}
		ts.do(t, "GET", "/api/v1/quality/fpy?"+window, managerToken, "", "").json(t, &v)
		if len(v.Rows) != 1 || v.Rows[0].Key != "SCARF" || v.Rows[0].FirstPass != 2 || v.Rows[0].Yield != 1 {
			t.Errorf("by SKU %+v", v.Rows)
		}
		rows := csvRows(t, ts.do(t, "GET", "/api/v1/quality/fpy?by=cell&format=csv&"+window, managerToken, "", ""), "fpy-by-cell.csv", FPYCSVHeader)
		if len(rows) != 2 || rows[1][1] != "weave-1" || rows[1][4] != "100.0" {
			t.Errorf("by cell as CSV %v", rows)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		var v oeeView
		ts.do(t, "GET", "/api/v1/oee", managerToken, "", "").json(t, &v)
		now := ts.book.Now()
		y, m, d := now.Date()
		if !v.To.Equal(now) || !v.From.Equal(time.Date(y, m, d-6, 0, 0, 0, 0, time.UTC)) || v.By != "day" || len(v.Cells) != 2 {
			t.Errorf("from %v to %v by %v, want from midnight 6 days before %v by day", v.From, v.To, v.By, now)
		}
	})
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

// csvRows checks a CSV answer's type, file name and header, and returns its rows.
func csvRows(t *testing.T, r response, file string, header []string) [][]string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="`+file+`"`) {
		t.Errorf("Content-Disposition %q, want %s", cd, file)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(header, ",") {
		t.Fatalf("header %v", rows)
	}
	return rows
}

// TestOEEBadQueries: each bad query is refused with 422 naming its parameter.
func TestOEEBadQueries(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ name, path, field string }{
		{"from after to", "/api/v1/oee?from=2026-11-02&to=2026-11-01", "from"},
		{"from equal to", "/api/v1/oee/pareto?from=2026-11-02T00:00:00Z&to=2026-11-02T00:00:00Z", "from"},
		{"window over 400 days", "/api/v1/oee/losses?from=2025-01-01&to=2026-11-01", "from"},
		{"from not a time", "/api/v1/oee?from=yesterday", "from"},
		{"to not a time", "/api/v1/quality/fpy?to=2026-13-01", "to"},
		{"unknown cell", "/api/v1/oee?cell=loom-9", "cell"},
		{"unknown cell of the pareto", "/api/v1/oee/pareto?cell=loom-9", "cell"},
		{"unknown cell of the losses", "/api/v1/oee/losses?cell=loom-9", "cell"},
		{"by month", "/api/v1/oee?by=month", "by"},
		{"fpy by lot", "/api/v1/quality/fpy?by=lot", "by"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.do(t, "GET", c.path, managerToken, "", "")
			var body errorBody
			r.json(t, &body)
			if r.status != http.StatusUnprocessableEntity || body.Error.Field != c.field || !strings.Contains(body.Error.Message, c.field) {
				t.Errorf("%d %s, want 422 naming %s", r.status, r.body, c.field)
			}
		})
	}
}
