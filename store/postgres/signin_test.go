package postgres

import (
	"maps"
	"sync"
	"testing"
	"time"
)

func TestSignInFailures(t *testing.T) {
	s, url := openFloorStore(t)
	ctx := t.Context()
	type record struct {
		failures           int
		last, signedInTime time.Time
	}
	read := func(t *testing.T, s *Store, person string) map[string]record {
		t.Helper()
		got := map[string]record{}
		if err := s.SignInFailures(ctx, person, func(client string, n int, last, signedIn time.Time) {
			got[client] = record{n, last, signedIn}
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	fail := func(t *testing.T, person, client string, at time.Time) {
		t.Helper()
		if err := s.AddSignInFailure(ctx, person, client, at, at.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		do     func(t *testing.T)
		person string
		want   map[string]record
	}{
		{
			name: "failures count by address",
			do: func(t *testing.T) {
				fail(t, "ana", "10.0.0.1", ft0)
				fail(t, "ana", "10.0.0.1", ft0.Add(time.Minute))
				fail(t, "ana", "10.0.0.2", ft0.Add(2*time.Minute))
				fail(t, "bo", "10.0.0.1", ft0)
			},
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {2, ft0.Add(time.Minute), time.Time{}},
				"10.0.0.2": {1, ft0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			name:   "another person's are apart",
			do:     func(t *testing.T) {},
			person: "bo",
			want:   map[string]record{"10.0.0.1": {1, ft0, time.Time{}}},
		},
		{
			name: "a sign-in clears its address only",
			do: func(t *testing.T) {
				if err := s.SignedIn(ctx, "ana", "10.0.0.1", ft0.Add(3*time.Minute)); err != nil {
					t.Fatal(err)
				}
			},
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {0, time.Time{}, ft0.Add(3 * time.Minute)},
				"10.0.0.2": {1, ft0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			name:   "failures after a sign-in count again",
			do:     func(t *testing.T) { fail(t, "ana", "10.0.0.1", ft0.Add(4*time.Minute)) },
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {1, ft0.Add(4 * time.Minute), ft0.Add(3 * time.Minute)},
				"10.0.0.2": {1, ft0.Add(2 * time.Minute), time.Time{}},
			},
		},
		{
			// A day later: 10.0.0.2's failure is forgotten and its row goes (no success from
			// there); 10.0.0.1 keeps its sign-in and starts counting again.
			name:   "old failures are forgotten",
			do:     func(t *testing.T) { fail(t, "ana", "10.0.0.1", ft0.Add(25*time.Hour)) },
			person: "ana",
			want: map[string]record{
				"10.0.0.1": {1, ft0.Add(25 * time.Hour), ft0.Add(3 * time.Minute)},
			},
		},
		{
			name:   "nobody's",
			do:     func(t *testing.T) {},
			person: "cy",
			want:   map[string]record{},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			if got := read(t, s, st.person); !maps.Equal(got, st.want) {
				t.Errorf("failures of %s = %+v, want %+v", st.person, got, st.want)
			}
		})
	}
	t.Run("concurrent failures all count", func(t *testing.T) {
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := ft0.Add(26*time.Hour + time.Duration(i)*time.Second)
				if err := s.AddSignInFailure(ctx, "dee", "10.0.0.9", at, ft0); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := read(t, s, "dee"); got["10.0.0.9"].failures != n {
			t.Errorf("failures of dee = %+v, want %d", got, n)
		}
	})
	t.Run("kept across a restart", func(t *testing.T) {
		s2 := reopenFloorStore(t, s, url)
		want := map[string]record{"10.0.0.1": {1, ft0.Add(25 * time.Hour), ft0.Add(3 * time.Minute)}}
		if got := read(t, s2, "ana"); !maps.Equal(got, want) {
			t.Errorf("after reopening: %+v, want %+v", got, want)
		}
	})
}
