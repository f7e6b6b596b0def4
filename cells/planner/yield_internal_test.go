package planner

import (
	"context"
	"testing"
	"time"
)

// TestBackgroundWaitsForTheFloor: the background search's pause after a stretch of search lasts
// as long as a re-plan or a promise check is under way, and ends with it, or with the context.
func TestBackgroundWaitsForTheFloor(t *testing.T) {
	p := New(Config{Background: 0.5})
	done := func(ctx context.Context) chan struct{} {
		c := make(chan struct{})
		go func() {
			defer close(c)
			p.yield(ctx, time.Millisecond)
		}()
		return c
	}
	end := p.floorRequest()
	waiting := done(context.Background())
	select {
	case <-waiting:
		t.Fatal("the background search went on while a request was under way")
	case <-time.After(200 * time.Millisecond):
	}
	end()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the background search still waits 10 s after the request ended")
	}

	end = p.floorRequest()
	defer end()
	ctx, cancel := context.WithCancel(context.Background())
	waiting = done(ctx)
	cancel()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the background search still waits 10 s after its context ended")
	}
}
