package web

import (
	"net/http"
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
