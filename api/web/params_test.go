package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestEscapedIDsInPagePaths: a page's cell or drop is found however its id is escaped in the
// path, as for the API's ids.
func TestEscapedIDsInPagePaths(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	if p := b.signIn("pia", "weft-and-warp"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	tests := []struct{ path, want string }{
		{path: "/tablet/dye%2D1", want: "Dye vat"},
		{path: "/tablet/%64ye-1", want: "Dye vat"},
		{path: "/planner/drops/w%69nter", want: "Winter &lt;warm&gt; drop"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := b.get(tc.path)
			if p.status != http.StatusOK || !strings.Contains(p.body, tc.want) {
				t.Errorf("GET %s: %d, want 200 showing %q", tc.path, p.status, tc.want)
			}
		})
	}
}

// TestUndecodablePathParam: a path whose escaping does not decode (only a request made by hand
// has one: the server refuses such a path before) is the client's error, on the pages as in the
// API, not a failure of the server.
func TestUndecodablePathParam(t *testing.T) {
	s := newSite(t)
	for _, h := range []struct {
		name    string
		handler http.Handler
	}{{"pages", s.pages.Handler()}, {"api", s.Config.Handler}} {
		t.Run(h.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/tablet/x", nil)
			r.URL = &url.URL{Path: "/tablet/%zz", RawPath: "/tablet/%zz"}
			if h.name == "api" {
				r.URL = &url.URL{Path: "/api/v1/cells/%zz", RawPath: "/api/v1/cells/%zz"}
				r.Host = "127.0.0.1"
				r.Header.Set("Authorization", "Bearer "+plannerToken)
			}
			w := httptest.NewRecorder()
			h.handler.ServeHTTP(w, r)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "%zz") {
				t.Errorf("GET %s: %d %s, want 400 naming the parameter", r.URL.RawPath, w.Code, w.Body)
			}
		})
	}
}
