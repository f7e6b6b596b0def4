package configs_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// machineFactory is a small studio with a loom and a dye station, whose profiles name faults, and
// a manual bench; the section under test goes at the end.
const machineFactory = `site: tiny
cells:
  - id: weave-1
    capabilities: [weave]
    devices:
      - {id: loom-a, kind: loom, address: "127.0.0.1:502"}
  - id: dye-1
    capabilities: [dye]
    devices:
      - {id: vat-a, kind: dye-station, address: "127.0.0.1:503"}
  - id: finish-1
    capabilities: [finish]
products:
  - sku: RUG-1
    routing:
      - {capability: weave, unit_time: 1h, params: {pattern: 1}}
      - {capability: dye, unit_time: 1h, params: {recipe: 1, temperature: 40}}
`

// TestParseEconomics reads the currency, the cells' rates, the products' prices and the steps'
// material costs exactly, to the cent.
func TestParseEconomics(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, f *configs.Factory)
	}{
		{
			name: "money is read to the cent and zero when left out",
			input: `site: tiny
currency: GBP
cells:
  - id: weave-1
    capabilities: [weave]
    labour_rate: 18.50
    machine_rate: 4
  - id: wash-1
    capabilities: [wash]
products:
  - sku: RUG-1
    price: 240.05
    routing:
      - {capability: weave, unit_time: 1h, material_cost: 12.4}
      - {capability: wash, unit_time: 1h}
`,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Currency != "GBP" {
					t.Errorf("currency = %q, want GBP", f.Currency)
				}
				if c := f.Cells[0]; c.LabourRate != 1850 || c.MachineRate != 400 {
					t.Errorf("weave-1 rates = %s, %s; want 18.50 and 4.00", c.LabourRate, c.MachineRate)
				}
				if c := f.Cells[1]; c.LabourRate != 0 || c.MachineRate != 0 {
					t.Errorf("wash-1 rates = %s, %s; want none", c.LabourRate, c.MachineRate)
				}
				p := f.Products[0]
				if p.Price != 24005 || p.Routing[0].MaterialCost != 1240 || p.Routing[1].MaterialCost != 0 {
					t.Errorf("price %s, material costs %s and %s; want 240.05, 12.40 and 0.00", p.Price, p.Routing[0].MaterialCost, p.Routing[1].MaterialCost)
				}
			},
		},
		{
			name:  "no currency anywhere is the default",
			input: minimal,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Currency != configs.DefaultCurrency {
					t.Errorf("currency = %q, want %s", f.Currency, configs.DefaultCurrency)
				}
			},
		},
		{
			name:  "a currency named only by the aftercare section is the studio's",
			input: aftercareFactory + "aftercare:\n  currency: GBP\n" + aftercareRest,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Currency != "GBP" || f.Aftercare.Currency != "GBP" {
					t.Errorf("currency = %q, aftercare's %q; want GBP for both", f.Currency, f.Aftercare.Currency)
				}
			},
		},
		{
			name:  "the studio's currency is the aftercare section's when it names none",
			input: "currency: CHF\n" + aftercareFactory + "aftercare:\n" + aftercareRest,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Currency != "CHF" || f.Aftercare.Currency != "CHF" {
					t.Errorf("currency = %q, aftercare's %q; want CHF for both", f.Currency, f.Aftercare.Currency)
				}
			},
		},
		{
			name:  "the same currency written twice",
			input: "currency: EUR\n" + aftercareFactory + "aftercare:\n  currency: EUR\n" + aftercareRest,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Currency != "EUR" || f.Aftercare.Currency != "EUR" {
					t.Errorf("currency = %q, aftercare's %q; want EUR for both", f.Currency, f.Aftercare.Currency)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parseGood(t, tc.input, tc.check)
		})
	}
}

