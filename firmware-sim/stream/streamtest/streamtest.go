package streamtest

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/pty"
)

// Wait bounds how long Eventually polls and how long a server may take to
// return once its context is cancelled.
const Wait = 5 * time.Second

// Eventually polls cond until it holds, and fails t if it does not within
// Wait; what names the awaited condition in the failure.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ServeTCP runs serve (such as a simulated printer's Serve method) on a
// listener on a fresh 127.0.0.1 port and returns the port's address. When
// the test ends, it cancels serve's context and fails t unless serve then
// returns nil within Wait.
func ServeTCP(t testing.TB, serve func(context.Context, net.Listener) error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run(t, "Serve", func(ctx context.Context) error { return serve(ctx, l) }))
	return l.Addr().String()
}

// ServePTY runs serve (such as a simulated printer's ServePort method) on
// the master end of a fresh pseudo-terminal pair and returns the path of
// its terminal end, for a driver or the test to open. stop cancels serve's
// context and fails t unless serve then returns nil within Wait; it runs
// when the test ends if the test has not called it, and the pair is closed
// after it.
func ServePTY(t testing.TB, serve func(context.Context, io.ReadWriter) error) (path string, stop func()) {
	t.Helper()
	pair, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	stop = run(t, "ServePort", func(ctx context.Context) error { return serve(ctx, pair.Master) })
	t.Cleanup(func() {
		stop()
		pair.Close()
	})
	return pair.Path, stop
}

// run starts serve in a goroutine and returns the function that stops it,
// once, and checks how it returned; name names serve in failures.
func run(t testing.TB, name string, serve func(context.Context) error) func() {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("%s returned %v after cancel, want nil", name, err)
				}
			case <-time.After(Wait):
				t.Errorf("%s did not return within %v after cancel", name, Wait)
			}
		})
	}
}
