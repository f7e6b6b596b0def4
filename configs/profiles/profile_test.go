package profiles_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
	"github.com/cellforge/cellforge/drivers/modbus"
)

func TestBuiltin(t *testing.T) {
	all, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if names := slices.Sorted(func(yield func(string) bool) {
		for name := range all {
			if !yield(name) {
				return
			}
		}
	}); !slices.Equal(names, []string{"dye-station", "loom"}) {
		t.Fatalf("built-in profiles %v, want dye-station and loom", names)
	}
	loom := all["loom"]
	if loom.File != "configs/profiles/loom.yaml" || loom.Kind != configs.KindLoom || loom.StateRegister != "state" || loom.UnitsRegister != "units" {
		t.Errorf("loom = %+v", loom)
	}
	// The driver's own types, decoded from the file.
	if r := loom.Modbus.Registers[8]; r.Name != "picks" || r.Table != modbus.Input || r.Address != 2 || r.Type != modbus.Uint32 {
		t.Errorf("loom's register #9 = %+v", r)
	}
	if r := loom.Modbus.Registers[0]; r.Type != modbus.Uint16 {
		t.Errorf("loom's pattern register has type %q, want the holding table's default uint16", r.Type)
	}
	if r := loom.Modbus.Registers[3]; r.Type != modbus.Bool {
		t.Errorf("loom's start coil has type %q, want the coil table's default bool", r.Type)
	}
	if err := loom.Modbus.Validate(); err != nil {
		t.Errorf("the loom's profile fails the driver's rules: %v", err)
	}
	info := loom.Info()
	if info.Kind != configs.KindLoom || !slices.Equal(info.StartParams, []string{"pattern", "speed", "units"}) || !slices.Equal(info.Defaults, []string{"speed"}) {
		t.Errorf("loom's info = %+v", info)
	}
	if all["dye-station"].Kind != configs.KindDyeStation {
		t.Errorf("dye-station describes a %s", all["dye-station"].Kind)
	}
	// What an operation's record keeps of each machine's readings.
	for _, tc := range []struct {
		profile string
		want    []profiles.Recorded
	}{
		{profile: "dye-station", want: []profiles.Recorded{
			{Register: "temperature", Unit: "°C", HoldTolerance: 1},
			{Register: "ph", HoldTolerance: 0.1},
		}},
		{profile: "loom", want: []profiles.Recorded{{Register: "speed", Unit: "picks/min"}}},
	} {
		if got := all[tc.profile].Recorded; !slices.Equal(got, tc.want) {
			t.Errorf("%s records %+v, want %+v", tc.profile, got, tc.want)
		}
	}

	catalogue, err := profiles.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	if len(catalogue) != len(all) || catalogue["dye-station"].Kind != configs.KindDyeStation {
		t.Errorf("catalogue = %+v", catalogue)
	}
	if p, err := profiles.Find("loom"); err != nil || p != loom {
		t.Errorf("Find(loom) = %p, %v; want the built-in %p", p, err, loom)
	}
	if _, err := profiles.Find("vat"); err == nil || !strings.Contains(err.Error(), `unknown profile "vat"`) {
		t.Errorf("Find(vat) = %v, want an unknown profile", err)
	}
}

// head is a loom profile's beginning, good as it is; the tests append what they break.
const head = `name: test-loom
kind: loom
registers:
  - {name: pattern, table: holding, address: 0}
  - {name: target, table: holding, address: 1}
  - {name: start, table: coil, address: 0}
  - {name: stop, table: coil, address: 1}
  - {name: reset, table: coil, address: 2}
  - {name: state, table: input, address: 0}
  - {name: units, table: input, address: 5}
`

// tail is the rest of the good loom profile.
const tail = `poll:
  - {name: status, interval: 250ms, registers: [state, units]}
commands:
  - {name: start, writes: [{register: pattern, param: pattern}, {register: target, param: units}, {register: start, value: 1}]}
  - {name: stop, writes: [{register: stop, value: 1}]}
  - {name: reset, writes: [{register: reset, value: 1}]}
state: {register: state, values: {0: idle, 1: running, 2: done, 3: fault}, units: units}
`

// TestParseDriverRulesAtTheirLines checks that a problem only the driver's rules see is reported
// at the line and field of the file that holds it, in file order among the loader's own, all of
// the file in one pass.
func TestParseDriverRulesAtTheirLines(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{
			name: "good",
			file: head + tail,
		},
		{
			name: "a constant a coil cannot hold",
			file: head + `poll:
  - {name: status, interval: 250ms, registers: [state, units]}
commands:
  - name: start
    writes:
      - {register: pattern, param: pattern}
      - {register: start, value: 2}
  - {name: stop, writes: [{register: stop, value: 1}]}
  - {name: reset, writes: [{register: reset, value: 1}]}
state: {register: state, values: {0: idle, 1: running, 2: done, 3: fault}, units: units}
`,
			want: []string{`p.yaml:17: command "start": writes[1].value: encoding 2 for register "start": bool takes 0 or 1: ` + modbus.ErrOutOfRange.Error()},
		},
		{
			name: "a register's rules, the loader's and the driver's, field by field",
			file: head + `  - name: speed
    table: holding
    address: 70000
    type: bool
    word_order: low_first
    scale: 0
    offset: 2
` + tail,
			want: []string{
				`p.yaml:13: register "speed": address: out of range 0..65535 (got 70000)`,
				`p.yaml:14: register "speed": type: bool fits coils and discrete inputs only; holding registers hold numbers`,
				`p.yaml:15: register "speed": word_order: applies to 32-bit types only, not bool`,
				`p.yaml:16: register "speed": scale: must not be zero`,
				`p.yaml:17: register "speed": offset: does not apply to bool`,
			},
		},
		{
			name: "a poll group's interval out of range and a register it does not know",
			file: head + `poll:
  - name: status
    interval: 2h
    registers:
      - state
      - nope
      - units
      - state
` + tail[strings.Index(tail, "commands:"):],
			want: []string{
				`p.yaml:13: poll group "status": interval: out of range 10ms..1h0m0s (got 2h0m0s)`,
				`p.yaml:16: poll group "status": registers: unknown register "nope"`,
				`p.yaml:18: poll group "status": registers: register "state" listed twice (first at line 15)`,
			},
		},
		{
			name: "what the loader cannot decode, the driver does not judge",
			file: head + `  - {name: speed, table: holdings, address: 3, type: float32, scale: x}
  - [not, a, register]
` + tail,
			want: []string{
				`p.yaml:11: register "speed": table: unknown table "holdings" (want coil, discrete, holding or input)`,
				`p.yaml:11: register "speed": scale: expected a number, got a string`,
				`p.yaml:12: register #9: expected a mapping, got a list`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profiles.Parse("p.yaml", []byte(tt.file))
			var got []string
			if err != nil {
				var errs configs.Errors
				if !errors.As(err, &errs) {
					t.Fatalf("error %T is not a configs.Errors: %v", err, err)
				}
				for _, e := range errs {
					got = append(got, e.Error())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if (p == nil) != (len(tt.want) > 0) {
				t.Errorf("Parse returned profile %v with %d errors", p, len(got))
			}
		})
	}
}
