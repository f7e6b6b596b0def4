package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// newStopsServer is a test server whose factory has the default stops section (the parser leaves
// it out for now), with three stops of weave-1: one ended without a reason (10 min), one whose
// detail a spreadsheet would take for a formula (3 min, reason from the machine), and one open.
func newStopsServer(t *testing.T) (*testServer, []book.Stop) {
	t.Helper()
	ts := newTestServer(t)
	ts.book.Factory().Stops = configs.DefaultStops()
	ctx := t.Context()
	var stops []book.Stop
	for _, c := range []struct {
		cond   book.StopCondition
		length time.Duration
	}{
		{book.StopCondition{Kind: book.StopIdle}, 10 * time.Minute},
		{book.StopCondition{Kind: book.StopFault, Detail: "=HYPERLINK(\"x\")", Reason: "breakdown"}, 3 * time.Minute},
		{book.StopCondition{Kind: book.StopLost}, 0},
	} {
		s, err := ts.book.TrackStop(ctx, "weave-1", c.cond)
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, s)
		if c.length > 0 {
			ts.advance(c.length)
			if _, err := ts.book.TrackStop(ctx, "weave-1", book.StopCondition{}); err != nil {
				t.Fatal(err)
			}
			ts.advance(time.Minute)
		}
	}
	ts.advance(5 * time.Minute)
	return ts, stops
}

// TestListStops: the list as JSON (with labels, minutes and paging) and as CSV (a header row, a
// file name, formula-like cells quoted), and bad queries refused naming the parameter.
func TestListStops(t *testing.T) {
	ts, stops := newStopsServer(t)
	manager := roleTokens[configs.RoleManager]
	var page struct {
		Stops     []stopView `json:"stops"`
		NextAfter int64      `json:"next_after"`
	}
	r := ts.do(t, "GET", "/api/v1/stops?cell=weave-1&limit=2", manager, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /stops: %d %s", r.status, r.body)
	}
	r.json(t, &page)
	if len(page.Stops) != 2 || page.Stops[0].ID != stops[0].ID || page.NextAfter != stops[1].ID {
		t.Fatalf("first page = %s", r.body)
	}
	if got := page.Stops[1]; got.Minutes != 3 || got.ReasonLabel != "Breakdown" || got.Loss != configs.LossBreakdowns || !got.Auto || got.Planned {
		t.Errorf("second stop = %+v", got)
	}
	after := page.NextAfter
	page.Stops = nil
	ts.do(t, "GET", fmt.Sprintf("/api/v1/stops?after=%d", after), manager, "", "").json(t, &page)
	if len(page.Stops) != 1 || page.Stops[0].ID != stops[2].ID || page.Stops[0].End != nil || page.Stops[0].Minutes != 5 || page.NextAfter != 0 {
		t.Errorf("next page = %+v", page)
	}
	page.Stops = nil
	ts.do(t, "GET", "/api/v1/stops?unexplained=true", manager, "", "").json(t, &page)
	if len(page.Stops) != 1 || page.Stops[0].ID != stops[0].ID {
		t.Errorf("unexplained = %+v", page.Stops)
	}

	for _, tc := range []struct{ name, query, accept string }{
		{name: "format", query: "?format=csv"},
		{name: "accept", accept: "text/csv"},
	} {
		t.Run("csv by "+tc.name, func(t *testing.T) {
			r := ts.do(t, "GET", "/api/v1/stops"+tc.query, manager, "", "", "Accept", tc.accept)
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
				r.header.Get("Content-Disposition") != `attachment; filename="stops.csv"` {
				t.Fatalf("CSV: %d %v %s", r.status, r.header, r.body)
			}
			rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(StopsCSVHeader, ",") {
				t.Fatalf("CSV rows = %q", rows)
			}
			want := []string{fmt.Sprint(stops[1].ID), "weave-1", "fault", "", `'=HYPERLINK("x")`, stops[1].Start.Format(time.RFC3339),
				stops[1].Start.Add(3 * time.Minute).Format(time.RFC3339), "3.00", "breakdown", "Breakdown", "false", "breakdowns", "cell:weave-1", "true"}
			if strings.Join(rows[2], "|") != strings.Join(want, "|") {
				t.Errorf("CSV row = %q\nwant       %q", rows[2], want)
			}
		})
	}

	for _, tc := range []struct {
		name, query string
		status      int
		want        string
	}{
		{name: "a bad time", query: "from=yesterday", status: http.StatusBadRequest, want: "from="},
		{name: "to before from", query: "from=2026-11-02T10:00:00Z&to=2026-11-02T09:00:00Z", status: http.StatusBadRequest, want: "to="},
		{name: "a bad flag", query: "unexplained=yes", status: http.StatusBadRequest, want: "unexplained="},
		{name: "a bad limit", query: "limit=0", status: http.StatusBadRequest, want: "limit="},
		{name: "a bad format", query: "format=xml", status: http.StatusBadRequest, want: "format"},
		{name: "an unknown cell", query: "cell=nowhere", status: http.StatusNotFound, want: "nowhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "GET", "/api/v1/stops?"+tc.query, manager, "", "")
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("GET /stops?%s = %d %s, want %d naming %s", tc.query, r.status, r.body, tc.status, tc.want)
			}
		})
	}
}

