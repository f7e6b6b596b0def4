package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadCountsRequestsAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-rate", "200", "-duration", "1s", "-warmup", "100ms", srv.URL}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Requests < 190 || res.Requests > 210 || res.Errors < 15 || res.Errors > 25 {
		t.Errorf("requests %d errors %d, want about 200 and 20", res.Requests, res.Errors)
	}
	if res.P50ms < 2 || res.MaxMs < res.P99ms || res.P99ms < res.P50ms {
		t.Errorf("percentiles out of order or below the server's 2 ms: %+v", res)
	}
}

func TestLoadFailsWhenTheServerCannotKeepUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-rate", "500", "-duration", "1s", "-warmup", "0s", "-max-in-flight", "20", srv.URL}, &out, &errOut)
	if code != 1 || !bytes.Contains(errOut.Bytes(), []byte("cannot keep up")) {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestLoadSendsHeaders(t *testing.T) {
	var missing atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("cellforge_session"); err != nil || c.Value != "abc" {
			missing.Add(1)
			http.Error(w, "sign in", http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-rate", "50", "-duration", "200ms", "-warmup", "0s",
		"-header", "Cookie: cellforge_session=abc", srv.URL}, &out, &errOut)
	if code != 0 || missing.Load() != 0 {
		t.Fatalf("exit %d, %d requests without the cookie: %s", code, missing.Load(), errOut.String())
	}
	if code := run(context.Background(), []string{"-header", "no colon", srv.URL}, &out, &errOut); code != 2 {
		t.Errorf("a header without a colon: exit %d, want 2", code)
	}
}

// TestLoadSequentialPostsInTurnUntilInterrupted: with -sequential the requests go one at a
// time, in turn over the URLs, with the method and body asked for; an interrupt ends the run,
// which reports what it measured.
func TestLoadSequentialPostsInTurnUntilInterrupted(t *testing.T) {
	var inFlight, most, bad atomic.Int64
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(b) != `{"reason":"bench"}` || r.Header.Get("Content-Type") != "application/json" {
			bad.Add(1)
		}
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		time.Sleep(3 * time.Millisecond)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-rate", "400", "-duration", "1m", "-warmup", "0s", "-sequential", "-method", "POST",
		"-body", `{"reason":"bench"}`, srv.URL + "/pause", srv.URL + "/resume"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.Requests == 0 || res.Requests != len(paths) || res.Errors != 0 {
		t.Errorf("report of %d requests, %d errors; the server saw %d", res.Requests, res.Errors, len(paths))
	}
	if d, err := time.ParseDuration(res.Duration); err != nil || d > 10*time.Second {
		t.Errorf("duration %q: want the time until the interrupt", res.Duration)
	}
	if most.Load() != 1 || bad.Load() != 0 {
		t.Errorf("%d requests at once at most, %d without the method and body asked for", most.Load(), bad.Load())
	}
	for i, p := range paths {
		if want := []string{"/pause", "/resume"}[i%2]; p != want {
			t.Fatalf("request %d went to %s, want %s", i, p, want)
		}
	}
	// 3 ms a request: the 2.5 ms interval cannot be kept, and the wait shows in the latency
	if res.P99ms < 3 {
		t.Errorf("p99 %.1f ms below the server's 3 ms", res.P99ms)
	}
}
