package hub

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

// signIn signs in on the dashboard with a role's token and returns the cookie.
func (e *testEnv) signIn(t *testing.T, role string) string {
	t.Helper()
	form := url.Values{"token": {roleTokens[role]}, "next": {"/network"}}.Encode()
	a := e.do("POST", "/network/signin", "", "application/x-www-form-urlencoded", form, "Origin", e.srv.URL)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/network" {
		t.Fatalf("sign-in: %d %s", a.status, a.body)
	}
	ck := (&http.Response{Header: a.header}).Cookies()
	if len(ck) != 1 || ck[0].Name != cookieName || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/" {
		t.Fatalf("sign-in cookie: %+v", ck)
	}
	return ck[0].Name + "=" + ck[0].Value
}

// page gets a page with a cookie and parses it.
func (e *testEnv) page(t *testing.T, path, cookie string, want int) *html.Node {
	t.Helper()
	a := e.do("GET", path, "", "", "", "Cookie", cookie)
	if a.status != want || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s %s", path, a.status, a.header.Get("Content-Type"), a.body)
	}
	doc, err := html.Parse(strings.NewReader(string(a.body)))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// all returns the elements of a tag (any when "") that have attribute key (any when ""),
// in document order.
func all(n *html.Node, tag, key string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) && (key == "" || hasAttr(n, key)) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// text is the text of a node, its spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// byAttr returns the elements whose attribute key is val.
func byAttr(n *html.Node, key, val string) []*html.Node {
	var out []*html.Node
	for _, m := range all(n, "", key) {
		if attr(m, key) == val {
			out = append(out, m)
		}
	}
	return out
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	e.hello("madrid")
	e.importGood()
	e.route()
	e.clock.Advance(100 * time.Second)
	e.say("porto", network.KindStatus, network.Status{Load: network.Load{Hours: 6, Cells: 2, OpenWorkOrders: 3}})
	e.clock.Advance(5 * time.Second)

	if a := e.do("GET", "/network", "", "", ""); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/network/signin") {
		t.Fatalf("the dashboard without a sign-in: %d %s", a.status, a.header.Get("Location"))
	}
	bad := url.Values{"token": {"not-a-token-00000000"}}.Encode()
	if a := e.do("POST", "/network/signin", "", "application/x-www-form-urlencoded", bad, "Origin", e.srv.URL); a.status != http.StatusUnauthorized {
		t.Errorf("sign-in with a bad token: %d", a.status)
	}
	cookie := e.signIn(t, configs.RoleManager)
	doc := e.page(t, "/network", cookie, 200)

	conditions := map[string]string{}
	for _, row := range all(doc, "tr", "data-site") {
		for _, td := range all(row, "td", "class") {
			switch attr(td, "class") {
			case "condition":
				conditions[attr(row, "data-site")] += text(td)
			case "age":
				conditions[attr(row, "data-site")] += ", " + text(td)
			}
		}
	}
	want := map[string]string{"porto": "online, 5 s ago", "lisbon": "cut off, 105 s ago", "madrid": "never heard from, never"}
	for site, w := range want {
		if conditions[site] != w {
			t.Errorf("site %s: %q, want %q", site, conditions[site], w)
		}
	}
	if rows := byAttr(doc, "data-site", "porto"); len(rows) == 0 || !strings.Contains(text(rows[0]), "3.0 h") {
		t.Errorf("porto's load per cell is not shown")
	}
	promised := ""
	for _, row := range byAttr(doc, "data-site", "lisbon")[:1] {
		for _, td := range byAttr(row, "class", "n promised") {
			promised = text(td)
		}
	}
	if promised != "2" {
		t.Errorf("lisbon's promised orders: %q, want 2", promised)
	}
	drops := byAttr(doc, "data-drop", "winter")
	if len(drops) != 1 || !strings.Contains(text(drops[0]), "winter: 3 orders, 4 units, 0 made") {
		t.Fatalf("the drop's progress: %v", drops)
	}
	if len(all(drops[0], "tr", "data-site")) != 2 {
		t.Errorf("the drop's progress lists %d sites, want porto and lisbon", len(all(drops[0], "tr", "data-site")))
	}
	if orders := all(doc, "tr", "data-order"); len(orders) != 3 {
		t.Errorf("the orders list holds %d orders, want 3", len(orders))
	}
	if len(byAttr(doc, "id", "live")) != 1 || len(byAttr(doc, "src", "/network/static/refresh.js")) != 1 {
		t.Error("no live region or no refresh script")
	}
	csvLinks := byAttr(doc, "class", "csv")
	if len(csvLinks) != 1 || attr(csvLinks[0], "href") != "/api/v1/network/orders?format=csv" {
		t.Fatalf("CSV link: %v", csvLinks)
	}
	if a := e.do("GET", "/api/v1/network/orders?format=csv", "", "", "", "Cookie", cookie); a.status != 200 || strings.Count(string(a.body), "\n") != 4 {
		t.Errorf("the CSV link with the cookie: %d %s", a.status, a.body)
	}
	if len(byAttr(doc, "href", "/network/sites/porto/gone")) != 0 {
		t.Error("a manager is offered to mark a site gone")
	}

	// Filters.
	filtered := e.page(t, "/network?site=lisbon&state=routed", cookie, 200)
	if orders := all(filtered, "tr", "data-order"); len(orders) != 2 {
		t.Errorf("lisbon's routed orders: %d rows, want 2", len(orders))
	}
	if l := byAttr(filtered, "class", "csv"); len(l) != 1 || !strings.Contains(attr(l[0], "href"), "site=lisbon") {
		t.Error("the CSV link does not keep the filter")
	}
	e.page(t, "/network?state=lost", cookie, 400)

	// The script and style are served.
	if a := e.do("GET", "/network/static/refresh.js", "", "", ""); a.status != 200 || !strings.Contains(string(a.body), "setInterval") {
		t.Errorf("refresh.js: %d", a.status)
	}
}