// TestPromptStopsAPI: the tablet's question lists the stops awaiting a reason, with the reasons
// to pick; an unknown cell is 404.
func TestPromptStopsAPI(t *testing.T) {
	ts, stops := newStopsServer(t)
	var got struct {
		Stops   []stopView   `json:"stops"`
		Reasons []reasonView `json:"reasons"`
	}
	r := ts.do(t, "GET", "/api/v1/cells/weave-1/stops/prompt", operatorToken, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("prompt: %d %s", r.status, r.body)
	}
	r.json(t, &got)
	if len(got.Stops) != 1 || got.Stops[0].ID != stops[0].ID || got.Stops[0].Minutes != 10 || len(got.Reasons) != 8 ||
		got.Reasons[0] != (reasonView{Code: "changeover", Label: "Changeover", Planned: true}) {
		t.Errorf("prompt = %s", r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/cells/nowhere/stops/prompt", operatorToken, "", ""); r.status != http.StatusNotFound {
		t.Errorf("prompt of no cell = %d %s", r.status, r.body)
	}
}

// TestGiveStopReasonAPI: bad input and closed windows refused with their codes, nothing
// changed; a reason given; the same reason sent from 20 clients at once is one event.
func TestGiveStopReasonAPI(t *testing.T) {
	ts, stops := newStopsServer(t)
	if _, err := ts.book.TrackStop(t.Context(), "pack-1", book.StopCondition{Kind: book.StopNoWork}); err != nil {
		t.Fatal(err)
	}
	noWork, _, err := ts.book.OpenStop(t.Context(), "pack-1")
	if err != nil {
		t.Fatal(err)
	}
	put := func(id int64, body string) response {
		return ts.do(t, "PUT", fmt.Sprintf("/api/v1/stops/%d/reason", id), operatorToken, "application/json", body)
	}
	for _, tc := range []struct {
		name   string
		id     int64
		body   string
		status int
		code   string
		field  string
	}{
		{name: "an unknown code", id: stops[0].ID, body: `{"reason":"gremlins"}`, status: http.StatusUnprocessableEntity, code: codeInvalid, field: "reason"},
		{name: "no code", id: stops[0].ID, body: `{}`, status: http.StatusUnprocessableEntity, code: codeInvalid, field: "reason"},
		{name: "a number", id: stops[0].ID, body: `{"reason":7}`, status: http.StatusBadRequest, code: codeInvalid},
		{name: "an unknown field", id: stops[0].ID, body: `{"reason":"other","why":"x"}`, status: http.StatusBadRequest, code: codeInvalid},
		{name: "an unknown stop", id: 999, body: `{"reason":"other"}`, status: http.StatusNotFound, code: codeNotFound},
		{name: "a no-work stop", id: noWork.ID, body: `{"reason":"other"}`, status: http.StatusConflict, code: codeNoWorkStop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := put(tc.id, tc.body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("PUT = %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
			var e errorBody
			r.json(t, &e)
			if e.Error.Field != tc.field {
				t.Errorf("field = %q, want %q", e.Error.Field, tc.field)
			}
		})
	}
	if r := ts.do(t, "PUT", fmt.Sprintf("/api/v1/stops/%d/reason", stops[0].ID), plannerToken, "application/json", `{"reason":"other"}`); r.status != http.StatusForbidden {
		t.Errorf("a planner's reason = %d %s, want 403", r.status, r.body)
	}

	const clients = 20
	var wg sync.WaitGroup
	answers := make([]response, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/stops/%d/reason", ts.URL, stops[0].ID), strings.NewReader(`{"reason":"material"}`))
			req.Header.Set("Authorization", "Bearer "+operatorToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			answers[i] = response{status: resp.StatusCode}
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusOK {
			t.Errorf("client %d: %d", i, a.status)
		}
	}
	events, err := ts.book.Events(t.Context(), book.EventFilter{Kinds: []string{book.EventStopReason}})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Reason != "material" || events[0].Cell != "weave-1" || events[0].Actor != "token:operator-bot" {
		t.Errorf("stop.reason events = %+v, want one", events)
	}

	ts.advance(24 * time.Hour)
	r := put(stops[0].ID, `{"reason":"other"}`)
	if r.status != http.StatusConflict || r.errorCode(t) != codeWindowClosed {
		t.Errorf("after the window: %d %s, want 409 %s", r.status, r.body, codeWindowClosed)
	}
	var after []book.Stop
	if after, err = ts.book.Stops(t.Context(), book.StopFilter{Cell: "weave-1", Limit: 1}); err != nil || after[0].Reason != "material" {
		t.Errorf("after the refusals: %+v, %v; want the reason material kept", after, err)
	}
}
