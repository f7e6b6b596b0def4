package modbus

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Table names one of the four Modbus data tables. The zero value is no
// table, so that a profile that forgets one fails validation.
type Table int

// The four data tables of a Modbus device.
const (
	Coil Table = iota + 1
	Discrete
	Holding
	Input
)

// String returns the table's name as profiles spell it.
func (t Table) String() string {
	switch t {
	case Coil:
		return "coil"
	case Discrete:
		return "discrete"
	case Holding:
		return "holding"
	case Input:
		return "input"
	}
	return fmt.Sprintf("table(%d)", int(t))
}

// ParseTable returns the table named s ("coil", "discrete", "holding",
// "input").
func ParseTable(s string) (Table, error) {
	for t := Coil; t <= Input; t++ {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown table %q (want coil, discrete, holding or input)", s)
}

// MarshalText returns the table's name, so that profiles encode it by name.
func (t Table) MarshalText() ([]byte, error) {
	if !t.valid() {
		return nil, fmt.Errorf("marshalling %v: not a table", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText parses a table name, so that profiles decode it by name.
func (t *Table) UnmarshalText(b []byte) error {
	v, err := ParseTable(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

func (t Table) valid() bool { return t >= Coil && t <= Input }

// Bits reports whether the table holds single bits rather than 16-bit words.
func (t Table) Bits() bool { return t == Coil || t == Discrete }

// DataType is the type of a register's value.
type DataType string

// The data types a register can hold.
const (
	Bool    DataType = "bool"
	Uint16  DataType = "uint16"
	Int16   DataType = "int16"
	Uint32  DataType = "uint32"
	Int32   DataType = "int32"
	Float32 DataType = "float32"
)

// words returns the number of 16-bit registers the type takes, 0 for bool
// and for unknown types.
func (d DataType) words() int {
	switch d {
	case Uint16, Int16:
		return 1
	case Uint32, Int32, Float32:
		return 2
	}
	return 0
}

// ByteOrder is the order of the two bytes inside each 16-bit register.
type ByteOrder string

// Byte orders; "" means [BigEndian], the order the Modbus spec prescribes.
const (
	BigEndian    ByteOrder = "big"
	LittleEndian ByteOrder = "little"
)

// WordOrder is the order of the two registers of a 32-bit value.
type WordOrder string

// Word orders; "" means [HighFirst].
const (
	HighFirst WordOrder = "high_first"
	LowFirst  WordOrder = "low_first"
)

// Register maps one value of a device to its place in a data table.
type Register struct {
	Name    string
	Table   Table
	Address uint16
	// Type is bool for coils and discrete inputs, numeric for holding and
	// input registers.
	Type      DataType
	ByteOrder ByteOrder
	WordOrder WordOrder
	// Scale and Offset give the engineering value: raw*Scale + Offset.
	// A Scale of 0 means 1. They do not apply to bool.
	Scale  float64
	Offset float64
	Unit   string
}

// Width returns how many entries of its table the register spans: 2 for
// 32-bit types, 1 otherwise.
func (r *Register) Width() int {
	if w := r.Type.words(); w > 0 {
		return w
	}
	return 1
}

// Group is a set of registers polled together at one interval.
type Group struct {
	Name      string
	Interval  time.Duration
	Registers []string
}

// Write is one write of a command. When Param is not empty, the value comes
// from the command's parameter of that name; otherwise it is Value.
type Write struct {
	Register string
	Param    string
	Value    float64
}

// Command is a named sequence of writes, applied in order.
type Command struct {
	Name   string
	Writes []Write
}

// Profile describes a kind of device: its registers, how they are polled and
// the commands it accepts.
type Profile struct {
	Name      string
	Registers []Register
	Groups    []Group
	Commands  []Command
}

// FieldError is one problem found by [Profile.Validate]: it names the
// profile, the object (its kind, name and index in its list) and the field,
// so that a config loader can point at the line.
type FieldError struct {
	Profile string
	// Kind is "profile", "register", "group" or "command".
	Kind  string
	Name  string
	Index int
	// Field is the field's name as profiles spell it, with an index for
	// list elements: "writes[1].register".
	Field   string
	Problem string
}

// Error returns the problem with the profile, object and field named.
func (e *FieldError) Error() string {
	if e.Kind == "profile" {
		return fmt.Sprintf("profile %q: %s: %s", e.Profile, e.Field, e.Problem)
	}
	return fmt.Sprintf("profile %q: %s %q (#%d): %s: %s", e.Profile, e.Kind, e.Name, e.Index+1, e.Field, e.Problem)
}

// Limits of a poll group's interval: polling faster loads the line for nothing, slower is no
// longer watching the machine.
const (
	MinPollInterval = 10 * time.Millisecond
	MaxPollInterval = time.Hour
)

// Validate checks the profile's registers, poll groups and commands: this package is the only
// owner of these rules, and a loader of profile files maps each problem back to its line.
// Names are present and unique; each register's type fits its table, its address range, byte
// and word order; groups poll known registers within [MinPollInterval, MaxPollInterval]; commands
// write only known holding registers and coils, with values that fit. It returns every problem,
// each a [*FieldError], joined, in the order of the profile's lists and of each object's fields
// (name, table, type, address, byte_order, word_order, scale, offset; name, interval,
// registers; name, writes).
func (p *Profile) Validate() error {
	fe := &fieldErrors{profile: p.Name}
	if p.Name == "" {
		fe.add("profile", "", 0, "name", "missing")
	}
	regs := p.validateRegisters(fe)
	p.validateGroups(fe, regs)
	p.validateCommands(fe, regs)
	return errors.Join(fe.errs...)
}

// fieldErrors collects the problems of a profile's fields.
type fieldErrors struct {
	profile string
	errs    []error
}

// add notes the problem of field of the i-th object of kind, named name.
func (fe *fieldErrors) add(kind, name string, i int, field, format string, args ...any) {
	fe.errs = append(fe.errs, &FieldError{Profile: fe.profile, Kind: kind, Name: name, Index: i,
		Field: field, Problem: fmt.Sprintf(format, args...)})
}

// validateRegisters checks the registers and returns them by name (the first of a name).
func (p *Profile) validateRegisters(fe *fieldErrors) map[string]*Register {
	regs := make(map[string]*Register, len(p.Registers))
	for i := range p.Registers {
		r := &p.Registers[i]
		bad := func(field, format string, args ...any) { fe.add("register", r.Name, i, field, format, args...) }
		switch {
		case r.Name == "":
			bad("name", "missing")
		case regs[r.Name] != nil:
			bad("name", "duplicate of register #%d", indexOf(p.Registers, r.Name)+1)
		default:
			regs[r.Name] = r
		}
		if !r.Table.valid() {
			bad("table", "missing or unknown, want coil, discrete, holding or input")
		}
		r.validateType(bad)
		if int(r.Address)+r.Width() > 1<<16 {
			bad("address", "a %s at %d runs past register %d", r.Type, r.Address, 1<<16-1)
		}
		if r.ByteOrder != "" && r.ByteOrder != BigEndian && r.ByteOrder != LittleEndian {
			bad("byte_order", "unknown byte order %q (want big or little)", r.ByteOrder)
		}
		switch {
		case r.WordOrder == "":
		case r.WordOrder != HighFirst && r.WordOrder != LowFirst:
			bad("word_order", "unknown word order %q (want high_first or low_first)", r.WordOrder)
		case r.Width() == 1:
			bad("word_order", "applies to 32-bit types only, not %s", r.Type)
		}
		r.validateValue(bad)
	}
	return regs
}

// validateType checks that the register's type is known and fits its table, reporting to bad.
func (r *Register) validateType(bad func(field, format string, args ...any)) {
	switch {
	case r.Type == Bool:
		if r.Table.valid() && !r.Table.Bits() {
			bad("type", "bool fits coils and discrete inputs only; %s registers hold numbers", r.Table)
		}
	case r.Type.words() > 0:
		if r.Table.Bits() {
			bad("type", "%s holds single bits; use type bool", r.Table)
		}
	case r.Type == "":
		bad("type", "missing")
	default:
		bad("type", "unknown type %q (want bool, uint16, int16, uint32, int32 or float32)", r.Type)
	}
}

// validateValue checks the scale and offset of the register's value, reporting to bad.
func (r *Register) validateValue(bad func(field, format string, args ...any)) {
	switch {
	case !finite(r.Scale):
		bad("scale", "%v is not a finite number", r.Scale)
	case r.Type == Bool && r.Scale != 0:
		bad("scale", "does not apply to bool")
	}
	switch {
	case !finite(r.Offset):
		bad("offset", "%v is not a finite number", r.Offset)
	case r.Type == Bool && r.Offset != 0:
		bad("offset", "does not apply to bool")
	}
}

// validateGroups checks the poll groups, whose registers are among regs.
func (p *Profile) validateGroups(fe *fieldErrors, regs map[string]*Register) {
	groups := map[string]bool{}
	for i, g := range p.Groups {
		bad := func(field, format string, args ...any) { fe.add("group", g.Name, i, field, format, args...) }
		switch {
		case g.Name == "":
			bad("name", "missing")
		case groups[g.Name]:
			bad("name", "duplicate group name")
		}
		groups[g.Name] = true
		if g.Interval < MinPollInterval || g.Interval > MaxPollInterval {
			bad("interval", "out of range %s..%s (got %s)", MinPollInterval, MaxPollInterval, g.Interval)
		}
		if len(g.Registers) == 0 {
			bad("registers", "must list at least one register")
		}
		seen := map[string]bool{}
		for j, name := range g.Registers {
			field := fmt.Sprintf("registers[%d]", j)
			switch {
			case regs[name] == nil:
				bad(field, "unknown register %q", name)
			case seen[name]:
				bad(field, "register %q listed twice", name)
			}
			seen[name] = true
		}
	}
}

// validateCommands checks the commands, which write registers of regs.
func (p *Profile) validateCommands(fe *fieldErrors, regs map[string]*Register) {
	cmds := map[string]bool{}
	for i, c := range p.Commands {
		bad := func(field, format string, args ...any) { fe.add("command", c.Name, i, field, format, args...) }
		switch {
		case c.Name == "":
			bad("name", "missing")
		case cmds[c.Name]:
			bad("name", "duplicate command name")
		}
		cmds[c.Name] = true
		if len(c.Writes) == 0 {
			bad("writes", "must list at least one write")
		}
		for j, w := range c.Writes {
			field := fmt.Sprintf("writes[%d]", j)
			r := regs[w.Register]
			switch {
			case r == nil:
				bad(field+".register", "unknown register %q", w.Register)
				continue
			case !r.Table.valid():
				continue // the register's own error says why
			case r.Table != Holding && r.Table != Coil:
				bad(field+".register", "register %q is a read-only %s; only holding registers and coils can be written", w.Register, r.Table)
				continue
			}
			if w.Param != "" {
				continue
			}
			if r.Type != Bool && r.Type.words() == 0 {
				continue // the register's own error says why
			}
			if _, err := r.Encode(w.Value); err != nil {
				bad(field+".value", "%v", err)
			}
		}
	}
}

// indexOf returns the index of the first register named name.
func indexOf(regs []Register, name string) int {
	for i := range regs {
		if regs[i].Name == name {
			return i
		}
	}
	return -1
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
