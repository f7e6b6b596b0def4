package hub

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/api/internal/securitydoc"
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
