package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The api package's session and lockout stores (api/auth.go sessions, api/limiter.go
// lockouts), written out here: they are unexported there, and this package must not import
// api. A change of their methods there must be made here too.
type (
	apiSessions interface {
		PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error
		Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error)
		TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error)
		DeleteSession(ctx context.Context, tokenHash string) error
	}
	apiLockouts interface {
		SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error
		AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error
		SignedIn(ctx context.Context, person, client string, at time.Time) error
	}
)

var (
	_ apiSessions = (*Store)(nil)
	_ apiLockouts = (*Store)(nil)
)

func TestSessions(t *testing.T) {
	s, _ := openTest(t)
	now := t0
	s.now = func() time.Time { return now }
	ctx := t.Context()
	put := func(hash, person, role string, expires time.Time) {
		t.Helper()
		if err := s.PutSession(ctx, hash, person, role, expires, 0, t0); err != nil {
			t.Fatal(err)
		}
	}
	put("h-ada", "ada", "planner", t0.Add(time.Hour))
	put("h-bob", "bob", "operator", t0.Add(time.Minute))
	put("h-old", "cy", "operator", t0.Add(-time.Minute))
	put("h-bob", "bob", "supervisor", t0.Add(2*time.Hour)) // replaces

	type want struct {
		person, role string
		expires      time.Time
		notFound     bool
	}
	check := func(t *testing.T, cases map[string]want) {
		for hash, w := range cases {
			person, role, expires, err := s.Session(ctx, hash)
			if w.notFound {
				if !errors.Is(err, book.ErrNotFound) {
					t.Errorf("Session(%q) = %q, %v; want book.ErrNotFound", hash, person, err)
				}
				continue
			}
			if err != nil || person != w.person || role != w.role || !expires.Equal(w.expires) {
				t.Errorf("Session(%q) = %q, %q, %v, %v; want %+v", hash, person, role, expires, err, w)
			}
		}
	}
	count := func(t *testing.T, where string) int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("stored", func(t *testing.T) {
		check(t, map[string]want{
			"h-ada":     {person: "ada", role: "planner", expires: t0.Add(time.Hour)},
			"h-bob":     {person: "bob", role: "supervisor", expires: t0.Add(2 * time.Hour)},
			"h-old":     {notFound: true}, // expired
			"h-unknown": {notFound: true},
		})
	})
	t.Run("expiry", func(t *testing.T) {
		now = t0.Add(time.Hour) // ada's session ends now
		check(t, map[string]want{
			"h-ada": {notFound: true},
			"h-bob": {person: "bob", role: "supervisor", expires: t0.Add(2 * time.Hour)},
		})
	})
	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteSession(ctx, "h-bob"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "h-bob"); err != nil {
			t.Errorf("deleting a deleted session: %v", err)
		}
		check(t, map[string]want{"h-bob": {notFound: true}})
	})
	t.Run("idle", func(t *testing.T) {
		// eve signed in with a PIN at t0+1h: her session ends after 15 minutes without activity.
		if err := s.PutSession(ctx, "h-eve", "eve", "operator", t0.Add(13*time.Hour), 15*time.Minute, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check(t, map[string]want{"h-eve": {person: "eve", role: "operator", expires: t0.Add(time.Hour + 15*time.Minute)}})
		// Active 10 minutes later: 15 minutes from then. An older touch changes nothing.
		for _, seen := range []time.Time{t0.Add(time.Hour + 10*time.Minute), t0.Add(time.Hour + 5*time.Minute)} {
			ends, err := s.TouchSession(ctx, "h-eve", seen)
			if err != nil || !ends.Equal(t0.Add(time.Hour+25*time.Minute)) {
				t.Errorf("TouchSession(%s) = %v, %v; want the end at 1h25m", seen.Sub(t0), ends.Sub(t0), err)
			}
		}
		// A session without an idle time is not changed by a touch.
		if ends, err := s.TouchSession(ctx, "h-ada", t0.Add(30*time.Minute)); err != nil || !ends.Equal(t0.Add(time.Hour)) {
			t.Errorf("TouchSession of a session without idle time = %v, %v; want its expiry", ends.Sub(t0), err)
		}
		if _, err := s.TouchSession(ctx, "h-unknown", t0); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("TouchSession of no session = %v, want book.ErrNotFound", err)
		}
		now = t0.Add(time.Hour + 25*time.Minute) // idle for 15 minutes: it has ended
		check(t, map[string]want{"h-eve": {notFound: true}})
		if err := s.DeleteExpiredSessions(ctx, now); err != nil {
			t.Fatal(err)
		}
		if n := count(t, `person = 'eve'`); n != 0 {
			t.Errorf("eve's idle session is still stored (%d)", n)
		}
		now = t0.Add(time.Hour)
	})
	t.Run("delete expired", func(t *testing.T) {
		put("h-dee", "dee", "planner", t0.Add(3*time.Hour))
		if err := s.DeleteExpiredSessions(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, `true`); n != 1 {
			t.Errorf("%d sessions left, want dee's", n)
		}
		check(t, map[string]want{"h-dee": {person: "dee", role: "planner", expires: t0.Add(3 * time.Hour)}})
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.PutSession(cctx, "h-fay", "fay", "planner", t0.Add(3*time.Hour), 0, t0); !errors.Is(err, context.Canceled) {
			t.Errorf("PutSession with a cancelled context = %v, want context.Canceled", err)
		}
		check(t, map[string]want{"h-fay": {notFound: true}})
	})
}
