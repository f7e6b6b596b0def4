package book_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

var aPhoto = book.RepairPhoto{Hash: strings.Repeat("ab", 32), MediaType: "image/jpeg"}

// TestOpenRepairBadInput: every bad intake is a clear error naming its field (or an unknown
// unit), and stores nothing.
func TestOpenRepairBadInput(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	fx.mustImport(t, "a", "order_id,sku,quantity\nV,RUG,1\nS,SCARF,1\n")
	v := fx.ops(t, "V")[0]
	fx.mustAct(t, v.ID, book.ActionStart)
	fx.mustAct(t, v.ID, book.ActionComplete)
	unfinished := orderUnits(t, fx, "V")[0].Serial
	fx.finish(t, fx.ops(t, "S")[0].WorkOrder)
	scarf := orderUnits(t, fx, "S")[0].Serial
	photos := func(n int) []book.RepairPhoto {
		var ps []book.RepairPhoto
		for i := range n {
			p := aPhoto
			p.Hash = strings.Repeat("0", 63) + string(rune('a'+i))
			ps = append(ps, p)
		}
		return ps
	}
	good := book.RepairIntake{Source: book.SourceCounter, Serial: serials[0], Customer: "Ana", Actor: "ines"}
	tests := []struct {
		name   string
		change func(*book.RepairIntake)
		field  string
		is     error
		says   string
	}{
		{name: "unknown serial", change: func(in *book.RepairIntake) { in.Serial = "NOPE-1" }, is: book.ErrUnknownUnit, says: "NOPE-1"},
		{name: "unfinished unit", change: func(in *book.RepairIntake) { in.Serial = unfinished }, field: "serial", says: "not finished"},
		{name: "a kind the studio does not repair", change: func(in *book.RepairIntake) { in.Serial = scarf }, field: "serial", says: "SCARF"},
		{name: "unknown checklist item", change: func(in *book.RepairIntake) { in.Checklist = map[string]string{"stone": "yes"} },
			field: "checklist.stone"},
		{name: "a box answered with text", change: func(in *book.RepairIntake) { in.Checklist = map[string]string{"holes": "many"} },
			field: "checklist.holes"},
		{name: "control character in the description", change: func(in *book.RepairIntake) { in.Description = "torn\x1b[31m" },
			field: "description", says: "U+001B"},
		{name: "control character in a checklist text", change: func(in *book.RepairIntake) { in.Checklist = map[string]string{"size": "2\tm"} },
			field: "checklist.size"},
		{name: "description too long", change: func(in *book.RepairIntake) { in.Description = strings.Repeat("a", book.MaxRepairDescription+1) },
			field: "description", says: "4001"},
		{name: "contact too long", change: func(in *book.RepairIntake) { in.Contact = strings.Repeat("a", 201) }, field: "contact"},
		{name: "no customer", change: func(in *book.RepairIntake) { in.Customer = " " }, field: "customer"},
		{name: "too many photos", change: func(in *book.RepairIntake) { in.Photos = photos(7) }, field: "photos", says: "7 photos"},
		{name: "a photo that is no hash", change: func(in *book.RepairIntake) { in.Photos = []book.RepairPhoto{{Hash: "../etc", MediaType: "image/png"}} },
			field: "photos[0]"},
		{name: "a photo of another type", change: func(in *book.RepairIntake) {
			in.Photos = []book.RepairPhoto{{Hash: aPhoto.Hash, MediaType: "image/gif"}}
		},
			field: "photos[0]"},
		{name: "wrong kind for the unit", change: func(in *book.RepairIntake) { in.Kind = "ring" }, field: "kind"},
		{name: "an item without its kind", change: func(in *book.RepairIntake) { in.Serial, in.Item = "", "a kilim" }, field: "kind"},
		{name: "an item of an unknown kind", change: func(in *book.RepairIntake) { in.Serial, in.Item, in.Kind = "", "a kilim", "kilim" },
			field: "kind"},
		{name: "neither serial nor item", change: func(in *book.RepairIntake) { in.Serial = "" }, field: "serial"},
		{name: "an item asked for on the public page", change: func(in *book.RepairIntake) {
			in.Source, in.Serial, in.Item, in.Kind = book.SourcePublic, "", "a kilim", "rug"
		}, field: "serial"},
		{name: "unknown source", change: func(in *book.RepairIntake) { in.Source = "phone" }, field: "source"},
	}
	before := fx.rowCounts(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.change(&in)
			_, link, err := fx.book.OpenRepair(ctx, in)
			var fe *book.FieldError
			switch {
			case err == nil:
				t.Fatalf("opened, link %q", link)
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("error %v, want %v", err, tt.is)
			case tt.is == nil && (!errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, book.ErrInvalid)):
				t.Errorf("error %v, want a field error of %s", err, tt.field)
			case !strings.Contains(err.Error(), tt.says):
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
	if after := fx.rowCounts(t); after != before {
		t.Errorf("refused intakes changed the book: %s, before %s", after, before)
	}
	// The same intake, good, is taken: the failures were the input's.
	if _, _, err := fx.book.OpenRepair(ctx, good); err != nil {
		t.Fatal(err)
	}
}

// TestRepairOfAnItemNotMadeHere: staff open a repair of an item the studio did not make; it
// is diagnosed, approved and done like a unit's, and tells no unit's story.
func TestRepairOfAnItemNotMadeHere(t *testing.T) {
	ctx := context.Background()
	fx, _ := newRepairFixture(t, 1)
	r, link := fx.counter(t, book.RepairIntake{Item: "grandmother's kilim, 2x3 m", Kind: "rug", Contact: "+33 6 12 34 56 78",
		Photos: []book.RepairPhoto{aPhoto}})
	if r.Serial != "" || r.Item != "grandmother's kilim, 2x3 m" || r.Kind != "rug" || r.State != book.RepairReceived || len(r.Photos) != 1 {
		t.Fatalf("opened %+v", r)
	}
	r, err := fx.diagnose(t, r, "fringe")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = fx.book.Decide(ctx, link, book.Decision{Approve: true}, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	fx.finish(t, r.WorkOrder)
	if r, err = fx.book.Repair(ctx, r.ID); err != nil || r.State != book.RepairReady {
		t.Fatalf("after its work: %+v, %v", r, err)
	}
	if rs, err := fx.book.Repairs(ctx, book.RepairFilter{Customer: "Ana", State: book.RepairReady}); err != nil || len(rs) != 1 {
		t.Errorf("Ana's ready repairs: %v, %v", rs, err)
	}
}

// TestPublicRepairRequest: a customer's request is requested until the parcel arrives, and
// only when the studio takes them.
func TestPublicRepairRequest(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	in := book.RepairIntake{Source: book.SourcePublic, Serial: serials[0], Customer: "Ana", Contact: "ana@example.com",
		Description: "a stain", Photos: []book.RepairPhoto{aPhoto}, Actor: "customer"}
	r, link, err := fx.book.OpenRepair(ctx, in)
	if err != nil || r.State != book.RepairRequested || r.DiagnosisWorkOrder != 0 || link == "" {
		t.Fatalf("requested %+v, %v", r, err)
	}
	now := fx.clock.Now()
	_, err = fx.book.Diagnose(ctx, book.DiagnoseRequest{Repair: r.ID, Findings: "a stain", Services: []string{"clean"},
		Standard: now.Add(time.Hour), Actor: "ines"})
	if !errors.Is(err, book.ErrRepairState) {
		t.Errorf("diagnosing a repair not received: %v", err)
	}
}

// TestReceiveRepair: receiving a requested repair makes its diagnosis, once.
func TestReceiveRepair(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, _, err := fx.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourcePublic, Serial: serials[0], Customer: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(48 * time.Hour)
	if r, err = fx.book.ReceiveRepair(ctx, r.ID, "ines"); err != nil || r.State != book.RepairReceived || r.DiagnosisWorkOrder == 0 {
		t.Fatalf("received %+v, %v", r, err)
	}
	if op := fx.diagnosisOp(t, r); op.State != book.Queued {
		t.Errorf("diagnosis %s, want queued", op.State)
	}
	if _, err := fx.book.ReceiveRepair(ctx, r.ID, "ines"); !errors.Is(err, book.ErrRepairState) {
		t.Errorf("received twice: %v", err)
	}
	if rs, err := fx.book.UnitRepairs(ctx, serials[0]); err != nil || len(rs) != 1 {
		t.Errorf("UnitRepairs = %v, %v", rs, err)
	}
	fx.factory.Aftercare.PublicIntake = false
	_, _, err = fx.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourcePublic, Serial: serials[0], Customer: "Ana"})
	var fe *book.FieldError
	if !errors.As(err, &fe) || fe.Field != "source" {
		t.Errorf("a public request when the studio takes none: %v", err)
	}
}

