package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// An id a client pages after may pass what a 32-bit int holds (ids count rows for the life of a
// database): on a Raspberry Pi's 32-bit OS the lists refused such an id as out of range. Past
// the last id, a list is empty; past the bound, it is refused naming the parameter.
func TestIDQueryParamsPast32Bits(t *testing.T) {
	ts := newTestServer(t)
	manager := roleTokens[configs.RoleManager]
	for _, path := range []string{
		"/api/v1/events?after=3000000000",
		"/api/v1/events?work_order=3000000000",
		"/api/v1/events?operation=3000000000",
		"/api/v1/work-orders?after=3000000000",
		"/api/v1/stops?after=3000000000",
	} {
		r := ts.do(t, "GET", path, manager, "", "")
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s, want 200", path, r.status, r.body)
		}
	}
	for _, path := range []string{
		"/api/v1/events?after=4611686018427387905",
		"/api/v1/work-orders?after=-1",
		"/api/v1/stops?after=99999999999999999999",
	} {
		r := ts.do(t, "GET", path, manager, "", "")
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "after") {
			t.Errorf("GET %s: %d %s, want 400 naming after", path, r.status, r.body)
		}
	}
}
