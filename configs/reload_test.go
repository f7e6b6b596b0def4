package configs_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// demoWith parses the demo factory with each replacement of edits made (old, new, old, new...).
func demoWith(t *testing.T, edits ...string) *configs.Factory {
	t.Helper()
	data, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			t.Fatalf("demo.yaml has no %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	f, err := configs.Parse("configs/demo.yaml", []byte(text), builtin(t))
	if err != nil {
		t.Fatalf("edited demo does not parse:\n%v", err)
	}
	return f
}

const newCell = `cells:
  - id: weave-9
    name: Loom nine
    capabilities: [weave]
    devices:
      - id: loom-9
        kind: loom
        address: 127.0.0.1:15029
`

func TestCompareLive(t *testing.T) {
	old := demoWith(t)
	tests := []struct {
		name  string
		edits []string
		want  []string
	}{
		{"lines moved only", []string{"site: loom-lantern", "# a comment\n\nsite: loom-lantern"}, nil},
		{"person added, token changed", []string{
			"people:\n", "people:\n  - id: nadia\n    name: Nadia\n    role: operator\n    pin: \"1111\"\n",
			"token: demo-operator-token-0001", "token: demo-operator-token-0002"},
			[]string{"people: nadia added", "tokens: floor-tablet changed"}},
		{"person removed", []string{"  - id: priya\n    name: Priya Raman\n    role: operator\n    pin: \"5918\"\n", ""},
			[]string{"people: priya removed"}},
		{"drop moved", []string{"date: 2027-03-01", "date: 2027-04-01"}, []string{"drops: spring-27 changed"}},
		{"hours added", []string{"\nsimulate: true\n", "\nsimulate: true\nhours:\n  timezone: UTC\n  days: [mon, tue]\n  open: \"08:00\"\n  close: \"18:00\"\n"},
			[]string{"hours added"}},
		{"cell added", []string{"cells:\n", newCell}, []string{"cells: weave-9 added"}},
		{"pause reason added", []string{"\nsimulate: true\n", "\nsimulate: true\nreasons:\n  scrap:\n    - {code: tea, label: Tea}\n"},
			[]string{"reasons: scrap/tea added"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := configs.Compare(old, demoWith(t, tc.edits...))
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			var s []string
			for _, c := range got {
				if c.Section != "reasons" || c.ID == "scrap/tea" {
					s = append(s, c.String())
				}
			}
			if !slices.Equal(s, tc.want) {
				t.Errorf("changes %q, want %q", s, tc.want)
			}
		})
	}
}

// demoLine is the line of demo.yaml where text begins, so that a test does not break when the
// demo grows above it.
func demoLine(t *testing.T, text string) int {
	t.Helper()
	data, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), text)
	if i < 0 {
		t.Fatalf("demo.yaml has no %q", text)
	}
	return 1 + strings.Count(string(data[:i]), "\n")
}

func TestCompareRestart(t *testing.T) {
	old := demoWith(t)
	tests := []struct {
		name  string
		edits []string
		want  []string // in the message, in order
	}{
		{"time zone", []string{"\nsimulate: true\n", "\nsimulate: true\nhours:\n  timezone: Europe/Lisbon\n  days: [mon, tue]\n  open: \"08:00\"\n  close: \"18:00\"\n"},
			[]string{"hours: time zone (Europe/Lisbon, was UTC) changed"}},
		{"site", []string{"site: loom-lantern", "site: loom-other"}, []string{"configs/demo.yaml: site changed", "restart the daemon"}},
		{"cell removed", []string{"  - id: dye-2\n", "  - id: dye-2x\n"}, []string{`cell "dye-2" removed`}},
		{"device moved", []string{"serial_line: rs485-1\n        unit_id: 2", "serial_line: rs485-1\n        unit_id: 9"},
			[]string{fmt.Sprintf(`configs/demo.yaml:%d: cell "dye-2": devices changed`, demoLine(t, "  - id: dye-2\n"))}},
		{"simulate and a person", []string{"simulate: true", "simulate: false", "people:\n", "people:\n  - id: nadia\n    name: Nadia\n    role: operator\n    pin: \"1111\"\n"},
			[]string{"simulate changed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := configs.Compare(old, demoWith(t, tc.edits...))
			var re configs.RestartErrors
			if !errors.As(err, &re) || changes != nil {
				t.Fatalf("Compare = %v, %v; want RestartErrors and no changes", changes, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
