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
