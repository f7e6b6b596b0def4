package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/configs"
)

// TestTabletShowsTheChecklist: the current job of a step with a quality checklist shows its
// items, a measurement with its unit and limits, for the complete action to ask first; the
// jobs after it, and a step without a checklist, show none.
func TestTabletShowsTheChecklist(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []configs.Check
		want   []string
	}{
		{"a checklist", []configs.Check{{Name: "No loose knots"}, {Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162}},
			[]string{`<li data-check="No loose knots">No loose knots</li>`,
				`<li data-check="Width" data-unit="cm" data-min="158" data-max="162" data-limits="158–162">Width (cm) 158–162</li>`}},
		{"none", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := booktest.Factory(t, "testdata/factory.yaml")
			f.Products[0].Routing[0].Checks = tc.checks
			s := newSiteClock(t, f, nil, nil)
			s.importCSV(t, "order_id,sku,quantity,customer,notes\nw-1,SCARF,2,,\nw-2,SCARF,1,,\n")
			ana := s.browser(t)
			if p := ana.signInPIN("dye-1", "ana", "1234"); p.status != http.StatusOK {
				t.Fatalf("sign-in: %d", p.status)
			}
			p := ana.get("/tablet/dye-1")
			list := regexp.MustCompile(`(?s)<div class="checks".*?</div>`).FindAllString(p.body, -1)
			if len(tc.want) == 0 {
				if len(list) != 0 {
					t.Fatalf("a step without a checklist shows one: %v", list)
				}
				return
			}
			if len(list) != 1 {
				t.Fatalf("want the checklist of the current job once, got %d:\n%s", len(list), p.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(list[0], w) {
					t.Errorf("the checklist lacks %s:\n%s", w, list[0])
				}
			}
			if !strings.Contains(p.body, `<dialog id="dialog-checks"`) {
				t.Errorf("no checklist dialog on the page")
			}
		})
	}
}

// TestTabletShowsNonConformances: a completion whose check fails (a value out of its limits is
// an answer, not an input error) leaves the job paused and the tablet shows the
// non-conformance with Rework and Scrap, and Accept only to a manager; a value that is not a
// number is refused naming the item, nothing stored; once decided, it goes.
func TestTabletShowsNonConformances(t *testing.T) {
	f := booktest.Factory(t, "testdata/factory.yaml")
	f.Products[0].Routing[0].Checks = []configs.Check{{Name: "No loose knots"}, {Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162}}
	s := newSiteClock(t, f, nil, nil)
	s.importCSV(t, "order_id,sku,quantity,customer,notes\nw-1,SCARF,2,,\n")
	ana := s.browser(t)
	ana.signInPIN("dye-1", "ana", "1234")
	op := attr(t, ana.get("/tablet/dye-1/live").body, "article", "data-op")
	if r := ana.post("/api/v1/operations/"+op+"/start", `{}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := ana.post("/api/v1/operations/"+op+"/complete", `{"quantity":2,"checks":[{"name":"No loose knots","pass":true},{"name":"Width","value":"abc"}]}`, "k2", false); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "checks[1].value") {
		t.Fatalf("a width that is not a number: %d %s, want 422 naming checks[1].value", r.status, r.body)
	}
	if live := ana.get("/tablet/dye-1/live").body; attr(t, live, "article", "data-state") != "running" || strings.Contains(live, `id="ncs"`) {
		t.Fatalf("a refused completion changed the job:\n%s", live)
	}
	r := ana.post("/api/v1/operations/"+op+"/complete", `{"quantity":2,"checks":[{"name":"No loose knots","pass":true},{"name":"Width","value":170}]}`, "k3", false)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"nonconformance"`) {
		t.Fatalf("a width out of its limits: %d %s, want the completion answered with its non-conformance", r.status, r.body)
	}
	ncs := regexp.MustCompile(`(?s)<div id="ncs".*?</div>\s*</div>`)
	live := ana.get("/tablet/dye-1/live").body
	if !strings.Contains(live, `data-state="paused">Paused · Quality check</p>`) {
		t.Errorf("the banner does not say the job waits for its failed check's decision:\n%s", live)
	}
	nc := ncs.FindString(live)
	for _, want := range []string{`data-operation="` + op + `"`, `<strong class="failed">Width</strong>`, `data-decision="rework">Rework</button>`,
		`data-decision="scrap">Scrap</button>`, "Only a manager may accept"} {
		if !strings.Contains(nc, want) {
			t.Errorf("the operator's tablet does not show %s:\n%s", want, nc)
		}
	}
	if strings.Contains(nc, `data-action="nc-accept"`) {
		t.Errorf("an operator is offered Accept:\n%s", nc)
	}
	mgr := s.browser(t)
	mgr.signIn("max", "loom-and-lantern")
	if m := ncs.FindString(mgr.get("/tablet/dye-1/live").body); !strings.Contains(m, `data-action="nc-accept"`) || strings.Contains(m, "Only a manager") {
		t.Errorf("a manager is not offered Accept:\n%s", m)
	}
	id := attr(t, nc, "div", "data-nc")
	if r := ana.post("/api/v1/nonconformances/"+id+"/decision", `{"decision":"rework","note":""}`, "k4", false); r.status != http.StatusOK {
		t.Fatalf("rework: %d %s", r.status, r.body)
	}
	live = ana.get("/tablet/dye-1/live").body
	if strings.Contains(live, `id="ncs"`) || !strings.Contains(live, "Rework: ") {
		t.Errorf("after the rework, the non-conformance still shows, or the rework is not queued at the cell:\n%s", live)
	}
}