func TestOrderPageAndMoveForm(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	manager, planner := e.signIn(t, configs.RoleManager), e.signIn(t, configs.RolePlanner)

	doc := e.page(t, "/network/orders/N-1", manager, 200)
	routes := all(doc, "section", "data-route")
	if len(routes) != 1 || !strings.Contains(text(routes[0]), "lisbon") || len(all(routes[0], "tr", "")) != 4 {
		t.Fatalf("N-1's route and its ranking of three sites: %v", text(doc))
	}
	if len(byAttr(doc, "class", "why")) != 1 || text(byAttr(doc, "class", "why")[0]) == "" {
		t.Error("no reason shown")
	}
	if len(byAttr(doc, "class", "move")) != 0 {
		t.Error("a manager is offered the Move form")
	}
	doc = e.page(t, "/network/orders/N-1", planner, 200)
	forms := byAttr(doc, "class", "move")
	if len(forms) != 1 || attr(forms[0], "action") != "/network/orders/N-1/move" {
		t.Fatalf("the planner's Move form: %v", forms)
	}
	e.page(t, "/network/orders/N-9", planner, 404)

	form := url.Values{"site": {"porto"}}.Encode()
	post := func(cookie string, headers ...string) answer {
		return e.do("POST", "/network/orders/N-1/move", "", "application/x-www-form-urlencoded", form, append([]string{"Cookie", cookie}, headers...)...)
	}
	if a := post(planner); a.status != http.StatusForbidden {
		t.Errorf("a form without Origin or Referer: %d", a.status)
	}
	if a := post(planner, "Origin", "http://evil.example"); a.status != http.StatusForbidden {
		t.Errorf("a form from another origin: %d", a.status)
	}
	if a := post(manager, "Origin", e.srv.URL); a.status != http.StatusForbidden {
		t.Errorf("a manager's move: %d", a.status)
	}
	if a := post(planner, "Referer", e.srv.URL+"/network/orders/N-1"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/network/orders/N-1?moved=porto" {
		t.Fatalf("the planner's move: %d %s", a.status, a.body)
	}
	doc = e.page(t, "/network/orders/N-1?moved=porto", planner, 200)
	if s := byAttr(doc, "class", "site"); len(s) != 1 || text(s[0]) != "porto" || len(all(doc, "section", "data-route")) != 2 {
		t.Errorf("N-1 after the move: %s", text(doc))
	}
	bad := e.do("POST", "/network/orders/N-1/move", "", "application/x-www-form-urlencoded", url.Values{"site": {"faro"}}.Encode(), "Cookie", planner, "Origin", e.srv.URL)
	if bad.status != http.StatusNotFound || !strings.Contains(string(bad.body), "faro") {
		t.Errorf("a move to an unknown site: %d %s", bad.status, bad.body)
	}
}

