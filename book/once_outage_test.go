package book_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// TestOnceThroughAnOutage: a key whose run ended while the store's database was away (so that
// neither its release nor its answer could be stored) is not refused as still in progress when
// the database is back: a failed run's key runs again, a run's answer is replayed, and both are
// then stored.
func TestOnceThroughAnOutage(t *testing.T) {
	fx := newFixture(t)
	away := booktest.NewAway(fx.store)
	b := book.New(book.Config{Store: away, Factory: fx.factory, Now: fx.clock.Now})
	ctx := context.Background()
	errPrinter := errors.New("printer offline")

	for _, tc := range []struct {
		name string
		// fn is the run during which the database goes away.
		fn         func() (int, []byte, error)
		wantStatus int
		wantBody   string
		wantRuns   int // the runs in all, the one during the outage and the retry's
	}{
		{name: "a failed run is released", fn: func() (int, []byte, error) { return 0, nil, errPrinter },
			wantStatus: 202, wantBody: `{"again":true}`, wantRuns: 2},
		{name: "a run's answer is replayed", fn: func() (int, []byte, error) { return 202, []byte(`{"first":true}`), nil },
			wantStatus: 202, wantBody: `{"first":true}`, wantRuns: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idem := &book.Idempotency{Principal: "person:ana", Key: tc.name, RequestHash: "h"}
			runs := 0
			_, _, _, err := b.Once(ctx, idem, func() (int, []byte, error) {
				runs++
				away.SetAway(true)
				return tc.fn()
			})
			away.SetAway(false)
			if runs != 1 || (err != nil) != (tc.wantRuns == 2) {
				t.Fatalf("the run during the outage: %v (runs %d)", err, runs)
			}
			again := func() (int, []byte, error) { runs++; return 202, []byte(`{"again":true}`), nil }
			for _, b := range []*book.Book{b, book.New(book.Config{Store: fx.store, Factory: fx.factory, Now: fx.clock.Now})} {
				// The second book is another daemon's, or this one after a restart: it reads
				// what the first stored once the database came back.
				status, body, _, err := b.Once(ctx, idem, again)
				if err != nil || status != tc.wantStatus || string(body) != tc.wantBody || runs != tc.wantRuns {
					t.Errorf("retry after the outage: %d %s, %v (runs %d); want %d %s with %d runs",
						status, body, err, runs, tc.wantStatus, tc.wantBody, tc.wantRuns)
				}
			}
		})
	}
}
