package scheduler

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestPaceCalledWhileSearching: a search of 300 ms hands Pace its stretches of search, each at
// least the stretch long, while the searcher waits for Pace.
func TestPaceCalledWhileSearching(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(4, 4)), 30, 4, true)
	var calls int
	var searched time.Duration
	opts := Options{TimeLimit: 300 * time.Millisecond, Seed: 1, Pace: func(ctx context.Context, d time.Duration) {
		calls++
		searched += d
		if d < paceStretch {
			t.Errorf("Pace called after %v of search, want at least %v", d, paceStretch)
		}
		select { // half the CPU: wait as long as the search ran
		case <-ctx.Done():
		case <-time.After(d):
		}
	}}
	for _, classic := range []bool{false, true} {
		calls, searched = 0, 0
		q := p
		if classic {
			q = loadFJS(t, "testdata/mk10.fjs")
		}
		if _, err := Solve(context.Background(), q, opts); err != nil {
			t.Fatal(err)
		}
		if calls == 0 {
			t.Errorf("classic %v: Pace never called in a search of %v", classic, opts.TimeLimit)
		}
		t.Logf("classic %v: %d calls, %v searched", classic, calls, searched)
	}
}

// TestPaceKeepsResults: a search bounded by iterations finds the same schedule whether Pace
// holds it up or not.
func TestPaceKeepsResults(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(9, 9)), 12, 3, true)
	opts := Options{MaxIterations: 400, Seed: 42}
	want := solveChecked(t, p, opts)
	opts.Pace = func(context.Context, time.Duration) { time.Sleep(time.Millisecond) }
	got := solveChecked(t, p, opts)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with Pace %+v, without %+v", got, want)
	}
	from, err := Dispatch(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Improve(context.Background(), p, from, Options{MaxIterations: 400, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Improve(context.Background(), p, from, Options{MaxIterations: 400, Seed: 7, Pace: opts.Pace})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Improve with Pace %+v, without %+v", b, a)
	}
}
