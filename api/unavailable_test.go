package api

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// newAwayServer serves the API on an awayStore; the book is the server's.
func newAwayServer(t *testing.T) (*testServer, *booktest.Away) {
	t.Helper()
	var away *booktest.Away
	ts := newTestServerConfig(t, func(cfg *Config) {
		st, _ := booktest.Store(t, "away.db")
		away = booktest.NewAway(st)
		cfg.Book = book.New(book.Config{Store: away, Factory: cfg.Book.Factory(), Now: cfg.Now})
	})
	ts.book = ts.api.book
	return ts, away
}

// wantUnavailable checks that r is the answer to a request refused because the store is away:
// 503, a Retry-After in seconds, and a JSON error that names the cause.
func wantUnavailable(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("%s while the store is away = %d %s, want 503", what, r.status, r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 30 {
		t.Errorf("%s: Retry-After = %q, want a few seconds", what, r.header.Get("Retry-After"))
	}
	var e errorBody
	r.json(t, &e)
	if e.Error.Code != codeUnavailable || e.Error.Message == "" {
		t.Errorf("%s: error = %s, want code %s with a message", what, r.body, codeUnavailable)
	}
}

func TestStoreAwayAnswers503AndTheSameRequestAppliesOnceAfter(t *testing.T) {
	ts, away := newAwayServer(t)
	op := ts.firstOp(t, "W-AWAY")
	key := []string{"Idempotency-Key", "start-away-1"}
	path := "/api/v1/operations/" + itoa(op) + "/start"

	away.SetAway(true)
	wantUnavailable(t, "an action", ts.do(t, "POST", path, operatorToken, "application/json", `{}`, key...))
	wantUnavailable(t, "an import", ts.importCSV(t, "order_id,sku,quantity\nW-AWAY-2,SCARF,1\n"))
	wantUnavailable(t, "a read", ts.do(t, "GET", "/api/v1/operations/"+itoa(op), operatorToken, "", ""))

	away.SetAway(false)
	first := ts.do(t, "POST", path, operatorToken, "application/json", `{}`, key...)
	if first.status != http.StatusOK {
		t.Fatalf("the action sent again after the store came back = %d %s", first.status, first.body)
	}
	again := ts.do(t, "POST", path, operatorToken, "application/json", `{}`, key...)
	if again.status != http.StatusOK || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the action sent a third time = %d (replayed %q) %s, want the first answer replayed",
			again.status, again.header.Get("Idempotent-Replayed"), again.body)
	}
	evs, err := ts.book.Events(context.Background(), book.EventFilter{Operation: op, Kinds: []string{book.EventOperation}})
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, e := range evs {
		if e.To == book.Running {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("the operation was started %d times, want once: %+v", starts, evs)
	}
	if r := ts.importCSV(t, "order_id,sku,quantity\nW-AWAY-2,SCARF,1\n"); r.status != http.StatusCreated {
		t.Errorf("the import sent again after the store came back = %d %s", r.status, r.body)
	}
}

func TestHealthzSaysTheStoreIsAway(t *testing.T) {
	ts, away := newAwayServer(t)
	away.SetAway(true)
	r := ts.do(t, "GET", "/healthz", "", "", "")
	var h struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	r.json(t, &h)
	if r.status != http.StatusServiceUnavailable || h.Status == "ok" || h.Checks["store"] == "ok" || h.Checks["store"] == "" {
		t.Fatalf("healthz while the store is away = %d %s", r.status, r.body)
	}
	away.SetAway(false)
	r = ts.do(t, "GET", "/healthz", "", "", "")
	h.Checks = nil
	r.json(t, &h)
	if r.status != http.StatusOK || h.Status != "ok" || h.Checks["store"] != "ok" {
		t.Fatalf("healthz once the store is back = %d %s", r.status, r.body)
	}
}
