package configs_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// aftercareFactory is a small studio that can repair: cells that wash, mend and finish by hand,
// and a label printer for parcel slips. The aftercare section goes at the end.
const aftercareFactory = `site: tiny
simulate: true
cells:
  - id: repair-1
    capabilities: [repair, fringe]
  - id: wash-1
    capabilities: [wash, finish]
  - id: pack-1
    capabilities: [pack]
    devices:
      - {id: labeller-1, kind: label-printer}
products:
  - sku: RUG-1
    routing:
      - {capability: wash, unit_time: 1h}
  - sku: RUNNER-1
    routing:
      - {capability: finish, unit_time: 30m}
  - sku: THROW-1
    routing:
      - {capability: pack, unit_time: 5m}
`

// TestParseAftercare reads good aftercare sections into the model, defaults and all.
func TestParseAftercare(t *testing.T) {
	diagnosis := configs.Step{Name: "Diagnosis", Capability: "repair", UnitTime: 20 * time.Minute}
	tests := []struct {
		name, section string
		want          *configs.Aftercare
	}{
		{name: "no section", want: nil},
		{name: "an empty section", section: "aftercare:\n", want: nil},
		{
			name: "the smallest section takes the defaults",
			section: `aftercare:
  diagnosis: {capability: repair, unit_time: 20m}
  kinds: [{id: rug}]
  services:
    - id: clean
      kinds: [rug]
      routing: [{capability: wash, unit_time: 45m}]
`,
			want: &configs.Aftercare{
				EstimateValid: configs.DefaultEstimateValid,
				Currency:      configs.DefaultCurrency,
				Diagnosis:     configs.Step{Name: "repair", Capability: "repair", UnitTime: 20 * time.Minute, Line: 23},
				Kinds:         []configs.ItemKind{{ID: "rug", Name: "rug", Line: 24}},
				Services: []configs.Service{{ID: "clean", Name: "clean", Kinds: []string{"rug"}, Line: 26,
					Routing: []configs.Step{{Name: "wash", Capability: "wash", UnitTime: 45 * time.Minute, Line: 28}}}},
				Line: 22,
			},
		},
		{
			name: "every field",
			section: `aftercare:
  public_intake: true
  estimate_valid: 168h
  currency: CHF
  labour_rate: 38.5
  express_premium: 30
  slip_printer: labeller-1
  diagnosis: {capability: repair, name: Diagnosis, unit_time: 20m}
  kinds:
    - id: rug
      name: Rug or runner
      skus: [RUG-1, RUNNER-1]
      checklist:
        - {id: holes, label: Holes or moth damage}
        - {id: resize-to, label: Resize to, input: text}
    - id: textile
      skus: [THROW-1]
  services:
    - id: clean
      name: Deep clean
      kinds: [rug, textile]
      fee: 25
      parts: [{name: Wool fringe yarn, price: 6.40}, {name: Soap, price: 0}]
      routing:
        - {capability: wash, unit_time: 45m, setup: 10m}
        - {capability: finish, unit_time: 15m}
    - id: fringe
      kinds: [rug]
      fee: 1000000.00
      routing: [{capability: fringe, unit_time: 1h}]
  care_plans:
    - id: care-year
      name: Year of care
      term: 8760h
      price: 59.99
      covers: [{service: clean, count: 2}, {service: fringe, count: 100}]
`,
			want: &configs.Aftercare{
				PublicIntake:   true,
				EstimateValid:  168 * time.Hour,
				Currency:       "CHF",
				LabourRate:     3850,
				ExpressPremium: 30,
				SlipPrinter:    "labeller-1",
				Diagnosis:      withLine(diagnosis, 29),
				Kinds: []configs.ItemKind{
					{ID: "rug", Name: "Rug or runner", SKUs: []string{"RUG-1", "RUNNER-1"}, Line: 31, Checklist: []configs.CheckItem{
						{ID: "holes", Label: "Holes or moth damage", Input: configs.CheckBox, Line: 35},
						{ID: "resize-to", Label: "Resize to", Input: configs.CheckText, Line: 36},
					}},
					{ID: "textile", Name: "textile", SKUs: []string{"THROW-1"}, Line: 37},
				},
				Services: []configs.Service{
					{ID: "clean", Name: "Deep clean", Kinds: []string{"rug", "textile"}, Fee: 2500, Line: 40,
						Parts: []configs.Part{{Name: "Wool fringe yarn", Price: 640, Line: 44}, {Name: "Soap", Price: 0, Line: 44}},
						Routing: []configs.Step{
							{Name: "wash", Capability: "wash", UnitTime: 45 * time.Minute, Setup: 10 * time.Minute, Line: 46},
							{Name: "finish", Capability: "finish", UnitTime: 15 * time.Minute, Line: 47},
						}},
					{ID: "fringe", Name: "fringe", Kinds: []string{"rug"}, Fee: configs.MaxMoney, Line: 48,
						Routing: []configs.Step{{Name: "fringe", Capability: "fringe", UnitTime: time.Hour, Line: 51}}},
				},
				CarePlans: []configs.CarePlan{{ID: "care-year", Name: "Year of care", Term: 8760 * time.Hour, Price: 5999, Line: 53,
					Covers: []configs.Cover{{Service: "clean", Count: 2}, {Service: "fringe", Count: 100}}}},
				Line: 22,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := configs.Parse("factory.yaml", []byte(aftercareFactory+tc.section), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Aftercare, tc.want) {
				t.Errorf("aftercare =\n%+v\nwant\n%+v", f.Aftercare, tc.want)
			}
		})
	}
}

