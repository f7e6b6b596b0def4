package certify_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

// TestChecksInCertificate: a step's checklist results go into the certificate, item by item,
// the failed pack and its rework both; no person's name goes with them; a step without checks
// has no checks member, so certificates issued before steps had checks verify unchanged.
func TestChecksInCertificate(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.Factory.Products[0].Routing[2].Checks = []configs.Check{
		{Name: "Fringe even"}, {Name: "Length", Measure: true, Unit: "cm", Min: 198, Max: 202},
	}
	wo := fx.make(t, "Q-1", 2)
	answers := func(length float64) []book.CheckResult {
		yes := true
		return []book.CheckResult{{Name: "Fringe even", Pass: &yes}, {Name: "Length", Value: &length}}
	}
	act := func(op int64, a book.Action, checks []book.CheckResult) book.TransitionResult {
		t.Helper()
		res, err := fx.Book.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "person:ana", Checks: checks})
		if err != nil {
			t.Fatalf("%s operation %d: %v", a, op, err)
		}
		return res
	}
	d, err := fx.Book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	pack := d.Operations[2].ID
	act(pack, book.ActionStart, nil)
	res := act(pack, book.ActionComplete, answers(190))
	if res.NonConformance == nil {
		t.Fatal("a length of 190 cm passed")
	}
	nc, err := fx.Book.DecideNonConformance(ctx, book.NCDecision{ID: res.NonConformance.ID, Decision: book.NCRework, Actor: "person:ben"})
	if err != nil {
		t.Fatal(err)
	}
	act(nc.Rework, book.ActionStart, nil)
	act(nc.Rework, book.ActionComplete, answers(200.5))

	u := fx.unit(t, wo)
	chain, err := provenance.Verify(u.Certificate, fx.keys.PublicKeys())
	if err != nil {
		t.Fatalf("the certificate does not verify: %v", err)
	}
	r := chain.Revisions[0].Revision
	if len(r.Steps) != 4 {
		t.Fatalf("%d steps, want dye, weave, pack and its rework", len(r.Steps))
	}
	for i, s := range r.Steps[:2] {
		if s.Checks != nil {
			t.Errorf("step %d without a checklist has checks %+v", i, s.Checks)
		}
	}
	failed, rework := r.Steps[2].Checks, r.Steps[3].Checks
	if len(failed) != 2 || failed[1].Name != "Length" || *failed[1].Value != 190 || failed[1].Unit != "cm" || failed[1].Pass || !failed[0].Pass {
		t.Errorf("the failed pack's checks = %+v", failed)
	}
	if len(rework) != 2 || *rework[1].Value != 200.5 || !rework[1].Pass || r.Steps[3].Name != "Rework: pack" {
		t.Errorf("the rework's checks = %+v (%s)", rework, r.Steps[3].Name)
	}
	if n := bytes.Count(u.Certificate, []byte(`"checks"`)); n != 2 {
		t.Errorf("%d checks members in the certificate, want the 2 steps with checks only", n)
	}
	for _, secret := range []string{"person:", "Ben", "ben"} {
		if bytes.Contains(u.Certificate, []byte(secret)) {
			t.Errorf("the certificate holds %q", secret)
		}
	}
	g, err := fx.Book.Genealogy(ctx, wo.OrderID+"-1")
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Steps[2]; len(s.Checks) != 1 || s.Checks[0].Passed || len(s.NonConformances) != 1 ||
		s.NonConformances[0].State != book.NCRework || s.NonConformances[0].DecidedBy != "person:ben" {
		t.Errorf("the genealogy's pack step: checks %+v, non-conformances %+v", s.Checks, s.NonConformances)
	}
	if s := g.Steps[3]; len(s.Checks) != 1 || !s.Checks[0].Passed || s.Checks[0].By != "person:ana" {
		t.Errorf("the genealogy's rework step: checks %+v", s.Checks)
	}
}
