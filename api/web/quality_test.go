package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/configs"
)

// failedCheckSite is a site whose dye step has a checklist, and whose one job there failed its
// width check: it returns the site and the non-conformance's id.
func failedCheckSite(t *testing.T) (*site, int64) {
	t.Helper()
	f := booktest.Factory(t, "testdata/factory.yaml")
	f.Products[0].Routing[0].Checks = []configs.Check{{Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162}}
	s := newSiteClock(t, f, nil, nil)
	s.importCSV(t, "order_id,sku,quantity,customer,notes\nw-1,SCARF,2,,\n")
	ana := s.browser(t)
	ana.signInPIN("dye-1", "ana", "1234")
	op := attr(t, ana.get("/tablet/dye-1/live").body, "article", "data-op")
	if r := ana.post("/api/v1/operations/"+op+"/start", `{}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := ana.post("/api/v1/operations/"+op+"/complete", `{"quantity":2,"checks":[{"name":"Width","value":150}]}`, "k2", false); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	ncs, err := s.book.NonConformances(context.Background(), book.NCFilter{State: book.NCOpen})
	if err != nil || len(ncs) != 1 {
		t.Fatalf("open non-conformances: %v %v", ncs, err)
	}
	return s, ncs[0].ID
}

// TestManagerQualityPage: the managers' page lists the open non-conformances with the
// decisions the person may take (Accept with a note for managers and admins only, none for a
// planner), refuses a bad decision with the book's words and nothing changed, and lists the
// decided ones with their note.
func TestManagerQualityPage(t *testing.T) {
	s, id := failedCheckSite(t)
	sid := strconv.FormatInt(id, 10)
	people := map[string]*browser{}
	for role, sign := range map[string]func(b *browser) page{
		"operator": func(b *browser) page { return b.signInPIN("dye-1", "bo", "5678") },
		"planner":  func(b *browser) page { return b.signIn("pia", "weft-and-warp") },
		"manager":  func(b *browser) page { return b.signIn("max", "loom-and-lantern") },
	} {
		people[role] = s.browser(t)
		if p := sign(people[role]); p.status != http.StatusOK {
			t.Fatalf("signing in a %s: %d", role, p.status)
		}
	}
	open := regexp.MustCompile(`(?s)<table id="ncs-open".*?</table>`)
	for _, tc := range []struct {
		role           string
		decide, accept bool
	}{{"operator", true, false}, {"planner", false, false}, {"manager", true, true}} {
		t.Run(tc.role, func(t *testing.T) {
			p := people[tc.role].get("/manager/quality")
			tbl := open.FindString(p.body)
			if p.status != http.StatusOK || !strings.Contains(tbl, `<tr data-nc="`+sid+`">`) || !strings.Contains(tbl, `<td class="failed">Width</td>`) {
				t.Fatalf("%d, the open non-conformance %d not listed:\n%s", p.status, id, p.body)
			}
			if got := strings.Contains(tbl, `value="rework">Rework</button>`); got != tc.decide {
				t.Errorf("Rework offered: %v, want %v", got, tc.decide)
			}
			if got := strings.Contains(tbl, `<form class="nc-accept"`); got != tc.accept {
				t.Errorf("Accept offered: %v, want %v", got, tc.accept)
			}
		})
	}
	decide := func(b *browser, decision, note string) page {
		return b.form("/manager/quality/"+sid+"/decision", url.Values{"decision": {decision}, "note": {note}})
	}
	stateOf := func() book.NCState {
		nc, err := s.book.NonConformance(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return nc.State
	}
	for _, tc := range []struct {
		name           string
		who            string
		decision, note string
		status         int
		says           string
		state          book.NCState
	}{
		{"an operator accepting", "operator", "accept", "close enough", http.StatusForbidden, "Only a manager accepts", book.NCOpen},
		{"a planner", "planner", "rework", "", http.StatusForbidden, "", book.NCOpen},
		{"no such decision", "manager", "keep", "", http.StatusUnprocessableEntity, "decision", book.NCOpen},
		{"accepting without a note", "manager", "accept", " ", http.StatusUnprocessableEntity, "note", book.NCOpen},
		{"accepted with a note", "manager", "accept", "the customer wants it wide", http.StatusOK, "Non-conformance " + sid + ": accept.", book.NCAccept},
		{"the same again", "manager", "accept", "the customer wants it wide", http.StatusOK, "Non-conformance " + sid + ": accept.", book.NCAccept},
		{"another decision after", "manager", "scrap", "", http.StatusConflict, "decided already", book.NCAccept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decide(people[tc.who], tc.decision, tc.note)
			if p.status != tc.status || !strings.Contains(p.body, tc.says) {
				t.Fatalf("%d, want %d saying %q:\n%s", p.status, tc.status, tc.says, p.body)
			}
			if got := stateOf(); got != tc.state {
				t.Errorf("state %s, want %s", got, tc.state)
			}
		})
	}
	p := people["manager"].get("/manager/quality")
	if d := regexp.MustCompile(`(?s)<table id="ncs-decided".*?</table>`).FindString(p.body); !strings.Contains(d, `<tr data-nc="`+sid+`" data-state="accept">`) || !strings.Contains(d, "the customer wants it wide") {
		t.Errorf("the decided non-conformance is not listed with its note:\n%s", p.body)
	}
	if strings.Contains(p.body, `id="ncs-open"`) {
		t.Errorf("the decided non-conformance is still open on the page")
	}
}