func withLine(s configs.Step, line int) configs.Step {
	s.Line = line
	return s
}

// TestParseMoney reads amounts as the file writes them, to the cent, and refuses the rest.
func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want configs.Money
		err  string
	}{
		{in: "0", want: 0},
		{in: "45", want: 4500},
		{in: "45.5", want: 4550},
		{in: "45.50", want: 4550},
		{in: "0.01", want: 1},
		{in: "007.10", want: 710},
		{in: "-0", want: 0},
		{in: "1000000.00", want: 100_000_000},
		{in: "1000000.01", err: "must be at most 1000000.00 (got 1000000.01)"},
		{in: "99999999999999999999999", err: "must be at most 1000000.00 (got 99999999999999999999999)"},
		{in: "45.505", err: `amount "45.505" has more than 2 decimal places`},
		{in: "-1.00", err: "must not be negative (got -1.00)"},
		{in: ".nan", err: `invalid amount ".nan" (want a decimal such as 38.50)`},
		{in: ".inf", err: `invalid amount ".inf" (want a decimal such as 38.50)`},
		{in: "1e3", err: `invalid amount "1e3" (want a decimal such as 38.50)`},
		{in: "45.", err: `invalid amount "45." (want a decimal such as 38.50)`},
		{in: ".5", err: `invalid amount ".5" (want a decimal such as 38.50)`},
		{in: "", err: `invalid amount "" (want a decimal such as 38.50)`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := configs.ParseMoney(tc.in)
			switch {
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("ParseMoney(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			case tc.err == "" && (err != nil || got != tc.want):
				t.Errorf("ParseMoney(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestRepairProduct resolves the SKUs of repairs' work orders to the diagnosis step or the
// services' routings, in the order chosen.
func TestRepairProduct(t *testing.T) {
	section := `aftercare:
  diagnosis: {capability: repair, name: Diagnosis, unit_time: 20m}
  kinds: [{id: rug, skus: [RUG-1]}]
  services:
    - id: clean
      name: Deep clean
      kinds: [rug]
      routing: [{capability: wash, unit_time: 45m}, {capability: finish, unit_time: 15m}]
    - id: fringe
      name: Fringe repair
      kinds: [rug]
      routing: [{capability: fringe, unit_time: 1h}]
`
	f, err := configs.Parse("factory.yaml", []byte(aftercareFactory+section), builtin(t))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := configs.Parse("factory.yaml", []byte(aftercareFactory), builtin(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		factory *configs.Factory
		sku     string
		ok      bool
		title   string
		steps   []string // capabilities in order
	}{
		{name: "diagnosis", factory: f, sku: configs.DiagnosisSKU, ok: true, title: "Diagnosis", steps: []string{"repair"}},
		{name: "one service", factory: f, sku: configs.RepairSKU([]string{"fringe"}), ok: true, title: "Fringe repair", steps: []string{"fringe"}},
		{name: "services in the order chosen", factory: f, sku: "repair:fringe+clean", ok: true,
			title: "Fringe repair, Deep clean", steps: []string{"fringe", "wash", "finish"}},
		{name: "an unknown service", factory: f, sku: "repair:clean+reweave"},
		{name: "no service", factory: f, sku: "repair:"},
		{name: "a studio without repairs", factory: plain, sku: configs.DiagnosisSKU},
		{name: "a product still", factory: f, sku: "RUG-1", ok: true, title: "RUG-1", steps: []string{"wash"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := tc.factory.Product(tc.sku)
			if ok != tc.ok {
				t.Fatalf("Product(%q) found %v, want %v", tc.sku, ok, tc.ok)
			}
			if !ok {
				return
			}
			var steps []string
			for _, s := range p.Routing {
				steps = append(steps, s.Capability)
			}
			if p.SKU != tc.sku || p.Name != tc.title || !reflect.DeepEqual(steps, tc.steps) {
				t.Errorf("Product(%q) = %q %q %v, want %q %q %v", tc.sku, p.SKU, p.Name, steps, tc.sku, tc.title, tc.steps)
			}
		})
	}
}
