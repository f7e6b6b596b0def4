package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/cmd/cellforge/internal/logfmt"
)

// TestRequestLinesCarryTheirID serves the demo factory with each structured log format and
// checks that every line logged about a request names the request's id: the client's when it
// is sane, a new one (sent back in X-Request-Id) when it is not, through the API and the pages.
func TestRequestLinesCarryTheirID(t *testing.T) {
	for _, format := range []string{"json", "logfmt"} {
		t.Run(format, func(t *testing.T) {
			d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--log-format", format, "--log-level", "debug")
			sent := map[string]string{ // path: the X-Request-Id sent
				"/healthz":        "probe-7f3a",
				"/api/v1/cells":   "3f2a7c9e-1b2d-4e5f-8a9b-0c1d2e3f4a5b", // refused: no token
				"/signin":         "a b\" level=ERROR",                    // not sane: replaced
				"/api/v1/nowhere": "",
			}
			ids := map[string]string{} // path: the id the daemon answered with
			for path, id := range sent {
				ids[path] = getWithID(t, d.url+path, id)
				if reqlog.Sane(id) && ids[path] != id {
					t.Fatalf("%s: X-Request-Id %q answered with %q, want it kept", path, id, ids[path])
				}
				if !reqlog.Sane(ids[path]) || (!reqlog.Sane(id) && ids[path] == id) {
					t.Fatalf("%s: X-Request-Id %q answered with %q, want a new sane id", path, id, ids[path])
				}
			}
			// A request's last line is logged once its response is sent: wait for them all.
			var seen map[string]bool
			for deadline := time.Now().Add(20 * time.Second); len(seen) < len(sent) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				seen = checkRequestLines(t, format, d.logs(), ids)
			}
			for path := range sent {
				if !seen[path] {
					t.Errorf("no line about %s\n%s", path, d.logs())
				}
			}
		})
	}
}

// checkRequestLines checks that every line of logs logged about a request (one with its
// method and path) names the id ids gives its path, and returns the paths it saw.
func checkRequestLines(t *testing.T, format, logs string, ids map[string]string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		f := fields(t, format, line)
		path, inRequest := f["path"]
		if !inRequest || f["method"] == "" {
			continue
		}
		if want := ids[path]; want != "" && f[reqlog.Key] != want {
			t.Fatalf("line %q: %s %q, want %q", line, reqlog.Key, f[reqlog.Key], want)
		}
		seen[path] = true
	}
	return seen
}

// getWithID sends GET url with X-Request-Id id (none when empty) and returns the response's.
func getWithID(t *testing.T, url, id string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		req.Header.Set(reqlog.Header, id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get(reqlog.Header)
}

// fields reads a log line of format into its fields.
func fields(t *testing.T, format, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out
	}
	pairs, err := logfmt.Parse(line)
	if err != nil {
		t.Fatalf("line %q is not logfmt: %v", line, err)
	}
	for _, p := range pairs {
		out[p.Key] = p.Value
	}
	return out
}

func TestBadLogFormatIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0"},
		{"hub", "--config", "hub.yaml"},
		{"bridge", "--broker", "tcp://127.0.0.1:1", "--influx-url", "http://127.0.0.1:1"},
	} {
		t.Run(args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(args, "--data", t.TempDir(), "--log-format", "xml"), nil, &stdout, &stderr)
			want := `cellforge ` + args[0] + `: --log-format "xml": want text, json or logfmt`
			if code != 1 || !strings.Contains(stderr.String(), want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr.String(), want)
			}
		})
	}
}
