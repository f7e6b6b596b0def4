package configs_test

import (
	"os"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// TestDemo checks that the example a newcomer runs parses and is big enough to show the product.
func TestDemo(t *testing.T) {
	data, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := configs.Parse("configs/demo.yaml", data, builtin(t))
	if err != nil {
		t.Fatalf("demo.yaml does not parse:\n%v", err)
	}
	if n := len(f.Cells); n < 8 {
		t.Errorf("demo has %d cells, want at least 8", n)
	}
	if n := len(f.Products); n < 6 {
		t.Errorf("demo has %d products, want at least 6", n)
	}
	if n := len(f.Drops); n < 2 {
		t.Errorf("demo has %d drops, want at least 2", n)
	}
	if !f.HasDemoCredentials() {
		t.Error("demo has no demo credentials; a newcomer could not sign in")
	}
	for _, d := range f.Drops {
		if d.Date.Year() != 2027 || len(d.Windows) == 0 {
			t.Errorf("drop %s: date %v with %d windows, want a 2027 drop with windows", d.ID, d.Date, len(d.Windows))
		}
	}
	// A newcomer must be able to sign in as every role and call the API as a planner and an operator.
	signIn := map[string]int{}
	for _, p := range f.People {
		if p.Role == configs.RoleOperator && p.PIN != "" || p.Role != configs.RoleOperator && p.Password != "" {
			signIn[p.Role]++
		}
	}
	if signIn[configs.RoleOperator] < 3 || signIn[configs.RoleManager] < 1 || signIn[configs.RolePlanner] < 1 || signIn[configs.RoleAdmin] < 1 {
		t.Errorf("people with demo credentials by role = %v, want 3 operators and a manager, planner and admin", signIn)
	}
	// Some makers opted in to be named on their units' public pages, and some did not.
	var named, unnamed int
	for _, p := range f.People {
		if p.PublicName != "" {
			named++
		} else {
			unnamed++
		}
	}
	if named == 0 || unnamed == 0 {
		t.Errorf("%d people with a public name and %d without, want some of each", named, unnamed)
	}
	tokens := map[string]bool{}
	for _, tok := range f.Tokens {
		tokens[tok.Role] = tok.Token != ""
	}
	if !tokens[configs.RolePlanner] || !tokens[configs.RoleOperator] {
		t.Errorf("demo tokens by role = %v, want clear-text planner and operator tokens", tokens)
	}
	// Every kind of device, and a serial line shared by several Modbus devices.
	kinds := map[string]int{}
	onLine := map[string]int{}
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			kinds[d.Kind]++
			if d.Modbus() && d.SerialLine != "" {
				onLine[d.SerialLine]++
			}
		}
	}
	for _, k := range []string{configs.KindLoom, configs.KindDyeStation, configs.KindMicroPrinter, configs.KindLabelPrinter} {
		if kinds[k] == 0 {
			t.Errorf("demo has no %s", k)
		}
	}
	shared := false
	for _, n := range onLine {
		shared = shared || n >= 2
	}
	if !shared || !f.Simulate {
		t.Errorf("demo: simulate %v, Modbus devices per serial line %v; want simulated, with a line carrying several", f.Simulate, onLine)
	}
	// The studio repairs what it made: every product is of a kind it repairs, a few services
	// and a care plan, the parcel slip on the label printer, and intake open to the public.
	a := f.Aftercare
	if a == nil {
		t.Fatal("demo has no aftercare section")
	}
	for _, p := range f.Products {
		if _, ok := a.KindOf(p.SKU); !ok {
			t.Errorf("demo product %s is of no kind the studio repairs", p.SKU)
		}
	}
	if dev, _, ok := f.Device(a.SlipPrinter); !ok || dev.Kind != configs.KindLabelPrinter {
		t.Errorf("demo slip printer %q is not a label printer", a.SlipPrinter)
	}
	if len(a.Services) < 4 || len(a.CarePlans) == 0 || !a.PublicIntake || a.LabourRate == 0 {
		t.Errorf("demo aftercare: %d services, %d care plans, public intake %v, labour rate %s; want 4 services, a plan, public intake and a rate",
			len(a.Services), len(a.CarePlans), a.PublicIntake, a.LabourRate)
	}
	if err := checkInvariants(f); err != nil {
		t.Errorf("demo breaks an invariant: %v", err)
	}
}