// TestDiagnoseBadInput: services not for the kind, unknown or repeated, an operation not the
// repair's, no findings: field errors, nothing stored, the diagnosis still running.
func TestDiagnoseBadInput(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 2)
	r, _ := fx.counter(t, book.RepairIntake{Serial: serials[0]})
	other, _ := fx.counter(t, book.RepairIntake{Serial: serials[1]})
	op := fx.diagnosisOp(t, r)
	fx.mustAct(t, op.ID, book.ActionStart)
	now := fx.clock.Now()
	good := book.DiagnoseRequest{Repair: r.ID, Operation: op.ID, Findings: "worn", Services: []string{"clean"}, Standard: now.Add(time.Hour), Actor: "ines"}
	tests := []struct {
		name   string
		change func(*book.DiagnoseRequest)
		field  string
	}{
		{name: "a service of another kind", change: func(d *book.DiagnoseRequest) { d.Services = []string{"clean", "resize"} }, field: "services[1]"},
		{name: "an unknown service", change: func(d *book.DiagnoseRequest) { d.Services = []string{"polish"} }, field: "services[0]"},
		{name: "a service twice", change: func(d *book.DiagnoseRequest) { d.Services = []string{"clean", "clean"} }, field: "services[1]"},
		{name: "no service", change: func(d *book.DiagnoseRequest) { d.Services = nil }, field: "services"},
		{name: "another repair's operation", change: func(d *book.DiagnoseRequest) { d.Operation = fx.diagnosisOp(t, other).ID }, field: "operation"},
		{name: "no findings", change: func(d *book.DiagnoseRequest) { d.Findings = "" }, field: "findings"},
		{name: "no standard date", change: func(d *book.DiagnoseRequest) { d.Standard = time.Time{} }, field: "standard"},
	}
	before := fx.rowCounts(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			tt.change(&d)
			_, err := fx.book.Diagnose(ctx, d)
			var fe *book.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("error %v, want a field error of %s", err, tt.field)
			}
		})
	}
	if after := fx.rowCounts(t); after != before {
		t.Errorf("refused diagnoses changed the book: %s, before %s", after, before)
	}
	if got := fx.diagnosisOp(t, r); got.State != book.Running {
		t.Errorf("the diagnosis is %s after the refusals, want running", got.State)
	}
	if _, err := fx.book.Diagnose(ctx, good); err != nil {
		t.Fatal(err)
	}
}
