package cells_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/zpl"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// slipURL is the test floor's staff page of a repair.
const slipURL = "https://test.example/manager/repairs/{id}"

func (l labels) PrintSlip(ctx context.Context, s cells.Slip) error {
	return l.p.Print(ctx, zpl.Slip{RepairID: s.Repair, Customer: s.Customer, Serial: s.Serial, Item: s.Item,
		Intake: s.Intake, URL: s.URL})
}

// withRepairs gives the test floor a repair service whose parcel slips the label station's
// printer prints.
func withRepairs(f *configs.Factory) {
	f.Aftercare = &configs.Aftercare{
		EstimateValid: 14 * 24 * time.Hour,
		Currency:      "EUR",
		Diagnosis:     configs.Step{Name: "diagnosis", Capability: "label", UnitTime: 10 * time.Minute},
		Kinds:         []configs.ItemKind{{ID: "ring", Name: "Ring"}},
		SlipPrinter:   "labeller-1",
	}
}

// counterIntake opens a repair of a ring at the counter.
func (fl *floor) counterIntake(customer string) book.Repair {
	fl.t.Helper()
	r, _, err := fl.book.OpenRepair(context.Background(), book.RepairIntake{Source: book.SourceCounter,
		Item: "silver ring, bent", Kind: "ring", Customer: customer, Actor: "ines"})
	if err != nil {
		fl.t.Fatalf("opening a repair: %v", err)
	}
	return r
}

// slips returns how many times the label printer printed each repair's slip.
func (fl *floor) slips() map[string]int {
	fl.t.Helper()
	printed, err := fl.plant.Labels("labeller-1")
	if err != nil {
		fl.t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range printed {
		if _, ok := l.Field("REPAIR"); !ok {
			continue
		}
		for _, qr := range l.QRCodes() {
			out[qr]++
		}
	}
	return out
}

func TestCounterIntakePrintsItsParcelSlip(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t, withRepairs)
	r := fl.counterIntake("Ana Lima")
	eventually(t, "the slip to be printed", func() bool { return len(fl.slips()) == 1 })
	printed, _ := fl.plant.Labels("labeller-1")
	if len(printed) != 1 {
		t.Fatalf("%d labels printed, want the slip alone", len(printed))
	}
	slip := printed[0]
	for _, want := range []string{r.ID, "Ana Lima", "silver ring, bent", r.IntakeAt.Format(time.DateOnly)} {
		if _, ok := slip.Field(want); !ok {
			t.Errorf("the slip has no field %q: %+v", want, slip.Fields)
		}
	}
	if qr := slip.QRCodes(); len(qr) != 1 || qr[0] != "https://test.example/manager/repairs/"+r.ID {
		t.Errorf("the slip's QR codes = %v, want the staff page of %s", qr, r.ID)
	}
	// Forgotten once the printer confirmed it, just after the printer has it.
	eventually(t, "the slip printed to be forgotten", func() bool {
		_, n, err := fl.book.OwedSlips(ctx, 0)
		return err == nil && n == 0
	})

	owed, err := fl.cells["label-1"].ReprintSlip(ctx, r.ID)
	if err != nil || owed {
		t.Fatalf("ReprintSlip = owed %v, %v; want printed", owed, err)
	}
	if got := fl.slips()["https://test.example/manager/repairs/"+r.ID]; got != 2 {
		t.Errorf("slip printed %d times after a reprint, want 2", got)
	}
	for _, tc := range []struct {
		name string
		cell string
		id   string
		want error
	}{
		{name: "unknown repair", cell: "label-1", id: "R-999999", want: book.ErrNotFound},
		{name: "a cell without the slip printer", cell: "weave-1", id: r.ID, want: cells.ErrNoSlipPrinter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if owed, err := fl.cells[tc.cell].ReprintSlip(ctx, tc.id); owed || !errors.Is(err, tc.want) {
				t.Errorf("ReprintSlip(%s) at %s = owed %v, %v; want %v", tc.id, tc.cell, owed, err, tc.want)
			}
		})
	}
}

// TestSlipsOwedPrintOnceAfterPaperOutAndARestart: a slip owed while the printer is out of paper
// stays owed across a restart of the daemon and prints once when paper is back; the reprint
// asked for meanwhile prints once too.
func TestSlipsOwedPrintOnceAfterPaperOutAndARestart(t *testing.T) {
	ctx := context.Background()
	fl := newFloor(t, withRepairs)
	if err := fl.plant.SetFaults("labeller-1", plant.Faults{PaperOut: true}); err != nil {
		t.Fatal(err)
	}
	a := fl.counterIntake("Ana")
	b := fl.counterIntake("Rui")
	eventually(t, "two slips owed", func() bool { return fl.cells["label-1"].Status().SlipsOwed == 2 })
	if owed, err := fl.cells["label-1"].ReprintSlip(ctx, a.ID); !owed || err == nil {
		t.Fatalf("a reprint out of paper = owed %v, %v; want owed with the printer's problem", owed, err)
	}

	fl.restart()
	eventually(t, "three slips owed after the restart", func() bool { return fl.cells["label-1"].Status().SlipsOwed == 3 })
	if got := fl.slips(); len(got) != 0 {
		t.Fatalf("printed out of paper: %v", got)
	}
	if err := fl.plant.SetFaults("labeller-1", plant.Faults{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the slips owed to print", func() bool { return fl.cells["label-1"].Status().SlipsOwed == 0 })
	want := map[string]int{slipOf(a): 2, slipOf(b): 1}
	if got := fl.slips(); len(got) != len(want) || got[slipOf(a)] != want[slipOf(a)] || got[slipOf(b)] != want[slipOf(b)] {
		t.Errorf("printed %v, want %v", got, want)
	}
}

func slipOf(r book.Repair) string { return "https://test.example/manager/repairs/" + r.ID }
