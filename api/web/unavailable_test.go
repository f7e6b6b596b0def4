package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// awaySessions are the store's sessions, unreachable while the book's database is away, as
// they are when both live in one PostgreSQL database.
type awaySessions struct {
	booktest.Backend
	away *booktest.Away
}

func (s awaySessions) Session(ctx context.Context, tokenHash string) (string, string, time.Time, error) {
	if s.away.Away() {
		return "", "", time.Time{}, fmt.Errorf("%w: connection refused", book.ErrUnavailable)
	}
	return s.Backend.Session(ctx, tokenHash)
}

func (s awaySessions) TouchSession(ctx context.Context, tokenHash string, seen time.Time) (time.Time, error) {
	if s.away.Away() {
		return time.Time{}, fmt.Errorf("%w: connection refused", book.ErrUnavailable)
	}
	return s.Backend.TouchSession(ctx, tokenHash, seen)
}

// wantRetryLater checks that p answers 503 with a Retry-After of a few seconds.
func wantRetryLater(t *testing.T, what string, p page) {
	t.Helper()
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("%s while the store is away = %d, want 503\n%s", what, p.status, p.body)
	}
	if s, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || s < 1 || s > 30 {
		t.Errorf("%s: Retry-After = %q, want a few seconds", what, p.header.Get("Retry-After"))
	}
}

func TestPagesAnswer503WhileTheStoreIsAway(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,3\n")
	b := s.browser(t)
	if p := b.signInPIN("dye-1", "ana", "1234"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	live := b.get("/tablet/dye-1/live")
	op := attr(t, live.body, "article", "data-op")
	version := attr(t, live.body, "article", "data-version")

	s.away.SetAway(true)
	page := b.get("/tablet/dye-1")
	wantRetryLater(t, "the tablet page", page)
	if !strings.Contains(page.body, "cannot be reached") || strings.Contains(page.body, `id="pin"`) {
		t.Errorf("the tablet page while the store is away does not say so (or asks for a PIN):\n%s", page.body)
	}
	wantRetryLater(t, "the tablet's live part", b.get("/tablet/dye-1/live"))
	act := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "away-1", false)
	wantRetryLater(t, "an action from the tablet", act)
	if !strings.Contains(act.body, `"store_unavailable"`) {
		t.Errorf("the action's answer does not name the cause: %s", act.body)
	}

	s.away.SetAway(false)
	if p := b.get("/tablet/dye-1"); p.status != http.StatusOK || !strings.Contains(p.body, `id="live"`) {
		t.Fatalf("the tablet page once the store is back = %d\n%s", p.status, p.body)
	}
	if r := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "away-1", false); r.status != http.StatusOK {
		t.Fatalf("the kept action sent again = %d %s", r.status, r.body)
	}
}
