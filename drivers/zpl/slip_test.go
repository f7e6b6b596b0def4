package zpl

import (
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
)

var intake = time.Date(2027, 3, 4, 23, 30, 0, 0, time.FixedZone("studio", 3600))

func TestSlipValidate(t *testing.T) {
	ok := Slip{RepairID: "R-000042", Customer: "Amal Haddad", Serial: "SU27-1", Intake: intake, URL: "https://studio.test/manager/repairs/R-000042"}
	tests := []struct {
		name string
		edit func(*Slip)
		want string
	}{
		{name: "ok", edit: func(*Slip) {}},
		{name: "an item, no serial", edit: func(s *Slip) { s.Serial, s.Item = "", "Grandmother's kilim" }},
		{name: "a long item is cut, not refused", edit: func(s *Slip) { s.Serial, s.Item = "", strings.Repeat("i", 4000) }},
		{name: "no repair id", edit: func(s *Slip) { s.RepairID = "" }, want: "slip has no repair id"},
		{name: "no url", edit: func(s *Slip) { s.URL = "" }, want: "slip has no url"},
		{name: "long url", edit: func(s *Slip) { s.URL = strings.Repeat("u", MaxURL+1) }, want: "url of 1601 bytes longer than 1600"},
		{name: "neither serial nor item", edit: func(s *Slip) { s.Serial = "" }, want: "slip has neither a serial nor an item"},
		{name: "no intake", edit: func(s *Slip) { s.Intake = time.Time{} }, want: "slip has no intake date"},
		{name: "long serial", edit: func(s *Slip) { s.Serial = strings.Repeat("s", MaxText+1) }, want: "serial of 201 bytes longer than 200"},
		{name: "long repair id", edit: func(s *Slip) { s.RepairID = strings.Repeat("r", MaxText+1) }, want: "repair id of 201 bytes longer than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			err := s.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRenderSlip(t *testing.T) {
	got := string(RenderSlip(Slip{RepairID: "R-1^XZ", Customer: "Zoë ~Quist_", Item: strings.Repeat("ü", 50), Intake: intake, URL: "https://x.test/r?a=^~_"}))
	if !strings.HasPrefix(got, "^XA") || !strings.HasSuffix(got, "^XZ\n") || strings.Count(got, "^XA") != 1 || strings.Count(got, "^XZ") != 1 {
		t.Fatalf("format is not one ^XA ... ^XZ:\n%s", got)
	}
	for _, want := range []string{
		"^A0N,96,96^FH_^FDR-1_5EXZ^FS",                        // the repair id, large
		"^FH_^FDZo_C3_AB _7EQuist_5F^FS",                      // escaped
		"^FH_^FDITEM^FS",                                      // no serial: the item
		"^FD" + strings.Repeat("_C3_BC", 39) + "_E2_80_A6^FS", // cut to 40 runes
		"^FH_^FD2027-03-04^FS",                                // the intake's own date
		"^BQN,2,5^FH_^FDQA,https://x.test/r?a=_5E_7E_5F^FS",
		"^PQ1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered slip lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "SERIAL") {
		t.Errorf("slip of an item prints a serial caption:\n%s", got)
	}
}

// TestPrintSlipArrives prints parcel slips on the simulated printer, over TCP and a serial line,
// and reads back what it printed.
func TestPrintSlipArrives(t *testing.T) {
	slips := []struct {
		name string
		slip Slip
		what string // the serial or the item, as printed
	}{
		{name: "a unit", slip: Slip{RepairID: "R-000042", Customer: "Amal Haddad", Serial: "SU27-R001-1", Intake: intake, URL: "https://studio.test/manager/repairs/R-000042"}, what: "SU27-R001-1"},
		{name: "an item", slip: Slip{RepairID: "R-000043", Customer: "Zoë Quist", Item: "Kilim ^XZ~HS from a market", Intake: intake, URL: "https://studio.test/manager/repairs/R-000043"}, what: "Kilim ^XZ~HS from a market"},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sim, p := tr.start(t, 2*time.Second)
			for i, tt := range slips {
				t.Run(tt.name, func(t *testing.T) {
					if err := p.Print(t.Context(), tt.slip); err != nil {
						t.Fatalf("Print: %v", err)
					}
					streamtest.Eventually(t, "the slip", func() bool { return len(sim.Labels()) == i+1 })
					got := sim.Labels()[i]
					id, ok := got.Field(tt.slip.RepairID)
					if !ok || id.Height < 96 {
						t.Errorf("repair id %q not printed large: %+v in %+v", tt.slip.RepairID, id, got.Fields)
					}
					for _, want := range []string{tt.slip.Customer, tt.what, "2027-03-04"} {
						if _, ok := got.Field(want); !ok {
							t.Errorf("no field %q in %+v", want, got.Fields)
						}
					}
					if qr := got.QRCodes(); len(qr) != 1 || qr[0] != tt.slip.URL {
						t.Errorf("qr codes %q, want [%q]", qr, tt.slip.URL)
					}
					if got.Quantity != 1 || len(got.Unknown) != 1 || got.Unknown[0].Code != "^CI" {
						t.Errorf("quantity %d, unexpected commands %+v", got.Quantity, got.Unknown)
					}
				})
			}
		})
	}
}
