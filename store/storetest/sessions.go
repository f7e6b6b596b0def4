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
	f := &sessionFixture{s: asSessions(t, opened), ctx: t.Context(), now: T0}
	if opener.SetClock == nil {
		t.Fatal("the opener sets no clock")
	}
	opener.SetClock(opened, func() time.Time { return f.now })
	f.put(t, "h-ada", "ada", "planner", T0.Add(time.Hour))
	f.put(t, "h-bob", "bob", "operator", T0.Add(time.Minute))
	f.put(t, "h-old", "cy", "operator", T0.Add(-time.Minute))
	f.put(t, "h-bob", "bob", "supervisor", T0.Add(2*time.Hour)) // replaces

	t.Run("stored", f.stored)
	t.Run("expiry", f.expiry)
	t.Run("delete", f.delete)
	t.Run("idle", f.idle)
	t.Run("delete expired", f.deleteExpired)
	t.Run("cancelled", f.cancelled)
}

// sessionFixture is a store's sessions with the time its clock tells, which the steps of
// testSessions move.
type sessionFixture struct {
	s   sessions
	ctx context.Context
	now time.Time
}

// wantSession is what Session should answer for a token hash.
type wantSession struct {
	person, role string
	expires      time.Time
	notFound     bool
}

// put stores a session without an idle time, seen at T0.
func (f *sessionFixture) put(t *testing.T, hash, person, role string, expires time.Time) {
	t.Helper()
	if err := f.s.PutSession(f.ctx, hash, person, role, expires, 0, T0); err != nil {
		t.Fatal(err)
	}
}

// check asks Session for each hash of cases and compares its answer.
func (f *sessionFixture) check(t *testing.T, cases map[string]wantSession) {
	for hash, w := range cases {
		person, role, expires, err := f.s.Session(f.ctx, hash)
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
func (f *sessionFixture) gone(t *testing.T, hash string) bool {
	t.Helper()
	was := f.now
	defer func() { f.now = was }()
	f.now = T0
	_, _, _, err := f.s.Session(f.ctx, hash)
	return errors.Is(err, book.ErrNotFound)
}

// stored: the sessions put are found, the replaced one as replaced, the expired one not.
func (f *sessionFixture) stored(t *testing.T) {
	f.check(t, map[string]wantSession{
		"h-ada":     {person: "ada", role: "planner", expires: T0.Add(time.Hour)},
		"h-bob":     {person: "bob", role: "supervisor", expires: T0.Add(2 * time.Hour)},
		"h-old":     {notFound: true}, // expired
		"h-unknown": {notFound: true},
	})
}

// expiry: a session is not found from its expiry on, by the store's clock.
func (f *sessionFixture) expiry(t *testing.T) {
	f.now = T0.Add(time.Hour) // ada's session ends now
	f.check(t, map[string]wantSession{
		"h-ada": {notFound: true},
		"h-bob": {person: "bob", role: "supervisor", expires: T0.Add(2 * time.Hour)},
	})
}

// delete: a deleted session is not found, and deleting it again is no error.
func (f *sessionFixture) delete(t *testing.T) {
	if err := f.s.DeleteSession(f.ctx, "h-bob"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteSession(f.ctx, "h-bob"); err != nil {
		t.Errorf("deleting a deleted session: %v", err)
	}
	f.check(t, map[string]wantSession{"h-bob": {notFound: true}})
}

// idle: a session with an idle time ends that long after it was last used, a touch moves
// its end on (never back), and an idle session is deleted with the expired ones.
func (f *sessionFixture) idle(t *testing.T) {
	// eve signed in with a PIN at T0+1h: her session ends after 15 minutes without activity.
	if err := f.s.PutSession(f.ctx, "h-eve", "eve", "operator", T0.Add(13*time.Hour), 15*time.Minute, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.check(t, map[string]wantSession{"h-eve": {person: "eve", role: "operator", expires: T0.Add(time.Hour + 15*time.Minute)}})
	// Active 10 minutes later: 15 minutes from then. An older touch changes nothing.
	for _, seen := range []time.Time{T0.Add(time.Hour + 10*time.Minute), T0.Add(time.Hour + 5*time.Minute)} {
		ends, err := f.s.TouchSession(f.ctx, "h-eve", seen)
		if err != nil || !ends.Equal(T0.Add(time.Hour+25*time.Minute)) {
			t.Errorf("TouchSession(%s) = %v, %v; want the end at 1h25m", seen.Sub(T0), ends.Sub(T0), err)
		}
	}
	// A session without an idle time is not changed by a touch.
	if ends, err := f.s.TouchSession(f.ctx, "h-ada", T0.Add(30*time.Minute)); err != nil || !ends.Equal(T0.Add(time.Hour)) {
		t.Errorf("TouchSession of a session without idle time = %v, %v; want its expiry", ends.Sub(T0), err)
	}
	if _, err := f.s.TouchSession(f.ctx, "h-unknown", T0); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("TouchSession of no session = %v, want book.ErrNotFound", err)
	}
	f.now = T0.Add(time.Hour + 25*time.Minute) // idle for 15 minutes: it has ended
	f.check(t, map[string]wantSession{"h-eve": {notFound: true}})
	if err := f.s.DeleteExpiredSessions(f.ctx, f.now); err != nil {
		t.Fatal(err)
	}
	if !f.gone(t, "h-eve") {
		t.Error("eve's idle session is still stored")
	}
	f.now = T0.Add(time.Hour)
}

// deleteExpired: DeleteExpiredSessions deletes every session ended by the time given and
// keeps the others.
func (f *sessionFixture) deleteExpired(t *testing.T) {
	f.put(t, "h-dee", "dee", "planner", T0.Add(3*time.Hour))
	if err := f.s.DeleteExpiredSessions(f.ctx, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{"h-ada", "h-bob", "h-old", "h-eve"} {
		if !f.gone(t, hash) {
			t.Errorf("session %s is still stored", hash)
		}
	}
	f.check(t, map[string]wantSession{"h-dee": {person: "dee", role: "planner", expires: T0.Add(3 * time.Hour)}})
}

// cancelled: PutSession with a cancelled context fails with context.Canceled and stores
// nothing.
func (f *sessionFixture) cancelled(t *testing.T) {
	cctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := f.s.PutSession(cctx, "h-fay", "fay", "planner", T0.Add(3*time.Hour), 0, T0); !errors.Is(err, context.Canceled) {
		t.Errorf("PutSession with a cancelled context = %v, want context.Canceled", err)
	}
	f.check(t, map[string]wantSession{"h-fay": {notFound: true}})
}
