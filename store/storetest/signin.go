package storetest

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"
)

// signIns is what the API's lockouts ask of a store: failed sign-ins by person and address.
type signIns interface {
	Store
	SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error
	AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error
	SignedIn(ctx context.Context, person, client string, at time.Time) error
}

// asSignIns returns s with its sign-in methods, failing t when it has none.
func asSignIns(t *testing.T, s Store) signIns {
	t.Helper()
	si, ok := s.(signIns)
	if !ok {
		t.Fatalf("the store %T keeps no sign-in failures", s)
	}
	return si
}

// record is what SignInFailures tells of an address.
type record struct {
	failures           int
	last, signedInTime time.Time
}

// signInRecords returns what SignInFailures tells of person, by address.
func signInRecords(t *testing.T, s signIns, person string) map[string]record {
	t.Helper()
	got := map[string]record{}
	if err := s.SignInFailures(t.Context(), person, func(client string, n int, last, signedIn time.Time) {
		got[client] = record{n, last, signedIn}
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// testSignInFailures counts failed sign-ins by address, forgets the old ones, clears an
// address at a success, counts every one of concurrent failures and keeps all of it across
// a restart.
func testSignInFailures(t *testing.T, opener Opener) {
	opened, path := opener.Open(t)
	f := &signInFixture{s: asSignIns(t, opened), ctx: t.Context()}
	for _, st := range f.steps() {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			if got := signInRecords(t, f.s, st.person); !maps.Equal(got, st.want) {
				t.Errorf("failures of %s = %+v, want %+v", st.person, got, st.want)
			}
		})
	}
	t.Run("concurrent failures all count", f.concurrent)
	t.Run("kept across a restart", func(t *testing.T) { f.keptAcrossRestart(t, opener, path) })
}

// signInFixture is the store of testSignInFailures.
type signInFixture struct {
	s   signIns
	ctx context.Context
}

// signInStep does something to the sign-in failures, then expects what SignInFailures
// tells of person.
type signInStep struct {
	name   string
	do     func(t *testing.T)
	person string
	want   map[string]record
}

// fail records a failed sign-in of person from client at a time, forgetting the failures
// of a day before.
func (f *signInFixture) fail(t *testing.T, person, client string, at time.Time) {
	t.Helper()
	if err := f.s.AddSignInFailure(f.ctx, person, client, at, at.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// steps are the sign-ins and failures of testSignInFailures, in order, with what each leaves.
func (f *signInFixture) steps() []signInStep {
	return []signInStep{
		{
			name: "failures count by address",
			do: func(t *testing.T) {
				f.fail(t, "ana", "10.0.0.1", T0)
				f.fail(t, "ana", "10.0.0.1", T0.Add(time.Minute))
				f.fail(t, "ana", "10.0.0.2", T0.Add(2*time.Minute))
				f.fail(t, "bo", "10.0.0.1", T0)
			},
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {2, T0.Add(time.Minute), time.Time{}},
				"10.0.0.2": {1, T0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			name:   "another person's are apart",
			do:     func(t *testing.T) {},
			person: "bo",
			want:   map[string]record{"10.0.0.1": {1, T0, time.Time{}}},
		},
		{
			name: "a sign-in clears its address only",
			do: func(t *testing.T) {
				if err := f.s.SignedIn(f.ctx, "ana", "10.0.0.1", T0.Add(3*time.Minute)); err != nil {
					t.Fatal(err)
				}
			},
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {0, time.Time{}, T0.Add(3 * time.Minute)},
				"10.0.0.2": {1, T0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			name:   "failures after a sign-in count again",
			do:     func(t *testing.T) { f.fail(t, "ana", "10.0.0.1", T0.Add(4*time.Minute)) },
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {1, T0.Add(4 * time.Minute), T0.Add(3 * time.Minute)},
				"10.0.0.2": {1, T0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			// A day later: 10.0.0.2's failure is forgotten and its row goes (no success from
			// there); 10.0.0.1 keeps its sign-in and starts counting again.
			name:   "old failures are forgotten",
			do:     func(t *testing.T) { f.fail(t, "ana", "10.0.0.1", T0.Add(25*time.Hour)) },
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {1, T0.Add(25 * time.Hour), T0.Add(3 * time.Minute)},
			},
		},
		{
			name:   "nobody's",
			do:     func(t *testing.T) {},
			person: "cy",
			want:   map[string]record{},
		},
	}
}

// concurrent: every one of concurrent failures of one address counts.
func (f *signInFixture) concurrent(t *testing.T) {
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := T0.Add(26*time.Hour + time.Duration(i)*time.Second)
			if err := f.s.AddSignInFailure(f.ctx, "dee", "10.0.0.9", at, T0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := signInRecords(t, f.s, "dee"); got["10.0.0.9"].failures != n {
		t.Errorf("failures of dee = %+v, want %d", got, n)
	}
}

// keptAcrossRestart: the store reopened at path tells the same of ana.
func (f *signInFixture) keptAcrossRestart(t *testing.T, opener Opener, path string) {
	// openTest's cleanup closes s again, which does nothing.
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := opener.Reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	want := map[string]record{"10.0.0.1": {1, T0.Add(25 * time.Hour), T0.Add(3 * time.Minute)}}
	if got := signInRecords(t, asSignIns(t, s2), "ana"); !maps.Equal(got, want) {
		t.Errorf("after reopening: %+v, want %+v", got, want)
	}
}
