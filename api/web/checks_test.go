package web

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// TestGenealogyShowsChecks: a unit's page shows each step's check, item by item, who answered
// it and when, and the non-conformance it opened with its decision and note.
func TestGenealogyShowsChecks(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	f := s.book.Factory()
	for i, p := range f.Products {
		if p.SKU == "SCARF" {
			f.Products[i].Routing[0].Checks = []configs.Check{{Name: "Even colour"}, {Name: "Width", Measure: true, Unit: "cm", Min: 29, Max: 31}}
		}
	}
	s.importCSV(t, "order_id,sku,quantity\nq-1,SCARF,1\n")
	_, wo, err := s.book.Order(ctx, "q-1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	dye := d.Operations[0].ID
	yes, width := true, 27.5
	if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: dye, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.book.Transition(ctx, book.TransitionRequest{Operation: dye, Action: book.ActionComplete, Actor: "person:ana",
		Checks: []book.CheckResult{{Name: "Even colour", Pass: &yes}, {Name: "Width", Value: &width}}})
	if err != nil || res.NonConformance == nil {
		t.Fatalf("failing the check: %+v, %v", res, err)
	}
	if _, err := s.book.DecideNonConformance(ctx, book.NCDecision{ID: res.NonConformance.ID, Decision: book.NCAccept,
		Note: "sold as <seconds>", Actor: "person:max", MayAccept: true}); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	r := b.get("/manager/units/q-1-1")
	for _, want := range []string{
		`data-passed="false">Check failed (1 units) by <span class="code">person:ana</span>`,
		"Even colour pass; Width 27.5 cm <strong>fail</strong>",
		`data-state="accept">Non-conformance ` + strconv.FormatInt(res.NonConformance.ID, 10) + ` (Width failed): accept by <span class="code">person:max</span>`,
		": sold as &lt;seconds&gt;",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the unit's page lacks %s:\n%s", want, r.body)
		}
	}
}
