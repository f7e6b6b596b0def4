package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/api/internal/securitydoc"
	"github.com/cellforge/cellforge/configs"
)

// roleTokens are the API tokens of testdata/factory.yaml, one for each role.
var roleTokens = map[string]string{
	configs.RoleOperator: operatorToken,
	configs.RolePlanner:  plannerToken,
	configs.RoleManager:  "manager-token-0000000001",
	configs.RoleAdmin:    "admin-token-000000000001",
}

var routeParam = regexp.MustCompile(`:([a-z_]+)`)

// examplePath fills a route's parameters with things testdata/factory.yaml holds.
func examplePath(route string) string {
	return routeParam.ReplaceAllStringFunc(route, func(p string) string {
		return map[string]string{":cell": "weave-1", ":sku": "SCARF", ":drop": "winter", ":order": "A", ":id": "1", ":action": "start",
			":hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ":lot": "Y-1", ":serial": "A-1"}[p]
	})
}

// TestWhoMayUseEachRoute asks every route of the API without credentials and with a token of
// each role. Only the routes docs/SECURITY.md says anyone may use answer without credentials:
// a new route is refused until it is written down there (and in openapi.yaml). The reads, the
// customers' names and notes among them, need a principal of any role; the writes the roles
// the docs name.
func TestWhoMayUseEachRoute(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Mount(http.NotFoundHandler()) })
	if r := ts.importCSV(t, "order_id,sku,quantity,customer,notes\nA,SCARF,2,Zoë Quist,ring the bell twice\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	docs, err := securitydoc.Read("../docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	var openapi struct {
		Security []map[string][]string           `yaml:"security"`
		Paths    map[string]map[string]yaml.Node `yaml:"paths"` // methods, and "parameters"
	}
	if err := yaml.Unmarshal(openAPIDoc, &openapi); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rt := range ts.api.echo.Routes() {
		if rt.Path == "/" || rt.Path == "/*" {
			continue // the web pages of Mount: TestWhoMayUsePages in api/web
		}
		docPath := routeParam.ReplaceAllString(rt.Path, "{$1}")
		key := rt.Method + " " + docPath
		seen[key] = true
		t.Run(key, func(t *testing.T) {
			doc, ok := docs[key]
			if !ok || doc.Table != securitydoc.API {
				t.Fatalf("docs/SECURITY.md's table of the API does not say who may use %s", key)
			}
			path := examplePath(rt.Path)
			anon := ts.do(t, rt.Method, path, "", "application/json", "{}")
			if doc.Who == "anyone" {
				if anon.status == http.StatusUnauthorized || anon.status == http.StatusForbidden {
					t.Errorf("without credentials: %d %s; docs/SECURITY.md says anyone may", anon.status, anon.body)
				}
			} else if anon.status != http.StatusUnauthorized || anon.errorCode(t) != codeUnauthorized {
				t.Errorf("without credentials: %d %s; want 401", anon.status, anon.body)
			}
			if strings.Contains(string(anon.body), "Quist") || strings.Contains(string(anon.body), "ring the bell") {
				t.Errorf("without credentials, the customer's name or notes: %s", anon.body)
			}
			may := []string{}
			for _, role := range []string{configs.RoleOperator, configs.RolePlanner, configs.RoleManager, configs.RoleAdmin} {
				r := ts.do(t, rt.Method, path, roleTokens[role], "application/json", "{}")
				if r.status == http.StatusUnauthorized {
					t.Errorf("as a %s: %d %s", role, r.status, r.body)
				}
				if r.status != http.StatusForbidden {
					may = append(may, role)
				}
			}
			switch doc.Who {
			case "anyone", "any role":
				if len(may) != 4 {
					t.Errorf("only %v may use it; docs/SECURITY.md says %s", may, doc.Who)
				}
			default:
				if got := strings.Join(may, ", "); !sameRoles(got, doc.Who) {
					t.Errorf("%s may use it; docs/SECURITY.md says %s", got, doc.Who)
				}
			}
			// openapi.yaml says the same: no security for anyone, bearer or cookie otherwise.
			node, ok := openapi.Paths[docPath][strings.ToLower(rt.Method)]
			if !ok {
				t.Fatalf("%s is not in openapi.yaml", key)
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("openapi.yaml, %s: %v", key, err)
			}
			security := openapi.Security
			if op.Security != nil {
				security = *op.Security
			}
			open := len(security) == 0
			if open != (doc.Who == "anyone") {
				t.Errorf("openapi.yaml says its security is %v; docs/SECURITY.md says %s may use it", security, doc.Who)
			}
			if _, ok := op.Responses["401"]; !open && !ok {
				t.Errorf("openapi.yaml does not list its 401")
			}
		})
	}
	for key, doc := range docs {
		if doc.Table == securitydoc.API && !seen[key] {
			t.Errorf("docs/SECURITY.md:%d says who may use %s, which the API does not serve", doc.Line, key)
		}
	}
}

// openAPIOperation is what the access test reads of an operation of openapi.yaml.
type openAPIOperation struct {
	Security  *[]map[string][]string `yaml:"security"`
	Responses map[string]any         `yaml:"responses"`
}

func sameRoles(a, b string) bool {
	split := func(s string) []string {
		r := strings.Split(s, ", ")
		slices.Sort(r)
		return r
	}
	return slices.Equal(split(a), split(b))
}
