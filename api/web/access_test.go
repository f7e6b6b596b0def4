package web

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api/internal/securitydoc"
)

var pageParam = regexp.MustCompile(`:([a-z_]+)`)

// TestWhoMayUsePages asks every page, fragment, stream and form of the web app as someone not
// signed in and as a person of each role. Only those docs/SECURITY.md says anyone may use answer
// without a sign-in, and none of them shows a customer's name, notes or order: a new route is
// refused until it is written down there.
func TestWhoMayUsePages(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer,notes\nw-secret,SCARF,3,Zoë Quist,ring the bell twice\n")
	docs, err := securitydoc.Read("../../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]*browser{}
	for role, sign := range map[string]func(b *browser) page{
		"operator": func(b *browser) page { return b.signInPIN("dye-1", "ana", "1234") },
		"planner":  func(b *browser) page { return b.signIn("pia", "weft-and-warp") },
		"manager":  func(b *browser) page { return b.signIn("max", "loom-and-lantern") },
		"admin":    func(b *browser) page { return b.signIn("ada", "shuttle-and-heddle") },
	} {
		people[role] = s.browser(t)
		if p := sign(people[role]); p.status != http.StatusOK {
			t.Fatalf("signing in a %s: %d", role, p.status)
		}
	}
	seen := map[string]bool{}
	for _, rt := range s.pages.echo.Routes() {
		docPath := pageParam.ReplaceAllString(rt.Path, "{$1}")
		key := rt.Method + " " + docPath
		seen[key] = true
		t.Run(key, func(t *testing.T) {
			doc, ok := docs[key]
			if !ok || doc.Table != securitydoc.Web {
				t.Fatalf("docs/SECURITY.md's table of the web app does not say who may use %s", key)
			}
			who := doc.Who
			path := pageParam.ReplaceAllStringFunc(rt.Path, func(p string) string {
				return map[string]string{":cell": "dye-1", ":drop": "winter", ":name": "throughput.csv", ":hash": "0", ":serial": "no-such-serial", ":id": "R-000404"}[p]
			})
			path = strings.Replace(path, "*", "app.css", 1)
			// ask asks as the browser does, with the header of the pages' scripts (a fragment
			// then answers 401 rather than a redirect) and without following redirects; of a
			// stream, which stays open, it reads only the head.
			ask := func(b *browser) page {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, rt.Method, s.URL+path, nil)
				req.Header.Set("HX-Request", "true")
				if rt.Method != http.MethodGet {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				c := *b.c
				c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				p := page{status: res.StatusCode, header: res.Header}
				if res.Header.Get("Content-Type") != "text/event-stream" {
					body, err := io.ReadAll(res.Body)
					if err != nil {
						t.Fatal(err)
					}
					p.body = string(body)
				}
				return p
			}
			anon := ask(s.browser(t))
			refused := anon.status == http.StatusUnauthorized && strings.Contains(anon.body, "sign in again") ||
				anon.status == http.StatusSeeOther && strings.HasPrefix(anon.header.Get("Location"), "/signin")
			if (who == "anyone") == refused {
				t.Errorf("without a sign-in: %d %s; docs/SECURITY.md says %s may use it", anon.status, anon.header.Get("Location"), who)
			}
			for _, secret := range []string{"Quist", "ring the bell", "w-secret"} {
				if strings.Contains(anon.body, secret) {
					t.Errorf("without a sign-in, %q shows", secret)
				}
			}
			if who == "anyone" {
				return // signing in and out: what a role may do is no question
			}
			var may []string
			for _, role := range []string{"operator", "planner", "manager", "admin"} {
				p := ask(people[role])
				if p.status == http.StatusUnauthorized || strings.HasPrefix(p.header.Get("Location"), "/signin") {
					t.Errorf("as a %s: %d %s", role, p.status, p.header.Get("Location"))
				}
				if p.status != http.StatusForbidden {
					may = append(may, role)
				}
			}
			switch who {
			case "any role":
				if len(may) != 4 {
					t.Errorf("only %v may use it; docs/SECURITY.md says %s", may, who)
				}
			default:
				if !slices.Equal(may, strings.Split(who, ", ")) {
					t.Errorf("%v may use it; docs/SECURITY.md says %s", may, who)
				}
			}
		})
	}
	for key, doc := range docs {
		if doc.Table == securitydoc.Web && !seen[key] {
			t.Errorf("docs/SECURITY.md:%d says who may use %s, which the web app does not serve", doc.Line, key)
		}
	}
}
