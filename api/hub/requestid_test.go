package hub

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRequestsCarryTheirID: the hub's answers carry the request's id (the client's when it is
// sane, a new one otherwise), and the lines the hub logs about a request name it, as the site's
// API does.
func TestRequestsCarryTheirID(t *testing.T) {
	e := newEnv(t)
	a := e.do("GET", "/api/v1/network/sites", "not-a-token", "", "", "X-Request-Id", "planner-tool-42")
	if a.status != http.StatusUnauthorized {
		t.Fatalf("a false token: status %d, want 401", a.status)
	}
	if got := a.header.Get("X-Request-Id"); got != "planner-tool-42" {
		t.Errorf("X-Request-Id answered %q, want the client's planner-tool-42", got)
	}
	made := e.do("GET", "/healthz", "", "", "", "X-Request-Id", "no spaces\tallowed").header.Get("X-Request-Id")
	if made == "" || strings.ContainsAny(made, " \t") {
		t.Errorf("an insane X-Request-Id answered %q, want a new id", made)
	}
	for _, id := range []string{"planner-tool-42", made} {
		if !loggedWith(t, e.logs.String(), id) {
			t.Errorf("no line of the hub's log names request %s:\n%s", id, e.logs.String())
		}
	}
}

// loggedWith reports whether a JSON line of logs has request_id id.
func loggedWith(t *testing.T, logs, id string) bool {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var l struct {
			ID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.ID == id {
			return true
		}
	}
	return false
}
