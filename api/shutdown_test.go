package api

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestServeWaitsForTheHandlersItCancels: a request still under way when the shutdown grace
// ends is cancelled, and Serve returns only once its handler has returned, so that nothing it
// uses (the store) is closed under it.
func TestServeWaitsForTheHandlersItCancels(t *testing.T) {
	entered, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var returned atomic.Bool
	hold := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer returned.Store(true)
		close(entered)
		<-r.Context().Done()
		close(cancelled)
		<-release
	})
	ts := newTestServerConfig(t, func(c *Config) { c.ShutdownGrace = 20 * time.Millisecond }, func(s *Server) { s.Mount(hold) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	type served struct {
		err             error
		handlerReturned bool
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan served, 1)
	go func() {
		err := ts.api.Serve(ctx, ln)
		done <- served{err, returned.Load()}
	}()
	defer close(release)
	client := &http.Client{}
	go func() {
		if res, err := client.Get("http://" + ln.Addr().String() + "/hold"); err == nil {
			res.Body.Close()
		}
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the request never reached its handler")
	}

	cancel()
	select {
	case <-cancelled:
	case s := <-done:
		t.Fatalf("Serve returned (%v) with a handler still running, its request not cancelled", s.err)
	case <-time.After(30 * time.Second):
		t.Fatal("the request under way was not cancelled after the shutdown grace")
	}
	select {
	case s := <-done:
		t.Fatalf("Serve returned (%v) while a cancelled request's handler still ran", s.err)
	default:
	}
	release <- struct{}{}
	select {
	case s := <-done:
		if s.err != nil {
			t.Errorf("Serve: %v", s.err)
		}
		if !s.handlerReturned {
			t.Error("Serve returned before the handler")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return once the handler had")
	}
}
