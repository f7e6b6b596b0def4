// Package securitydoc reads the route tables of docs/SECURITY.md, for the tests that hold the
// routes the daemon serves to what the document says of them: who may use each
// (api.TestWhoMayUseEachRoute, web.TestWhoMayUsePages), and that the document names no route
// that is not served. It imports only the standard library, and only tests import it.
package securitydoc

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Tables of docs/SECURITY.md, by the start of their heading.
const (
	API = "API"     // the API's routes, /healthz and /metrics
	Web = "Web app" // the web app's pages, fragments, streams and forms
	// Hub is the table of the network hub's routes (api/hub), a daemon of its own: Read leaves
	// it out, since a path such as /healthz is in both, and ReadTable reads it.
	Hub = "Hub"
)

// Route is what the document says of a route.
type Route struct {
	// Who may use it: "anyone", "any role", or the roles that may, joined by ", ".
	Who string
	// Table is the heading of the table the route is in, up to its first " (": API or Web.
	Table string
	// Line is the line of the row, from 1.
	Line int
}

var (
	heading = regexp.MustCompile(`^### (.+)$`)
	row     = regexp.MustCompile("^\\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \\| ([^|]+?) \\|")
)

// Read reads the route tables of the document at path: the rows that start with a method and a
// path in backquotes, then who may use the route, by "METHOD /path" (parameters in braces:
// /cells/{cell}). Each row belongs to the table of the "### " heading above it. A route in the
// tables twice is an error. The Hub's table is left out (see ReadTable).
func Read(path string) (map[string]Route, error) {
	return read(path, func(table string) bool { return table != Hub })
}

// ReadTable reads the rows of the one table of the document at path whose heading starts with
// table (up to its first " ("), as Read reads them all.
func ReadTable(path, table string) (map[string]Route, error) {
	return read(path, func(t string) bool { return t == table })
}

func read(path string, keep func(table string) bool) (map[string]Route, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]Route{}
	table := ""
	for i, line := range strings.Split(string(raw), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			table, _, _ = strings.Cut(m[1], " (")
			continue
		}
		m := row.FindStringSubmatch(line)
		if m == nil || !keep(table) {
			continue
		}
		key := m[1] + " " + m[2]
		if first, dup := out[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is in the tables twice (first at line %d)", path, i+1, key, first.Line)
		}
		out[key] = Route{Who: m[3], Table: table, Line: i + 1}
	}
	return out, nil
}