// aftercareRest completes an aftercare section of aftercareFactory; its services' routings carry
// checks and material costs as a product's steps do.
const aftercareRest = `  diagnosis: {capability: repair, unit_time: 20m}
  kinds: [{id: rug, skus: [RUG-1]}]
  services:
    - id: clean
      kinds: [rug]
      routing:
        - capability: wash
          unit_time: 45m
          material_cost: 3.20
          checks: [{name: Colour fast}, {name: Width, unit: cm, min: 158, max: 162}]
`

// TestParseChecks reads routing steps' checklists into the model.
func TestParseChecks(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, f *configs.Factory)
	}{
		{
			name: "pass-or-fail items and measurements of both forms",
			input: `site: tiny
cells:
  - id: finish-1
    capabilities: [finish]
products:
  - sku: RUG-1
    routing:
      - capability: finish
        unit_time: 20m
        checks:
          - {name: No loose knots}
          - {name: Width, unit: cm, target: 160, tolerance: 2}
          - {name: Weight, unit: kg, min: 2.0, max: 2.6}
          - {name: Pile, unit: mm, min: 8, max: 8}
`,
			check: func(t *testing.T, f *configs.Factory) {
				want := []configs.Check{
					{Name: "No loose knots", Line: 11},
					{Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162, Line: 12},
					{Name: "Weight", Measure: true, Unit: "kg", Min: 2.0, Max: 2.6, Line: 13},
					{Name: "Pile", Measure: true, Unit: "mm", Min: 8, Max: 8, Line: 14},
				}
				if got := f.Products[0].Routing[0].Checks; !reflect.DeepEqual(got, want) {
					t.Errorf("checks = %+v, want %+v", got, want)
				}
				width := f.Products[0].Routing[0].Checks[1]
				for _, v := range []struct {
					value float64
					pass  bool
				}{{157.99, false}, {158, true}, {160.5, true}, {162, true}, {162.01, false}} {
					if got := width.Within(v.value); got != v.pass {
						t.Errorf("Width.Within(%v) = %v, want %v", v.value, got, v.pass)
					}
				}
			},
		},
		{
			name:  "a repair service's step takes a checklist and a material cost",
			input: aftercareFactory + "aftercare:\n" + aftercareRest,
			check: func(t *testing.T, f *configs.Factory) {
				step := f.Aftercare.Services[0].Routing[0]
				want := []configs.Check{{Name: "Colour fast", Line: 32}, {Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162, Line: 32}}
				if !reflect.DeepEqual(step.Checks, want) || step.MaterialCost != 320 {
					t.Errorf("service step checks %+v, material cost %s; want %+v and 3.20", step.Checks, step.MaterialCost, want)
				}
				p, ok := f.Product(configs.RepairSKU([]string{"clean"}))
				if !ok || !reflect.DeepEqual(p.Routing[0].Checks, want) {
					t.Errorf("the repair's routing = %+v, want the service's checks", p.Routing)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parseGood(t, tc.input, tc.check)
		})
	}
}

