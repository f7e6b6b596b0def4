package book_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// testAftercare is the aftercare section of testdata/repairs.yaml's studio: rugs with a
// checklist, a cleaning (wash cell) and a new fringe (repair cell, with a part), and a care
// plan of one cleaning a year.
func testAftercare() *configs.Aftercare {
	return &configs.Aftercare{
		PublicIntake:   true,
		EstimateValid:  14 * 24 * time.Hour,
		Currency:       "EUR",
		LabourRate:     4500,
		ExpressPremium: 25,
		Diagnosis:      configs.Step{Name: "diagnosis", Capability: "repair", UnitTime: 30 * time.Minute},
		Kinds: []configs.ItemKind{{ID: "rug", Name: "Rug", SKUs: []string{"RUG"}, Checklist: []configs.CheckItem{
			{ID: "holes", Label: "Holes", Input: configs.CheckBox},
			{ID: "fringe", Label: "Fringe", Input: configs.CheckBox},
			{ID: "size", Label: "Size", Input: configs.CheckText},
		}}, {ID: "ring", Name: "Ring"}},
		Services: []configs.Service{
			{ID: "clean", Name: "Cleaning", Kinds: []string{"rug"}, Fee: 1000,
				Routing: []configs.Step{{Name: "wash", Capability: "wash", Setup: 10 * time.Minute, UnitTime: 20 * time.Minute}}},
			{ID: "fringe", Name: "New fringe", Kinds: []string{"rug"}, Fee: 2000, Parts: []configs.Part{{Name: "cotton fringe", Price: 850}},
				Routing: []configs.Step{{Name: "fringe", Capability: "repair", UnitTime: 45 * time.Minute}}},
			{ID: "resize", Name: "Resize", Kinds: []string{"ring"}, Fee: 3000,
				Routing: []configs.Step{{Name: "resize", Capability: "repair", UnitTime: 10 * time.Minute}}},
		},
		CarePlans: []configs.CarePlan{{ID: "care", Name: "Care", Term: 365 * 24 * time.Hour, Price: 4900,
			Covers: []configs.Cover{{Service: "clean", Count: 1}}}},
	}
}

// newRepairFixture is a book of testdata/repairs.yaml with testAftercare, and rug units
// finished: order U of n rugs for customer Ana, whose serials it returns.
func newRepairFixture(t *testing.T, n int) (*fixture, []string) {
	t.Helper()
	fx := newFixtureOf(t, "testdata/repairs.yaml")
	fx.factory.Aftercare = testAftercare() // the book reads the factory it was given
	fx.mustImport(t, "a", fmt.Sprintf("order_id,sku,quantity,customer\nU,RUG,%d,Ana\n", n))
	fx.finish(t, fx.workOrders(t)[0].ID)
	var serials []string
	for _, u := range orderUnits(t, fx, "U") {
		serials = append(serials, u.Serial)
	}
	return fx, serials
}

// counter opens a repair at the counter.
func (fx *fixture) counter(t *testing.T, in book.RepairIntake) (book.Repair, string) {
	t.Helper()
	in.Source = book.SourceCounter
	if in.Customer == "" {
		in.Customer = "Ana"
	}
	in.Actor = "ines"
	r, link, err := fx.book.OpenRepair(context.Background(), in)
	if err != nil {
		t.Fatalf("opening a repair: %v", err)
	}
	return r, link
}

// diagnose starts the repair's diagnosis operation and diagnoses it with services.
func (fx *fixture) diagnose(t *testing.T, r book.Repair, services ...string) (book.Repair, error) {
	t.Helper()
	op := fx.diagnosisOp(t, r)
	if op.State == book.Queued {
		fx.mustAct(t, op.ID, book.ActionStart)
	}
	now := fx.clock.Now()
	return fx.book.Diagnose(context.Background(), book.DiagnoseRequest{Repair: r.ID, Operation: op.ID, Findings: "worn fringe",
		Services: services, Standard: now.Add(72 * time.Hour), Express: now.Add(24 * time.Hour), Actor: "ines"})
}

func (fx *fixture) diagnosisOp(t *testing.T, r book.Repair) book.Operation {
	t.Helper()
	d, err := fx.book.WorkOrder(context.Background(), r.DiagnosisWorkOrder)
	if err != nil || len(d.Operations) != 1 {
		t.Fatalf("diagnosis work order %d of %s: %+v, %v", r.DiagnosisWorkOrder, r.ID, d, err)
	}
	return d.Operations[0]
}

