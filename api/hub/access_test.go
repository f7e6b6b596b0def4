package hub

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api/internal/securitydoc"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

var routeParam = regexp.MustCompile(`:([a-z_]+)`)

// examplePath fills a route's parameters with things the test's hub holds.
func examplePath(route string) string {
	p := routeParam.ReplaceAllStringFunc(route, func(p string) string {
		return map[string]string{":site": "lisbon", ":drop": "winter", ":id": "N-1"}[p]
	})
	return strings.Replace(p, "*", "hub.css", 1)
}

// TestWhoMayUseEachRoute asks every route of the hub without credentials and as each role
// (a bearer token for the API, the dashboard's cookie for its pages). Only the routes
// docs/SECURITY.md's table of the hub says anyone may use answer without credentials, and
// the roles it names are the only ones a route lets through; a route the table does not list
// fails, and so does a row of the table the hub does not serve.
func TestWhoMayUseEachRoute(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	docs, err := securitydoc.ReadTable("../../docs/SECURITY.md", securitydoc.Hub)
	if err != nil {
		t.Fatal(err)
	}
	cookies := map[string]string{}
	roles := []string{configs.RolePlanner, configs.RoleManager, configs.RoleAdmin}
	for _, r := range roles {
		cookies[r] = e.signIn(t, r)
	}
	seen := map[string]bool{}
	for _, rt := range (&server{}).routes().Routes() {
		if rt.Method != http.MethodGet && rt.Method != http.MethodPost {
			continue
		}
		key := rt.Method + " " + routeParam.ReplaceAllString(rt.Path, "{$1}")
		seen[key] = true
		t.Run(key, func(t *testing.T) {
			doc, ok := docs[key]
			if !ok {
				t.Fatalf("docs/SECURITY.md's table of the hub does not say who may use %s", key)
			}
			path := examplePath(rt.Path)
			page := isPage(rt.Path)
			ask := func(role string) answer {
				if page {
					h := []string{"Origin", e.srv.URL}
					if role != "" {
						h = append(h, "Cookie", cookies[role])
					}
					return e.do(rt.Method, path, "", "application/x-www-form-urlencoded", "", h...)
				}
				return e.do(rt.Method, path, roleTokens[role], "application/json", "{}")
			}
			anon := ask("")
			// The sign-in answers its form again, 401, to a wrong token: that is the route used.
			signInForm := strings.Contains(string(anon.body), `id="token"`)
			refused := anon.status == http.StatusUnauthorized && !signInForm || anon.status == http.StatusForbidden ||
				anon.status == http.StatusSeeOther && strings.HasPrefix(anon.header.Get("Location"), "/network/signin")
			if refused != (doc.Who != "anyone") {
				t.Fatalf("without credentials: %d %s; docs/SECURITY.md says %s may use it", anon.status, anon.body, doc.Who)
			}
			if doc.Who == "anyone" {
				return
			}
			var may []string
			for _, role := range roles {
				r := ask(role)
				if r.status == http.StatusUnauthorized {
					t.Errorf("as a %s: %d %s", role, r.status, r.body)
				}
				if r.status != http.StatusForbidden {
					may = append(may, role)
				}
			}
			want := doc.Who
			if want == "any role" {
				want = strings.Join(roles, ", ")
			}
			if !sameRoles(strings.Join(may, ", "), want) {
				t.Errorf("%v may use it; docs/SECURITY.md says %s", may, doc.Who)
			}
		})
	}
	for key, doc := range docs {
		if !seen[key] {
			t.Errorf("docs/SECURITY.md:%d says who may use %s, which the hub does not serve", doc.Line, key)
		}
	}
}

func sameRoles(a, b string) bool {
	split := func(s string) []string {
		r := strings.Split(s, ", ")
		slices.Sort(r)
		return r
	}
	return slices.Equal(split(a), split(b))
}

// TestFalseCredentialsOnEveryRoute asks every route that docs/SECURITY.md keeps from anyone
// with credentials that are not good, where TestWhoMayUseEachRoute asks without any and with
// good ones: a bearer token not of the hub's file (the API), a good sign-in cookie alone on a
// write of the API (which takes only a bearer token), and a forged or an ended sign-in cookie
// (the dashboard). Each is refused, and nothing changes.
func TestFalseCredentialsOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	docs, err := securitydoc.ReadTable("../../docs/SECURITY.md", securitydoc.Hub)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.signIn(t, configs.RoleAdmin)
	forged := admin[:len(admin)-4] + "0000"
	if forged == admin {
		forged = admin[:len(admin)-4] + "1111"
	}
	type ask struct {
		what          string
		token, cookie string
	}
	var asked int
	check := func(t *testing.T, method, path string, page bool, a ask) {
		t.Helper()
		ctype, body := "application/json", "{}"
		if page {
			ctype, body = "application/x-www-form-urlencoded", "site=porto&confirm=lisbon"
		}
		h := []string{"Origin", e.srv.URL}
		if a.cookie != "" {
			h = append(h, "Cookie", a.cookie)
		}
		r := e.do(method, path, a.token, ctype, body, h...)
		asked++
		refused := r.status == http.StatusUnauthorized ||
			r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/network/signin")
		if !refused {
			t.Errorf("%s: %d %.200s", a.what, r.status, r.body)
		}
	}
	type route struct{ key, method, path string }
	var pages []route
	for _, rt := range (&server{}).routes().Routes() {
		if rt.Method != http.MethodGet && rt.Method != http.MethodPost {
			continue
		}
		key := rt.Method + " " + routeParam.ReplaceAllString(rt.Path, "{$1}")
		if doc, ok := docs[key]; !ok || doc.Who == "anyone" {
			continue
		}
		path, page := examplePath(rt.Path), isPage(rt.Path)
		t.Run(key, func(t *testing.T) {
			if !page {
				check(t, rt.Method, path, false, ask{what: "a token not of the hub's file", token: "not-a-token-of-this-hub-0001"})
				if rt.Method == http.MethodPost {
					check(t, rt.Method, path, false, ask{what: "an admin's sign-in cookie on a write", cookie: admin})
				}
				return
			}
			check(t, rt.Method, path, true, ask{what: "a forged cookie", cookie: forged})
			pages = append(pages, route{key, rt.Method, path})
		})
	}
	// The sign-in lasts 12 hours (Config.SessionTTL's default).
	e.clock.Advance(12*time.Hour + time.Second)
	for _, p := range pages {
		t.Run(p.key+" after the cookie's end", func(t *testing.T) {
			check(t, p.method, p.path, true, ask{what: "an admin's cookie after its end", cookie: admin})
		})
	}
	if asked == 0 || len(pages) == 0 {
		t.Fatalf("asked %d routes, %d pages: the routes or the table were not read", asked, len(pages))
	}
	// Nothing changed: the orders where they were routed, no site gone.
	for _, o := range e.orders(t, "") {
		if o.Route != 1 || o.State != network.Routed {
			t.Errorf("order %s: %s on route %d, want routed on its first route", o.OrderID, o.State, o.Route)
		}
	}
	var sites struct {
		Sites []SiteView `json:"sites"`
	}
	e.do("GET", "/api/v1/network/sites", roleTokens[configs.RoleManager], "", "").decode(t, 200, &sites)
	for _, s := range sites.Sites {
		if s.Gone {
			t.Errorf("site %s was marked gone", s.ID)
		}
	}
}