func TestGoneForm(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	admin, planner := e.signIn(t, configs.RoleAdmin), e.signIn(t, configs.RolePlanner)
	doc := e.page(t, "/network", admin, 200)
	if len(byAttr(doc, "href", "/network/sites/lisbon/gone")) != 1 {
		t.Fatal("an admin is not offered to mark lisbon gone")
	}
	e.page(t, "/network/sites/lisbon/gone", planner, 403)
	doc = e.page(t, "/network/sites/lisbon/gone", admin, 200)
	if f := all(doc, "form", "action"); len(f) < 1 || attr(f[len(f)-1], "action") != "/network/sites/lisbon/gone" {
		t.Fatal("no confirmation form")
	}
	post := func(cookie, confirm string) answer {
		return e.do("POST", "/network/sites/lisbon/gone", "", "application/x-www-form-urlencoded",
			url.Values{"confirm": {confirm}}.Encode(), "Cookie", cookie, "Origin", e.srv.URL)
	}
	if a := post(admin, "porto"); a.status != http.StatusBadRequest {
		t.Errorf("a wrong confirmation: %d", a.status)
	}
	if a := post(planner, "lisbon"); a.status != http.StatusForbidden {
		t.Errorf("a planner: %d", a.status)
	}
	sites, _ := e.hub.Sites(e.ctx)
	for _, s := range sites {
		if s.Gone {
			t.Fatalf("%s is gone after refused forms", s.ID)
		}
	}
	a := post(admin, "lisbon")
	if a.status != http.StatusOK || !strings.Contains(string(a.body), "2 orders not started were put back") {
		t.Fatalf("marking lisbon gone: %d %s", a.status, a.body)
	}
}

func TestSignOutAndForgedCookie(t *testing.T) {
	e := newEnv(t)
	cookie := e.signIn(t, configs.RoleAdmin)
	forged := strings.Replace(cookie, cookie[len(cookieName)+1:len(cookieName)+3], "xx", 1)
	if a := e.do("GET", "/network", "", "", "", "Cookie", forged); a.status != http.StatusSeeOther {
		t.Errorf("a forged cookie: %d", a.status)
	}
	e.clock.Advance(13 * time.Hour)
	if a := e.do("GET", "/network", "", "", "", "Cookie", cookie); a.status != http.StatusSeeOther {
		t.Errorf("a cookie past its end: %d", a.status)
	}
	e.clock.Advance(-13 * time.Hour)
	a := e.do("POST", "/network/signout", "", "", "", "Cookie", cookie, "Origin", e.srv.URL)
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign-out: %d %v", a.status, a.header)
	}
	// A write to the API with the cookie is refused: writes need a bearer token.
	if a := e.do("POST", "/api/v1/network/sites/porto/gone", "", "", "", "Cookie", cookie, "Origin", e.srv.URL); a.status != http.StatusUnauthorized {
		t.Errorf("an API write with the cookie: %d", a.status)
	}
}