// rowCounts counts what a failed request must not have stored: repairs, events, orders, work
// orders and care plan uses, read through the book.
func (fx *fixture) rowCounts(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	rs, err := fx.book.Repairs(ctx, book.RepairFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wos := fx.workOrders(t)
	evs := fx.events(t)
	var left []string
	for _, r := range rs {
		for _, s := range []string{r.Serial, ""} {
			cs, err := fx.book.CarePlans(ctx, s, r.Customer, fx.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				left = append(left, fmt.Sprint(c.ID, c.Left))
			}
		}
	}
	return fmt.Sprintf("%d repairs, %d work orders, %d events, plans %v", len(rs), len(wos), len(evs), left)
}

// TestPriceEstimate prices services alone: fee, labour at the hourly rate rounded half up,
// parts, the express premium rounded half up, a care plan's cover, and no express choice when
// the express date is not earlier.
func TestPriceEstimate(t *testing.T) {
	s := time.Date(2026, 11, 10, 17, 0, 0, 0, time.UTC)
	a := testAftercare()
	tests := []struct {
		name     string
		rate     configs.Money
		premium  int
		services []string
		covered  map[string]book.Coverage
		express  time.Time
		// want: per line "fee+labour+parts=price>charged", then subtotal, premium and totals
		want string
	}{
		{name: "a cleaning: 30 min at 45.00", rate: 4500, premium: 25, services: []string{"clean"}, express: s.Add(-48 * time.Hour),
			want: "10.00+22.50+0.00=32.50>32.50; sub 32.50, premium 8.13, standard 32.50, express 40.63"},
		{name: "two services with a part", rate: 4500, premium: 25, services: []string{"fringe", "clean"}, express: s.Add(-time.Hour),
			want: "20.00+33.75+8.50=62.25>62.25, 10.00+22.50+0.00=32.50>32.50; sub 94.75, premium 23.69, standard 94.75, express 118.44"},
		{name: "labour rounds half up", rate: 3333, premium: 10, services: []string{"fringe"}, express: s.Add(-time.Hour),
			// 45 min of 33.33 is 24.9975
			want: "20.00+25.00+8.50=53.50>53.50; sub 53.50, premium 5.35, standard 53.50, express 58.85"},
		{name: "labour rounds down below the half", rate: 3331, premium: 0, services: []string{"fringe"}, express: s.Add(-time.Hour),
			// 45 min of 33.31 is 24.9825
			want: "20.00+24.98+8.50=53.48>53.48; sub 53.48, premium 0.00, standard 53.48, express 53.48"},
		{name: "covered by a plan", rate: 4500, premium: 25, services: []string{"clean", "fringe"},
			covered: map[string]book.Coverage{"clean": {Holding: 7, Plan: "care"}}, express: s.Add(-time.Hour),
			want: "10.00+22.50+0.00=32.50>0.00 (7), 20.00+33.75+8.50=62.25>62.25; sub 62.25, premium 15.56, standard 62.25, express 77.81"},
		{name: "express not earlier: no express", rate: 4500, premium: 25, services: []string{"clean"}, express: s,
			want: "10.00+22.50+0.00=32.50>32.50; sub 32.50, standard 32.50, no express"},
		{name: "no express date", rate: 4500, premium: 25, services: []string{"clean"},
			want: "10.00+22.50+0.00=32.50>32.50; sub 32.50, standard 32.50, no express"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.LabourRate, a.ExpressPremium = tt.rate, tt.premium
			e, err := book.PriceEstimate(a, tt.services, tt.covered, s, tt.express)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range e.Lines {
				parts := configs.Money(0)
				for _, p := range l.Parts {
					parts += p.Price
				}
				v := fmt.Sprintf("%s+%s+%s=%s>%s", l.Fee, l.Labour, parts, l.Price, l.Charged)
				if l.CoveredBy != nil {
					v += fmt.Sprintf(" (%d)", l.CoveredBy.Holding)
				}
				lines = append(lines, v)
			}
			got := strings.Join(lines, ", ") + "; sub " + e.Subtotal.String()
			if e.Express != nil {
				got += fmt.Sprintf(", premium %s, standard %s, express %s", e.Premium, e.StandardTotal, e.ExpressTotal)
			} else {
				got += fmt.Sprintf(", standard %s, no express", e.StandardTotal)
			}
			if got != tt.want {
				t.Errorf("estimate:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, bad := range []struct {
		services []string
		field    string
	}{{nil, "services"}, {[]string{"clean", "nope"}, "services[1]"}, {[]string{"clean", "clean"}, "services[1]"}} {
		_, err := book.PriceEstimate(a, bad.services, nil, s, time.Time{})
		var fe *book.FieldError
		if !errors.As(err, &fe) || fe.Field != bad.field || !errors.Is(err, book.ErrInvalid) {
			t.Errorf("services %q: %v, want a field error of %s", bad.services, err, bad.field)
		}
	}
}

// TestRepairLifecycle takes a counter repair through diagnosis, approval of the express
// estimate, its work and its return: the diagnosis and the work are work orders of no drop
// that make no unit and owe no label (the repair cell has a label printer), and the unit's
// story tells the repair once its work is done.
func TestRepairLifecycle(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	serial := serials[0]
	labels := func() int {
		_, n, err := fx.book.OwedLabels(ctx, "repair-1", 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	r, link := fx.counter(t, book.RepairIntake{Serial: serial, Description: "the fringe is worn\nat one end",
		Checklist: map[string]string{"fringe": "yes", "size": "2x3 m", "holes": ""}})
	if r.ID != "R-000001" || r.State != book.RepairReceived || r.Kind != "rug" || r.DiagnosisWorkOrder == 0 || link == "" ||
		len(r.Checklist) != 2 {
		t.Fatalf("opened %+v, link %q", r, link)
	}
	op := fx.diagnosisOp(t, r)
	if op.State != book.Queued || op.Cell != "repair-1" || op.Name != "diagnosis" {
		t.Fatalf("diagnosis operation %+v, want queued at repair-1", op)
	}
	if got, err := fx.book.RepairForOperation(ctx, op.ID); err != nil || got.ID != r.ID {
		t.Errorf("RepairForOperation(%d) = %s, %v", op.ID, got.ID, err)
	}
	r, err := fx.diagnose(t, r, "fringe", "clean")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != book.RepairEstimated || r.Estimate == nil || r.Estimate.Express == nil || r.Estimate.ExpressTotal != 11844 {
		t.Fatalf("diagnosed %+v", r)
	}
	if d, err := fx.book.WorkOrder(ctx, r.DiagnosisWorkOrder); err != nil || d.State != book.WorkDone {
		t.Errorf("diagnosis work order after the diagnosis: %+v, %v", d.WorkOrder, err)
	}
	if got, err := fx.book.RepairByLink(ctx, link); err != nil || got.ID != r.ID {
		t.Errorf("RepairByLink = %s, %v", got.ID, err)
	}
	r, err = fx.book.Decide(ctx, link, book.Decision{Approve: true, Express: true}, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err := fx.book.WorkOrder(ctx, r.WorkOrder)
	if err != nil || d.SKU != "repair:fringe+clean" || d.OrderID != r.ID+"-W" || d.Priority != book.RepairPriorityExpress ||
		d.Drop != "" || len(d.Operations) != 2 || d.Operations[0].Cell != "repair-1" || d.Operations[1].Capability != "wash" ||
		!d.Due.Equal(*r.Estimate.Express) {
		t.Fatalf("work order of the approval: %+v, %v", d, err)
	}
	for _, o := range d.Operations {
		if got, err := fx.book.RepairForOperation(ctx, o.ID); err != nil || got.ID != r.ID {
			t.Errorf("RepairForOperation(%d), a step of the repair's work = %s, %v", o.ID, got.ID, err)
		}
	}
	for _, n := range []book.NoteRequest{{Operation: d.Operations[0].ID, Text: "new cotton fringe, hand-knotted", Actor: "ines"},
		{Operation: d.Operations[0].ID, Text: "the customer haggled", Private: true, Actor: "ines"}} {
		if _, _, err := fx.book.AddNote(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := fx.book.Story(ctx, serial); err != nil || len(s.Repairs) != 0 {
		t.Errorf("the story tells a repair whose work is not done: %+v, %v", s.Repairs, err)
	}
	fx.finish(t, r.WorkOrder)
	if r, err = fx.book.Repair(ctx, r.ID); err != nil || r.State != book.RepairReady || r.ReadyAt == nil {
		t.Fatalf("after its work: %+v, %v", r, err)
	}
	for _, wo := range []int64{r.DiagnosisWorkOrder, r.WorkOrder} {
		if us, err := fx.book.Units(ctx, wo); err != nil || len(us) != 0 {
			t.Errorf("repair work order %d made units %v, %v", wo, us, err)
		}
	}
	if n := labels(); n != 0 {
		t.Errorf("the repair cell owes %d labels, want none", n)
	}
	if sh, err := fx.book.Shortfalls(ctx, ""); err != nil || len(sh) != 0 {
		t.Errorf("shortfalls %v, %v", sh, err)
	}
	s, err := fx.book.Story(ctx, serial)
	if err != nil || len(s.Repairs) != 1 || len(s.Repairs[0].Steps) != 3 || s.Repairs[0].Repair != r.ID ||
		!s.Repairs[0].Done.Equal(*r.ReadyAt) || len(s.Steps) != 2 || len(s.Repairs[0].Notes) != 1 ||
		s.Repairs[0].Notes[0].Text != "new cotton fringe, hand-knotted" || strings.Join(s.Repairs[0].Services, "+") != "fringe+clean" {
		t.Fatalf("story %+v, %v", s.Repairs, err)
	}
	if r, err = fx.book.ReturnRepair(ctx, r.ID, "ines"); err != nil || r.State != book.RepairReturned {
		t.Fatalf("returned %+v, %v", r, err)
	}
	if _, err = fx.book.ReturnRepair(ctx, r.ID, "ines"); !errors.Is(err, book.ErrRepairState) {
		t.Errorf("returned twice: %v", err)
	}
	var kinds []string
	for _, e := range fx.events(t) {
		if e.OrderID == r.ID && strings.HasPrefix(e.Kind, "repair.") {
			kinds = append(kinds, e.Kind)
		}
	}
	if got := strings.Join(kinds, " "); got != "repair.opened repair.received repair.estimated repair.approved repair.returned" {
		t.Errorf("events %s", got)
	}
	m, err := fx.book.RepairMeasures(ctx, booktestStart(), fx.clock.Now().Add(time.Second))
	if err != nil || m.RepairedUnits != 1 || m.FinishedUnits != 1 || m.Approved != 1 || m.Decided != 1 || m.Revenue != 11844 ||
		m.Ready != 1 || m.States[book.RepairReturned] != 1 {
		t.Errorf("measures %+v, %v", m, err)
	}
}

func booktestStart() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

// TestRepairWorkIsNoDropWork: a repair's work order that loses its item shows in no drop's
// shortfalls and is not made again.
func TestRepairWorkIsNoDropWork(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, _ := fx.counter(t, book.RepairIntake{Serial: serials[0]})
	op := fx.diagnosisOp(t, r)
	fx.scrap(t, op.ID, 0, "dropped in the dye vat")
	if sh, err := fx.book.Shortfalls(ctx, ""); err != nil || len(sh) != 0 {
		t.Errorf("shortfalls of every drop: %+v, %v", sh, err)
	}
	if _, err := fx.remake(r.ID); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("remaking a repair's work: %v", err)
	}
	if tr, err := fx.book.Turnaround(ctx, "a"); err != nil || tr.Count != 1 {
		t.Errorf("turnaround of drop a: %+v, %v", tr, err)
	}
}

// TestRepairsPagesAndCandidate: repairs are listed by id a page at a time, by state and
// serial; a candidate of services follows their routings, and names a bad service.
func TestRepairsPagesAndCandidate(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 3)
	for _, s := range serials {
		fx.counter(t, book.RepairIntake{Serial: s})
	}
	var pages []string
	after := ""
	for {
		rs, err := fx.book.Repairs(ctx, book.RepairFilter{AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			break
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		pages = append(pages, strings.Join(ids, " "))
		after = rs[len(rs)-1].ID
	}
	if got := strings.Join(pages, " | "); got != "R-000001 R-000002 | R-000003" {
		t.Errorf("pages %s", got)
	}
	if rs, err := fx.book.Repairs(ctx, book.RepairFilter{State: book.RepairReceived, Serial: serials[1]}); err != nil ||
		len(rs) != 1 || rs[0].ID != "R-000002" {
		t.Errorf("received repairs of %s: %v, %v", serials[1], rs, err)
	}
	if _, err := fx.book.Repairs(ctx, book.RepairFilter{AfterID: "x"}); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("paging after a bad id: %v", err)
	}
	c, err := fx.book.RepairCandidate([]string{"clean", "fringe"})
	if err != nil || c.Order.SKU != "repair:clean+fringe" || len(c.Operations) != 2 || c.Operations[0].Capability != "wash" ||
		c.Operations[0].State != book.Ready || c.Operations[1].Capability != "repair" {
		t.Errorf("candidate %+v, %v", c, err)
	}
	var fe *book.FieldError
	if _, err := fx.book.RepairCandidate([]string{"clean", "gild"}); !errors.As(err, &fe) || fe.Field != "services[1]" {
		t.Errorf("candidate of an unknown service: %v", err)
	}
}

// TestRepairProgressMakesNoUnit: a machine counting a repair's item at a cell with a label
// printer makes no unit and owes no label.
func TestRepairProgressMakesNoUnit(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, _ := fx.counter(t, book.RepairIntake{Serial: serials[0]})
	op := fx.diagnosisOp(t, r)
	fx.mustAct(t, op.ID, book.ActionStart)
	fx.progress(t, op.ID, 1)
	if us, err := fx.book.Units(ctx, r.DiagnosisWorkOrder); err != nil || len(us) != 0 {
		t.Errorf("units of the diagnosis: %v, %v", us, err)
	}
	if _, n, err := fx.book.OwedLabels(ctx, op.Cell, 0); err != nil || n != 0 {
		t.Errorf("%s owes %d labels, %v", op.Cell, n, err)
	}
}