// TestParseStops reads the stops section, and its defaults, into the model.
func TestParseStops(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, f *configs.Factory)
	}{
		{
			name:  "a file without the section gets the defaults",
			input: machineFactory,
			check: func(t *testing.T, f *configs.Factory) {
				if want := configs.DefaultStops(); !reflect.DeepEqual(f.Stops, want) {
					t.Errorf("stops = %+v, want the defaults %+v", f.Stops, want)
				}
			},
		},
		{
			name: "the default pauses hold only for the factory's pause reasons",
			input: minimal + `reasons:
  pause:
    - {code: break, label: Break}
    - {code: lunch, label: Lunch}
    - {code: material, label: Waiting for yarn}
`,
			check: func(t *testing.T, f *configs.Factory) {
				want := map[string]string{"break": "break", "material": "material"}
				if !reflect.DeepEqual(f.Stops.Pauses, want) {
					t.Errorf("pauses = %v, want %v (lunch unmapped: the tablet asks)", f.Stops.Pauses, want)
				}
			},
		},
		{
			name: "a section written whole",
			input: machineFactory + `stops:
  prompt: 0s
  reason_window: 168h
  reasons:
    planned:
      - {code: changeover, label: Changeover, loss: setup-adjustments}
      - {code: lunch, label: Lunch, loss: none}
    unplanned:
      - {code: breakdown, label: Breakdown, loss: breakdowns}
      - {code: heater, label: Heater, loss: breakdowns}
      - {code: qa, label: Waiting for QA, loss: setup-adjustments}
  machine_faults: {over-temperature: heater, heater failure: heater}
  fault: breakdown
  setup: changeover
  check: qa
  pauses: {break: lunch}
  shifts:
    - {name: early, start: "06:00"}
    - {name: late, start: "14:00"}
    - {name: night, start: "22:00"}
`,
			check: func(t *testing.T, f *configs.Factory) {
				want := configs.Stops{
					Prompt:       0,
					ReasonWindow: 168 * time.Hour,
					Reasons: []configs.StopReason{
						{Code: "changeover", Label: "Changeover", Planned: true, Loss: configs.LossSetup, Line: 23},
						{Code: "lunch", Label: "Lunch", Planned: true, Loss: configs.LossNone, Line: 24},
						{Code: "breakdown", Label: "Breakdown", Loss: configs.LossBreakdowns, Line: 26},
						{Code: "heater", Label: "Heater", Loss: configs.LossBreakdowns, Line: 27},
						{Code: "qa", Label: "Waiting for QA", Loss: configs.LossSetup, Line: 28},
					},
					MachineFaults: map[string]string{"over-temperature": "heater", "heater failure": "heater"},
					Fault:         "breakdown",
					Setup:         "changeover",
					Check:         "qa",
					Pauses:        map[string]string{"break": "lunch"},
					Shifts: []configs.Shift{
						{Name: "early", Start: 6 * time.Hour, Line: 35},
						{Name: "late", Start: 14 * time.Hour, Line: 36},
						{Name: "night", Start: 22 * time.Hour, Line: 37},
					},
					Line: 18,
				}
				if !reflect.DeepEqual(f.Stops, want) {
					t.Errorf("stops =\n%+v\nwant\n%+v", f.Stops, want)
				}
			},
		},
		{
			name: "a branch left out is the default one, and keys left out their defaults",
			input: machineFactory + `stops:
  reasons:
    unplanned:
      - {code: breakdown, label: Breakdown, loss: breakdowns}
      - {code: other, label: Other, loss: breakdowns}
  pauses: {}
`,
			check: func(t *testing.T, f *configs.Factory) {
				def := configs.DefaultStops()
				var codes []string
				for _, r := range f.Stops.Reasons {
					codes = append(codes, r.Code)
				}
				if want := []string{"changeover", "maintenance", "quality-check", "break", "breakdown", "other"}; !reflect.DeepEqual(codes, want) {
					t.Errorf("reasons = %q, want %q", codes, want)
				}
				if f.Stops.Prompt != def.Prompt || f.Stops.ReasonWindow != def.ReasonWindow || f.Stops.Fault != "breakdown" ||
					f.Stops.Setup != "changeover" || f.Stops.Check != "quality-check" || !reflect.DeepEqual(f.Stops.Shifts, def.Shifts) {
					t.Errorf("stops = %+v, want the defaults of what was left out", f.Stops)
				}
				if len(f.Stops.Pauses) != 0 || len(f.Stops.MachineFaults) != 0 {
					t.Errorf("pauses %v, machine faults %v; want none mapped", f.Stops.Pauses, f.Stops.MachineFaults)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parseGood(t, tc.input, tc.check)
		})
	}
}

// parseGood parses input, which must be accepted and keep the model's invariants, and checks it.
func parseGood(t *testing.T, input string, check func(t *testing.T, f *configs.Factory)) {
	t.Helper()
	f, err := configs.Parse("good.yaml", []byte(input), builtin(t))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	if err := checkInvariants(f); err != nil {
		t.Errorf("invariants: %v", err)
	}
	check(t, f)
}
