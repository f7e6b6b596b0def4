package hub

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/cellforge/cellforge/configs"
)

// The dashboard as the browser spec (api/web/e2e/network.test.mjs) found it at 1024x768.

// TestSitesTableSameForAdmin: an admin's sites table has the columns everyone's has, the link
// to mark a site gone sitting in the site's own cell: a column more made the page scroll
// sideways on a 1024-pixel screen.
func TestSitesTableSameForAdmin(t *testing.T) {
	e := newEnv(t)
	e.hello()
	columns := func(doc *html.Node) int {
		for _, table := range all(doc, "table", "class") {
			if attr(table, "class") == "sites" {
				return len(all(table, "th", ""))
			}
		}
		t.Fatal("no sites table")
		return 0
	}
	planner := e.page(t, "/network", e.signIn(t, configs.RolePlanner), 200)
	admin := e.page(t, "/network", e.signIn(t, configs.RoleAdmin), 200)
	if p, a := columns(planner), columns(admin); p != a {
		t.Errorf("the admin's sites table has %d columns, the planner's %d", a, p)
	}
	for _, row := range byAttr(admin, "data-site", "lisbon") {
		cells := all(row, "td", "")
		if len(cells) == 0 || len(byAttr(cells[0], "href", "/network/sites/lisbon/gone")) != 1 {
			t.Errorf("lisbon's first cell holds no link to mark it gone: %q", text(row))
		}
	}
}

// TestGoneFormSentTwice: the answer to a form sent a second time says the site was already
// gone, not that nothing was put back, which would hide what the first sending did.
func TestGoneFormSentTwice(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	admin := e.signIn(t, configs.RoleAdmin)
	post := func() answer {
		return e.do("POST", "/network/sites/lisbon/gone", "", "application/x-www-form-urlencoded",
			url.Values{"confirm": {"lisbon"}}.Encode(), "Cookie", admin, "Origin", e.srv.URL)
	}
	if a := post(); a.status != http.StatusOK || !strings.Contains(string(a.body), "2 orders not started were put back") {
		t.Fatalf("marking lisbon gone: %d %s", a.status, a.body)
	}
	a := post()
	if a.status != http.StatusOK || !strings.Contains(string(a.body), "It was already marked gone at 2026-12-01 09:00:00Z: nothing more was put back.") ||
		strings.Contains(string(a.body), "0 orders") {
		t.Fatalf("marking lisbon gone again: %d %s", a.status, a.body)
	}
}

// TestPagesSendFormsOnce: every page loads the script that sends a form once, and it is served.
func TestPagesSendFormsOnce(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/network/signin", "/network"} {
		doc := e.page(t, path, e.signIn(t, configs.RolePlanner), 200)
		if len(byAttr(doc, "src", "/network/static/once.js")) != 1 {
			t.Errorf("%s does not load once.js", path)
		}
	}
	a := e.do("GET", "/network/static/once.js", "", "", "")
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `addEventListener("submit"`) {
		t.Errorf("GET once.js: %d %.200s", a.status, a.body)
	}
}

// TestFilterAboveOrders: the filter's form sits right above the orders it filters, between the
// page's two live regions, and not below the repairs at the foot of a long page; both regions
// are refreshed.
func TestFilterAboveOrders(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	doc := e.page(t, "/network", e.signIn(t, configs.RolePlanner), 200)
	var order []string
	for _, n := range all(doc, "", "") {
		switch {
		case n.Data == "form" && attr(n, "class") == "filters":
			order = append(order, "filters")
		case n.Data == "table" && (attr(n, "class") == "orders" || attr(n, "class") == "repairs" || attr(n, "class") == "sites"):
			order = append(order, attr(n, "class"))
		case hasAttr(n, "data-refresh"):
			order = append(order, "live:"+attr(n, "id"))
		}
	}
	want := "live:live sites filters live:live-orders orders repairs"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("the page's parts: %q, want %q", got, want)
	}
	a := e.do("GET", "/network/static/refresh.js", "", "", "")
	if a.status != http.StatusOK || !strings.Contains(string(a.body), `querySelectorAll("[data-refresh]")`) {
		t.Errorf("refresh.js does not refresh every live region: %d", a.status)
	}
}
