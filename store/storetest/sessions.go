package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// sessions is what the API's sign-in sessions ask of a store.
type sessions interface {
	Store
	PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error
	Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error)
	TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// asSessions returns s with its session methods, failing t when it has none.
func asSessions(t *testing.T, s Store) sessions {
	t.Helper()
	ss, ok := s.(sessions)
	if !ok {
		t.Fatalf("the store %T keeps no sessions", s)
	}
	return ss
}

// testSessions stores sessions, replaces one, finds them until they expire or go idle by the
// store's clock, extends an idle one when it is used, deletes them one by one and all the
// ended ones at once, and stores nothing with a cancelled context.
func testSessions(t *testing.T, opener Opener) {
	opened, _ := opener.Open(t)
	s := asSessions(t, opened)
	if opener.SetClock == nil {
		t.Fatal("the opener sets no clock")
	}
	now := T0
	opener.SetClock(opened, func() time.Time { return now })
	ctx := t.Context()
	put := func(hash, person, role string, expires time.Time) {
		t.Helper()
		if err := s.PutSession(ctx, hash, person, role, expires, 0, T0); err != nil {
			t.Fatal(err)
		}
	}
	put("h-ada", "ada", "planner", T0.Add(time.Hour))
	put("h-bob", "bob", "operator", T0.Add(time.Minute))
	put("h-old", "cy", "operator", T0.Add(-time.Minute))
	put("h-bob", "bob", "supervisor", T0.Add(2*time.Hour)) // replaces

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
	// gone tells that a session was deleted rather than ended: with the clock put back to T0,
	// before any of them ends, Session does not find it.
	gone := func(t *testing.T, hash string) bool {
		t.Helper()
		was := now
		defer func() { now = was }()
		now = T0
		_, _, _, err := s.Session(ctx, hash)
		return errors.Is(err, book.ErrNotFound)
	}
	t.Run("stored", func(t *testing.T) {
		check(t, map[string]want{
			"h-ada":     {person: "ada", role: "planner", expires: T0.Add(time.Hour)},
			"h-bob":     {person: "bob", role: "supervisor", expires: T0.Add(2 * time.Hour)},
			"h-old":     {notFound: true}, // expired
			"h-unknown": {notFound: true},
		})
	})
	t.Run("expiry", func(t *testing.T) {
		now = T0.Add(time.Hour) // ada's session ends now
		check(t, map[string]want{
			"h-ada": {notFound: true},
			"h-bob": {person: "bob", role: "supervisor", expires: T0.Add(2 * time.Hour)},
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
		// eve signed in with a PIN at T0+1h: her session ends after 15 minutes without activity.
		if err := s.PutSession(ctx, "h-eve", "eve", "operator", T0.Add(13*time.Hour), 15*time.Minute, T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check(t, map[string]want{"h-eve": {person: "eve", role: "operator", expires: T0.Add(time.Hour + 15*time.Minute)}})
		// Active 10 minutes later: 15 minutes from then. An older touch changes nothing.
		for _, seen := range []time.Time{T0.Add(time.Hour + 10*time.Minute), T0.Add(time.Hour + 5*time.Minute)} {
			ends, err := s.TouchSession(ctx, "h-eve", seen)
			if err != nil || !ends.Equal(T0.Add(time.Hour+25*time.Minute)) {
				t.Errorf("TouchSession(%s) = %v, %v; want the end at 1h25m", seen.Sub(T0), ends.Sub(T0), err)
			}
		}
		// A session without an idle time is not changed by a touch.
		if ends, err := s.TouchSession(ctx, "h-ada", T0.Add(30*time.Minute)); err != nil || !ends.Equal(T0.Add(time.Hour)) {
			t.Errorf("TouchSession of a session without idle time = %v, %v; want its expiry", ends.Sub(T0), err)
		}
		if _, err := s.TouchSession(ctx, "h-unknown", T0); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("TouchSession of no session = %v, want book.ErrNotFound", err)
		}
		now = T0.Add(time.Hour + 25*time.Minute) // idle for 15 minutes: it has ended
		check(t, map[string]want{"h-eve": {notFound: true}})
		if err := s.DeleteExpiredSessions(ctx, now); err != nil {
			t.Fatal(err)
		}
		if !gone(t, "h-eve") {
			t.Error("eve's idle session is still stored")
		}
		now = T0.Add(time.Hour)
	})
	t.Run("delete expired", func(t *testing.T) {
		put("h-dee", "dee", "planner", T0.Add(3*time.Hour))
		if err := s.DeleteExpiredSessions(ctx, T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, hash := range []string{"h-ada", "h-bob", "h-old", "h-eve"} {
			if !gone(t, hash) {
				t.Errorf("session %s is still stored", hash)
			}
		}
		check(t, map[string]want{"h-dee": {person: "dee", role: "planner", expires: T0.Add(3 * time.Hour)}})
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.PutSession(cctx, "h-fay", "fay", "planner", T0.Add(3*time.Hour), 0, T0); !errors.Is(err, context.Canceled) {
			t.Errorf("PutSession with a cancelled context = %v, want context.Canceled", err)
		}
		check(t, map[string]want{"h-fay": {notFound: true}})
	})
}
