package modbus

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// validProfile returns a profile that passes validation; tests break one
// thing each.
func validProfile() *Profile {
	return &Profile{
		Name: "loom",
		Registers: []Register{
			{Name: "speed", Table: Holding, Address: 0, Type: Uint16, Scale: 0.1},
			{Name: "temp", Table: Input, Address: 0, Type: Float32},
			{Name: "run", Table: Coil, Address: 0, Type: Bool},
			{Name: "door", Table: Discrete, Address: 0, Type: Bool},
		},
		Groups:   []Group{{Name: "fast", Interval: 100 * time.Millisecond, Registers: []string{"speed", "temp", "run", "door"}}},
		Commands: []Command{{Name: "start", Writes: []Write{{Register: "speed", Param: "speed"}, {Register: "run", Value: 1}}}},
	}
}

func TestValidateAcceptsValidProfile(t *testing.T) {
	if err := validProfile().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(p *Profile)
		// kind, object and field the error must name, and a part of its message.
		kind, object, field, msg string
	}{
		{name: "profile without name", break_: func(p *Profile) { p.Name = "" },
			kind: "profile", field: "name", msg: `profile "": name: missing`},
		{name: "register without name", break_: func(p *Profile) { p.Registers[1].Name = "" },
			kind: "register", object: "", field: "name", msg: `register "" (#2): name: missing`},
		{name: "duplicate register", break_: func(p *Profile) { p.Registers[1].Name = "speed" },
			kind: "register", object: "speed", field: "name", msg: "duplicate of register #1"},
		{name: "missing table", break_: func(p *Profile) { p.Registers[0].Table = 0 },
			kind: "register", object: "speed", field: "table", msg: "missing or unknown"},
		{name: "bool in holding", break_: func(p *Profile) { p.Registers[0].Type, p.Registers[0].Scale = Bool, 0 },
			kind: "register", object: "speed", field: "type", msg: "bool fits coils and discrete inputs only; holding registers hold numbers"},
		{name: "number in coil", break_: func(p *Profile) { p.Registers[2].Type = Uint16 },
			kind: "register", object: "run", field: "type", msg: "coil holds single bits; use type bool"},
		{name: "unknown type", break_: func(p *Profile) { p.Registers[0].Type = "uint8" },
			kind: "register", object: "speed", field: "type", msg: `unknown type "uint8"`},
		{name: "missing type", break_: func(p *Profile) { p.Registers[0].Type = "" },
			kind: "register", object: "speed", field: "type", msg: "missing"},
		{name: "scale on bool", break_: func(p *Profile) { p.Registers[2].Scale = 2 },
			kind: "register", object: "run", field: "scale", msg: "does not apply to bool"},
		{name: "32-bit at the last address", break_: func(p *Profile) { p.Registers[1].Address = 65535 },
			kind: "register", object: "temp", field: "address", msg: "a float32 at 65535 runs past register 65535"},
		{name: "unknown byte order", break_: func(p *Profile) { p.Registers[0].ByteOrder = "middle" },
			kind: "register", object: "speed", field: "byte_order", msg: `unknown byte order "middle"`},
		{name: "unknown word order", break_: func(p *Profile) { p.Registers[1].WordOrder = "swapped" },
			kind: "register", object: "temp", field: "word_order", msg: `unknown word order "swapped"`},
		{name: "offset on bool", break_: func(p *Profile) { p.Registers[3].Offset = 1 },
			kind: "register", object: "door", field: "offset", msg: "does not apply to bool"},
		{name: "word order of a 16-bit register", break_: func(p *Profile) { p.Registers[0].WordOrder = LowFirst },
			kind: "register", object: "speed", field: "word_order", msg: "applies to 32-bit types only, not uint16"},
		{name: "interval too short", break_: func(p *Profile) { p.Groups[0].Interval = time.Millisecond },
			kind: "group", object: "fast", field: "interval", msg: "out of range 10ms..1h0m0s (got 1ms)"},
		{name: "interval too long", break_: func(p *Profile) { p.Groups[0].Interval = 2 * time.Hour },
			kind: "group", object: "fast", field: "interval", msg: "out of range 10ms..1h0m0s (got 2h0m0s)"},
		{name: "unknown type named with the types there are", break_: func(p *Profile) { p.Registers[0].Type = "int64" },
			kind: "register", object: "speed", field: "type", msg: `unknown type "int64" (want bool, uint16, int16, uint32, int32 or float32)`},
		{name: "unknown byte order named with the orders there are", break_: func(p *Profile) { p.Registers[0].ByteOrder = "middle" },
			kind: "register", object: "speed", field: "byte_order", msg: `unknown byte order "middle" (want big or little)`},
		{name: "group without interval", break_: func(p *Profile) { p.Groups[0].Interval = 0 },
			kind: "group", object: "fast", field: "interval", msg: "out of range 10ms..1h0m0s (got 0s)"},
		{name: "group with unknown register", break_: func(p *Profile) { p.Groups[0].Registers[1] = "tmp" },
			kind: "group", object: "fast", field: "registers[1]", msg: `unknown register "tmp"`},
		{name: "group listing a register twice", break_: func(p *Profile) { p.Groups[0].Registers[1] = "speed" },
			kind: "group", object: "fast", field: "registers[1]", msg: `register "speed" listed twice`},
		{name: "empty group", break_: func(p *Profile) { p.Groups[0].Registers = nil },
			kind: "group", object: "fast", field: "registers", msg: "must list at least one register"},
		{name: "duplicate group", break_: func(p *Profile) { p.Groups = append(p.Groups, p.Groups[0]) },
			kind: "group", object: "fast", field: "name", msg: "duplicate group name"},
		{name: "duplicate command", break_: func(p *Profile) { p.Commands = append(p.Commands, p.Commands[0]) },
			kind: "command", object: "start", field: "name", msg: "duplicate command name"},
		{name: "write to an input register", break_: func(p *Profile) { p.Commands[0].Writes[0].Register = "temp" },
			kind: "command", object: "start", field: "writes[0].register", msg: `register "temp" is a read-only input; only holding registers and coils can be written`},
		{name: "write to a discrete input", break_: func(p *Profile) { p.Commands[0].Writes[1].Register = "door" },
			kind: "command", object: "start", field: "writes[1].register", msg: `register "door" is a read-only discrete; only holding registers and coils can be written`},
		{name: "write to an unknown register", break_: func(p *Profile) { p.Commands[0].Writes[0].Register = "spead" },
			kind: "command", object: "start", field: "writes[0].register", msg: `unknown register "spead"`},
		{name: "constant value out of range", break_: func(p *Profile) { p.Commands[0].Writes[1].Value = 2 },
			kind: "command", object: "start", field: "writes[1].value", msg: "bool takes 0 or 1"},
		{name: "command without writes", break_: func(p *Profile) { p.Commands[0].Writes = nil },
			kind: "command", object: "start", field: "writes", msg: "must list at least one write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProfile()
			tt.break_(p)
			err := p.Validate()
			if err == nil {
				t.Fatal("Validate accepted a broken profile")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if fe.Kind != tt.kind || fe.Name != tt.object || fe.Field != tt.field {
				t.Errorf("error names %s %q field %q, want %s %q field %q", fe.Kind, fe.Name, fe.Field, tt.kind, tt.object, tt.field)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := validProfile()
	p.Registers[0].Type = "uint8"
	p.Groups[0].Interval = -time.Second
	err := p.Validate()
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("Validate reported %d problems, want 2: %v", n, err)
	}
}

func TestTableText(t *testing.T) {
	for tab := Coil; tab <= Input; tab++ {
		b, err := tab.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Table
		if err := back.UnmarshalText(b); err != nil || back != tab {
			t.Errorf("table %v round-trips to %v, %v", tab, back, err)
		}
	}
	var bad Table
	if err := bad.UnmarshalText([]byte("holding_registers")); err == nil {
		t.Error("UnmarshalText accepted an unknown table")
	}
}
