package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
