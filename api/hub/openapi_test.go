package hub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIDocumentsEveryRoute keeps the served document and the API's routes in step, both
// ways: every route the hub serves outside its dashboard is documented, and every documented
// route is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := (&server{log: slog.New(slog.DiscardHandler)}).routes()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /api/v1/openapi.yaml: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi.yaml is OpenAPI %q, want 3.0", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, rt := range e.Routes() {
		if isPage(rt.Path) || rt.Method == echo.RouteNotFound {
			continue // the dashboard, not the API; echo's own answer to a path of a group not served
		}
		path := routeParam.ReplaceAllString(rt.Path, "{$1}")
		key := strings.ToLower(rt.Method) + " " + path
		routes[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s is not in openapi.yaml", key)
		}
	}
	if !routes["post /api/v1/network/drops/{drop}/orders"] {
		t.Fatalf("the routes read are not the hub's: %v", routes)
	}
	for path, methods := range doc.Paths {
		for m := range methods {
			if m == "parameters" {
				continue
			}
			if !routes[m+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which the hub does not serve", m, path)
			}
		}
	}
}

// TestOpenAPIListsEveryErrorCode keeps the error codes of openapi.yaml and those of errors.go
// in step, both ways: the hub's own (its code constants) and those of the site API's door it
// answers (sharedCodes). A code of api the package uses is in sharedCodes or, for the
// dashboard's pages alone, pageCodes.
func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	codes := append(stringConsts(t, "errors.go", "code"), sharedCodes...)
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	for _, c := range codes {
		if !slices.Contains(enum, c) {
			t.Errorf("openapi.yaml's error codes lack %q", c)
		}
	}
	for _, c := range enum {
		if !slices.Contains(codes, c) {
			t.Errorf("openapi.yaml lists the error code %q, which errors.go does not declare", c)
		}
	}
	// The values of api's exported codes: export.go names each after a constant of errors.go.
	values := map[string]string{}
	for _, c := range constSpecs(t, "../errors.go") {
		if v, ok := c.value.(string); ok {
			values[c.name] = v
		}
	}
	exported := map[string]string{}
	for _, c := range constSpecs(t, "../export.go") {
		if id, ok := c.value.(*ast.Ident); ok {
			exported[c.name] = values[id.Name]
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, name := range apiCodesUsed(t, f) {
			v, ok := exported[name]
			if !ok {
				t.Fatalf("%s uses api.%s, which ../export.go does not declare", f, name)
			}
			if !slices.Contains(sharedCodes, v) && !slices.Contains(pageCodes, v) {
				t.Errorf("%s answers api.%s (%q), which errors.go's sharedCodes does not list", f, name, v)
			}
		}
	}
}

// constSpec is a constant of a file: its name and its string value, or the identifier it is
// set to.
type constSpec struct {
	name  string
	value any
}

func constSpecs(t *testing.T, path string) []constSpec {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []constSpec
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				switch v := vs.Values[i].(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(v.Value); err == nil && v.Kind == token.STRING {
						out = append(out, constSpec{name.Name, s})
					}
				case *ast.Ident:
					out = append(out, constSpec{name.Name, v})
				}
			}
		}
	}
	return out
}

// stringConsts returns the string constants of path whose names start with prefix.
func stringConsts(t *testing.T, path, prefix string) []string {
	t.Helper()
	var out []string
	for _, c := range constSpecs(t, path) {
		if s, ok := c.value.(string); ok && strings.HasPrefix(c.name, prefix) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s declares no constant %s...", path, prefix)
	}
	return out
}

// apiCodesUsed returns the names of api's Code constants a file refers to.
func apiCodesUsed(t *testing.T, path string) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, isIdent := sel.X.(*ast.Ident); isIdent && x.Name == "api" && strings.HasPrefix(sel.Sel.Name, "Code") {
			out = append(out, sel.Sel.Name)
		}
		return true
	})
	return out
}
