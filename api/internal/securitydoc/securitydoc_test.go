package securitydoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name, doc string
		want      map[string]Route
		err       string
	}{
		{
			name: "two tables",
			doc: "# Security\n\n### API (`/api/v1`)\n\n| route | who | holds |\n| --- | --- | --- |\n" +
				"| `GET /healthz` | anyone | status |\n| `POST /api/v1/cells/{cell}/reset` | operator, manager, admin | clears |\n\n" +
				"### Web app\n\n| `GET /tablet/{cell}` | anyone | the PIN screen |\nnot a row: `GET /x` | anyone |\n",
			want: map[string]Route{
				"GET /healthz":                    {Who: "anyone", Table: API, Line: 7},
				"POST /api/v1/cells/{cell}/reset": {Who: "operator, manager, admin", Table: API, Line: 8},
				"GET /tablet/{cell}":              {Who: "anyone", Table: Web, Line: 12},
			},
		},
		{
			name: "the hub's table left out",
			doc:  "### API\n| `GET /healthz` | anyone | a |\n### Hub (`cellforge hub`)\n| `GET /healthz` | anyone | b |\n",
			want: map[string]Route{"GET /healthz": {Who: "anyone", Table: API, Line: 2}},
		},
		{
			name: "a route twice",
			doc:  "### API\n| `GET /healthz` | anyone | a |\n### Web app\n| `GET /healthz` | any role | b |\n",
			err:  ":4: GET /healthz is in the tables twice (first at line 2)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "SECURITY.md")
			if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if tt.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tt.err) {
					t.Fatalf("Read: %v, want an error ending %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("Read: %v, want %v", got, tt.want)
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s: %+v, want %+v", k, got[k], w)
				}
			}
		})
	}
}

func TestReadTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "SECURITY.md")
	doc := "### API\n| `GET /healthz` | anyone | a |\n### Hub (`cellforge hub`)\n| `GET /healthz` | anyone | b |\n" +
		"| `POST /api/v1/network/sites/{site}/gone` | admin | c |\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTable(path, Hub)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Route{
		"GET /healthz":                           {Who: "anyone", Table: Hub, Line: 4},
		"POST /api/v1/network/sites/{site}/gone": {Who: "admin", Table: Hub, Line: 5},
	}
	if len(got) != len(want) {
		t.Errorf("ReadTable: %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
}
