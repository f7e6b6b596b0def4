package configs

import (
	"embed"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/drivers/modbus"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Canonical machine states a profile maps its state register's values to. Any other name is a
// phase of running (a dye station's fill, heat, hold...).
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StateDone    = "done"
	StateFault   = "fault"
)

// Command names a cell controller gives a Modbus device. A profile defines them.
const (
	CommandStart = "start" // start a job; params are the step's params and "units"
	CommandStop  = "stop"  // stop the running job
	CommandReset = "reset" // clear a fault
)

// Profile is a Modbus device profile: the register map, poll groups and commands the driver
// uses, and what a cell controller reads from them (the machine's state, the units it has made,
// its fault code).
type Profile struct {
	Name string
	// Kind is the device kind the profile describes (loom or dye-station).
	Kind string
	// File is the file the profile was parsed from, for messages.
	File   string
	Modbus *modbus.Profile
	// StateRegister holds the machine's state; States maps its values to StateIdle,
	// StateRunning, StateDone, StateFault or the name of a running phase.
	StateRegister string
	States        map[int]string
	// Setup names the running phases that prepare a job rather than make units (a dye
	// bath filling and heating): time in them counts as setup, not running.
	Setup []string
	// UnitsRegister counts the units completed of the current job; empty for a machine that
	// finishes all the units of a job at once (a dye bath), whose units are done when it is.
	UnitsRegister string
	// FaultRegister holds the machine's fault code (optional); Faults names the codes.
	FaultRegister string
	Faults        map[int]string
	// Defaults are values of start parameters a routing step may leave out.
	Defaults map[string]float64
}

// StartParams returns the parameters the profile's start command takes, sorted.
func (p *Profile) StartParams() []string {
	var out []string
	for _, c := range p.Modbus.Commands {
		if c.Name != CommandStart {
			continue
		}
		for _, w := range c.Writes {
			if w.Param != "" && !slices.Contains(out, w.Param) {
				out = append(out, w.Param)
			}
		}
	}
	sort.Strings(out)
	return out
}

//go:embed profiles/*.yaml
var builtinFiles embed.FS

// BuiltinProfiles returns the profiles shipped in configs/profiles, by name. They are parsed on
// every call, so callers may keep and change what they get.
func BuiltinProfiles() (map[string]*Profile, error) {
	entries, err := builtinFiles.ReadDir("profiles")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Profile, len(entries))
	for _, e := range entries {
		name := path.Join("profiles", e.Name())
		data, err := builtinFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := ParseProfile("configs/"+name, data)
		if err != nil {
			return nil, err
		}
		if _, dup := out[p.Name]; dup {
			return nil, fmt.Errorf("configs/%s: profile name %q used twice", name, p.Name)
		}
		out[p.Name] = p
	}
	return out, nil
}

// ParseProfile decodes and validates a device profile. Like Parse it is strict, reports every
// problem as an Errors naming file, line, object and field, and never opens the file itself.
func ParseProfile(file string, data []byte) (*Profile, error) {
	if file == "" {
		file = "<profile>"
	}
	d := &decoder{yamlfile.Decoder{File: file}}
	var p *Profile
	if root := d.Document(data); root != nil {
		p = d.profile(root)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	p.File = file
	return p, nil
}

// Limits of a profile, from the Modbus specification and common sense.
const (
	maxAddress      = 65535
	minPollInterval = 10 * time.Millisecond
	maxPollInterval = time.Hour
)

func (d *decoder) profile(n *yaml.Node) *Profile {
	m, ok := d.Mapping(n, "", "", "name", "kind", "registers", "poll", "commands", "state", "defaults")
	if !ok {
		return nil
	}
	p := &Profile{Modbus: &modbus.Profile{}}
	name := d.Str(m, "name")
	if d.Required(name, n.Line, "", "name") && d.Shape(name, "", "name", yamlfile.IsID, "invalid name %s ("+yamlfile.IDRule+")") {
		p.Name = name.V
		p.Modbus.Name = name.V
	}
	kind := d.Str(m, "kind")
	if d.Required(kind, n.Line, "", "kind") {
		if kind.V != KindLoom && kind.V != KindDyeStation {
			d.Add(kind.Line, "", "kind", "unknown kind %s (a profile describes a loom or a dye-station)", yamlfile.Quote(kind.V))
		}
		p.Kind = kind.V
	}

	regs := d.profileRegisters(m, n.Line, p)
	polled := d.profilePoll(m, p, regs)
	d.profileCommands(m, n.Line, p, regs)
	p.Defaults = d.Params(m, "defaults", "")
	if p.Defaults != nil {
		takes := p.StartParams()
		for _, k := range sortedKeys(p.Defaults) {
			if !slices.Contains(takes, k) {
				d.Add(m.Line("defaults", n.Line), "", "defaults", "the start command takes no param %s", yamlfile.Quote(k))
			}
		}
	}
	if e, ok := m.Entries["state"]; ok {
		d.state(e.Val, p, regs, polled)
	} else {
		d.Add(n.Line, "", "state", "required")
	}
	if len(d.Errs) == 0 {
		if err := p.Modbus.Validate(); err != nil {
			// The checks above cover what Validate checks; this is a safety net.
			d.Add(n.Line, "", "", "%v", err)
		}
	}
	return p
}

// profileRegisters decodes the registers of profile p (m is its mapping, at line) into it and
// returns them by name, each with its line for the references to it.
func (d *decoder) profileRegisters(m *mapping, line int, p *Profile) map[string]registerRef {
	regs := map[string]registerRef{}
	yamlfile.List(&d.Decoder, m, "registers", func(n *yaml.Node, i int) struct{} {
		r, ok := d.register(n, i)
		if !ok {
			return struct{}{}
		}
		if first, dup := regs[r.Name]; dup {
			d.Add(n.Line, "register "+yamlfile.Quote(r.Name), "name", "duplicate register name (first at line %d)", first.line)
			return struct{}{}
		}
		regs[r.Name] = registerRef{r, n.Line}
		p.Modbus.Registers = append(p.Modbus.Registers, r)
		return struct{}{}
	})
	if len(p.Modbus.Registers) == 0 && !d.Has(m, "registers") {
		d.Add(line, "", "registers", "required")
	}
	return regs
}

// profilePoll decodes the poll groups of profile p, whose registers are regs, into it and
// returns the registers they poll.
func (d *decoder) profilePoll(m *mapping, p *Profile, regs map[string]registerRef) map[string]bool {
	groups := map[string]int{}
	polled := map[string]bool{}
	yamlfile.List(&d.Decoder, m, "poll", func(n *yaml.Node, i int) struct{} {
		g, ok := d.pollGroup(n, i, regs)
		// What a broken group names still counts, so that one mistake is reported once.
		for _, r := range g.Registers {
			polled[r] = true
		}
		if !ok {
			if g.Name != "" {
				groups[g.Name] = n.Line
			}
			return struct{}{}
		}
		if first, dup := groups[g.Name]; dup {
			d.Add(n.Line, "poll group "+yamlfile.Quote(g.Name), "name", "duplicate poll group name (first at line %d)", first)
			return struct{}{}
		}
		groups[g.Name] = n.Line
		p.Modbus.Groups = append(p.Modbus.Groups, g)
		return struct{}{}
	})
	return polled
}

// profileCommands decodes the commands of profile p (m is its mapping, at line), which write
// registers of regs, into it; a cell controller needs start, stop and reset.
func (d *decoder) profileCommands(m *mapping, line int, p *Profile, regs map[string]registerRef) {
	commands := map[string]int{}
	yamlfile.List(&d.Decoder, m, "commands", func(n *yaml.Node, i int) struct{} {
		c, ok := d.command(n, i, regs)
		if !ok {
			if _, dup := commands[c.Name]; c.Name != "" && !dup {
				commands[c.Name] = n.Line
			}
			return struct{}{}
		}
		if first, dup := commands[c.Name]; dup {
			d.Add(n.Line, "command "+yamlfile.Quote(c.Name), "name", "duplicate command name (first at line %d)", first)
			return struct{}{}
		}
		commands[c.Name] = n.Line
		p.Modbus.Commands = append(p.Modbus.Commands, c)
		return struct{}{}
	})
	for _, c := range []string{CommandStart, CommandStop, CommandReset} {
		if _, ok := commands[c]; !ok && d.Has(m, "commands") {
			d.Add(m.Line("commands", line), "", "commands", "missing command %s (a cell controller needs start, stop and reset)", yamlfile.Quote(c))
		}
	}
}

type registerRef struct {
	modbus.Register
	line int
}

var tables = map[string]modbus.Table{
	"coil": modbus.Coil, "discrete": modbus.Discrete, "holding": modbus.Holding, "input": modbus.Input,
}

// width is the number of 16-bit registers a type takes.
func width(t modbus.DataType) int {
	switch t {
	case "uint32", "int32", "float32":
		return 2
	}
	return 1
}

func (d *decoder) register(n *yaml.Node, i int) (modbus.Register, bool) {
	object := yamlfile.ObjectName("register", yamlfile.Peek(n, "name"), i)
	m, ok := d.Mapping(n, object, "", "name", "table", "address", "type", "byte_order", "word_order", "scale", "offset", "unit")
	if !ok {
		return modbus.Register{}, false
	}
	var r modbus.Register
	good := true
	name := d.Str(m, "name")
	if d.Required(name, n.Line, object, "name") && d.Shape(name, object, "name", yamlfile.IsAttribute, "invalid name %s ("+yamlfile.AttributeRule+")") {
		r.Name = name.V
	} else {
		good = false
	}
	table := d.Str(m, "table")
	if d.Required(table, n.Line, object, "table") {
		t, ok := tables[table.V]
		if !ok {
			d.Add(table.Line, object, "table", "unknown table %s (want coil, discrete, holding or input)", yamlfile.Quote(table.V))
			good = false
		}
		r.Table = t
	} else {
		good = false
	}
	addr := d.Integer(m, "address")
	switch {
	case addr.Bad:
		good = false
	case !addr.Set():
		d.Add(n.Line, object, "address", "required")
		good = false
	case addr.V < 0 || addr.V > maxAddress:
		d.Add(addr.Line, object, "address", "out of range 0..%d (got %d)", maxAddress, addr.V)
		addr.Bad = true
		good = false
	default:
		r.Address = uint16(addr.V)
	}
	typ := d.Str(m, "type")
	bits := table.V == "coil" || table.V == "discrete"
	var typeOK bool
	if r.Type, typeOK = d.registerType(typ, table, bits, object); !typeOK {
		good = false
	}
	if !addr.Bad && addr.Set() && !bits && int(addr.V)+width(r.Type)-1 > maxAddress {
		d.Add(addr.Line, object, "address", "a %s at %d runs past register %d", r.Type, addr.V, maxAddress)
		good = false
	}
	if !d.registerOrders(m, object, &r) {
		good = false
	}
	if !d.registerValue(m, object, &r) {
		good = false
	}
	return r, good
}

// registerType is the data type of a register in table, given as typ (bits: the table holds
// bits); the default without typ suits the table. It reports whether the type is good.
func (d *decoder) registerType(typ, table value[string], bits bool, object string) (t modbus.DataType, ok bool) {
	ok = true
	switch {
	case typ.Bad:
		return "", false
	case !typ.Set() && bits:
		return "bool", true
	case !typ.Set():
		return "uint16", true
	default:
		switch typ.V {
		case "bool":
			if !bits && table.Set() {
				d.Add(typ.Line, object, "type", "bool fits coils and discrete inputs only; %s registers hold numbers", table.V)
				ok = false
			}
		case "uint16", "int16", "uint32", "int32", "float32":
			if bits {
				d.Add(typ.Line, object, "type", "%s holds single bits; use type bool", table.V)
				ok = false
			}
		default:
			d.Add(typ.Line, object, "type", "unknown type %s (want bool, uint16, int16, uint32, int32 or float32)", yamlfile.Quote(typ.V))
			ok = false
		}
	}
	return modbus.DataType(typ.V), ok
}

// registerOrders decodes the byte and word order of register r; it reports whether they are
// good.
func (d *decoder) registerOrders(m *mapping, object string, r *modbus.Register) (good bool) {
	good = true
	if bo := d.Str(m, "byte_order"); bo.Set() && !bo.Bad {
		if bo.V != "big" && bo.V != "little" {
			d.Add(bo.Line, object, "byte_order", "unknown byte order %s (want big or little)", yamlfile.Quote(bo.V))
			good = false
		}
		r.ByteOrder = modbus.ByteOrder(bo.V)
	}
	if wo := d.Str(m, "word_order"); wo.Set() && !wo.Bad {
		switch {
		case wo.V != "high_first" && wo.V != "low_first":
			d.Add(wo.Line, object, "word_order", "unknown word order %s (want high_first or low_first)", yamlfile.Quote(wo.V))
			good = false
		case width(r.Type) == 1:
			d.Add(wo.Line, object, "word_order", "applies to 32-bit types only, not %s", r.Type)
			good = false
		}
		r.WordOrder = modbus.WordOrder(wo.V)
	}
	return good
}

// registerValue decodes the scale, offset and unit of the value of register r; it reports
// whether they are good.
func (d *decoder) registerValue(m *mapping, object string, r *modbus.Register) (good bool) {
	good = true
	scale := d.Number(m, "scale")
	switch {
	case scale.Bad:
		good = false
	case scale.Set() && scale.V == 0:
		d.Add(scale.Line, object, "scale", "must not be zero")
		good = false
	case scale.Set() && r.Type == "bool":
		d.Add(scale.Line, object, "scale", "does not apply to bool")
		good = false
	}
	r.Scale = scale.V
	offset := d.Number(m, "offset")
	if offset.Bad {
		good = false
	} else if offset.Set() && r.Type == "bool" {
		d.Add(offset.Line, object, "offset", "does not apply to bool")
		good = false
	}
	r.Offset = offset.V
	unit := d.Str(m, "unit")
	if unit.Set() && !unit.Bad {
		d.Text(unit, object, "unit", 16)
	}
	r.Unit = unit.V
	return good
}

func (d *decoder) pollGroup(n *yaml.Node, i int, regs map[string]registerRef) (modbus.Group, bool) {
	object := yamlfile.ObjectName("poll group", yamlfile.Peek(n, "name"), i)
	m, ok := d.Mapping(n, object, "", "name", "interval", "registers")
	if !ok {
		return modbus.Group{}, false
	}
	var g modbus.Group
	good := true
	name := d.Str(m, "name")
	if d.Required(name, n.Line, object, "name") && d.Shape(name, object, "name", yamlfile.IsAttribute, "invalid name %s ("+yamlfile.AttributeRule+")") {
		g.Name = name.V
	} else {
		good = false
	}
	iv := d.Duration(m, "interval")
	switch {
	case iv.Bad:
		good = false
	case !iv.Set():
		d.Add(n.Line, object, "interval", "required")
		good = false
	case iv.V < minPollInterval || iv.V > maxPollInterval:
		d.Add(iv.Line, object, "interval", "out of range %s..%s (got %s)", minPollInterval, maxPollInterval, iv.V)
		good = false
	}
	g.Interval = iv.V
	names := yamlfile.List(&d.Decoder, m, "registers", func(n *yaml.Node, _ int) value[string] {
		s, bad := d.Scalar(n, object, "registers", "a register name")
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
	if !d.NonEmpty(len(names.V), names.Line, names.Bad, n.Line, object, "registers", "register") {
		return g, false
	}
	seen := map[string]int{}
	for _, r := range names.V {
		if r.Bad {
			good = false
			continue
		}
		if _, ok := regs[r.V]; !ok {
			d.Add(r.Line, object, "registers", "unknown register %s", yamlfile.Quote(r.V))
			good = false
			continue
		}
		if !d.Unique(seen, r, object, "registers", "register %s listed twice (first at line %d)") {
			good = false
			continue
		}
		g.Registers = append(g.Registers, r.V)
	}
	return g, good
}

func (d *decoder) command(n *yaml.Node, i int, regs map[string]registerRef) (modbus.Command, bool) {
	object := yamlfile.ObjectName("command", yamlfile.Peek(n, "name"), i)
	m, ok := d.Mapping(n, object, "", "name", "writes")
	if !ok {
		return modbus.Command{}, false
	}
	var c modbus.Command
	good := true
	name := d.Str(m, "name")
	if d.Required(name, n.Line, object, "name") && d.Shape(name, object, "name", yamlfile.IsAttribute, "invalid name %s ("+yamlfile.AttributeRule+")") {
		c.Name = name.V
	} else {
		good = false
	}
	writes := yamlfile.List(&d.Decoder, m, "writes", func(n *yaml.Node, j int) value[modbus.Write] {
		field := fmt.Sprintf("writes[%d]", j)
		wm, ok := d.Mapping(n, object, field, "register", "param", "value")
		if !ok {
			return value[modbus.Write]{Line: n.Line, Bad: true}
		}
		w := value[modbus.Write]{Line: n.Line}
		reg := d.Str(wm, "register")
		if d.Required(reg, n.Line, object, field+".register") {
			r, ok := regs[reg.V]
			switch {
			case !ok:
				d.Add(reg.Line, object, field+".register", "unknown register %s", yamlfile.Quote(reg.V))
				w.Bad = true
			case r.Table != modbus.Holding && r.Table != modbus.Coil:
				d.Add(reg.Line, object, field+".register", "register %s is a read-only %s; only holding registers and coils can be written", yamlfile.Quote(reg.V), r.Table)
				w.Bad = true
			}
			w.V.Register = reg.V
		} else {
			w.Bad = true
		}
		param := d.Str(wm, "param")
		val := d.Number(wm, "value")
		switch {
		case param.Set() && val.Set():
			d.Add(val.Line, object, field+".value", "set only one of param and value")
			w.Bad = true
		case !param.Set() && !val.Set():
			d.Add(n.Line, object, field, "needs a param or a value")
			w.Bad = true
		case param.Set() && !param.Bad:
			if !yamlfile.IsAttribute(param.V) {
				d.Add(param.Line, object, field+".param", "invalid param %s ("+yamlfile.AttributeRule+")", yamlfile.Quote(param.V))
				w.Bad = true
			}
			w.V.Param = param.V
		case val.Bad:
			w.Bad = true
		default:
			w.V.Value = val.V
		}
		return w
	})
	if !d.NonEmpty(len(writes.V), writes.Line, writes.Bad, n.Line, object, "writes", "write") {
		return c, false
	}
	for _, w := range writes.V {
		if w.Bad {
			good = false
			continue
		}
		c.Writes = append(c.Writes, w.V)
	}
	return c, good
}

func (d *decoder) state(n *yaml.Node, p *Profile, regs map[string]registerRef, polled map[string]bool) {
	const object = "state"
	m, ok := d.Mapping(n, object, "", "register", "values", "setup", "units", "fault_code", "faults")
	if !ok {
		return
	}
	ref := func(key string, required bool) string {
		v := d.Str(m, key)
		switch {
		case v.Bad:
			return ""
		case !v.Set():
			if required {
				d.Add(n.Line, object, key, "required")
			}
			return ""
		}
		r, ok := regs[v.V]
		switch {
		case !ok:
			d.Add(v.Line, object, key, "unknown register %s", yamlfile.Quote(v.V))
		case r.Type == "bool" || r.Type == "float32":
			d.Add(v.Line, object, key, "register %s is a %s; want an integer register", yamlfile.Quote(v.V), r.Type)
		case !polled[v.V]:
			d.Add(v.Line, object, key, "register %s is in no poll group, so it would never be read", yamlfile.Quote(v.V))
		}
		return v.V
	}
	p.StateRegister = ref("register", true)
	p.UnitsRegister = ref("units", false)
	p.FaultRegister = ref("fault_code", false)
	p.States = d.Codes(m, "values", object, n.Line, true, func(v value[string]) bool {
		return d.Shape(v, object, "values", yamlfile.IsAttribute, "invalid state name %s ("+yamlfile.AttributeRule+")")
	})
	if p.States != nil {
		have := map[string]bool{}
		for _, s := range p.States {
			have[s] = true
		}
		for _, s := range []string{StateIdle, StateDone, StateFault} {
			if !have[s] {
				d.Add(m.Line("values", n.Line), object, "values", "no value means %s (a cell controller needs idle, done and fault)", yamlfile.Quote(s))
			}
		}
	}
	if e, ok := m.Entries["setup"]; ok && !yamlfile.IsNull(e.Val) {
		if e.Val.Kind != yaml.SequenceNode {
			d.Add(e.Key.Line, object, "setup", "expected a list of state names, got %s", yamlfile.Describe(e.Val))
		} else {
			for _, item := range e.Val.Content {
				s, bad := d.Scalar(item, object, "setup", "a state name")
				switch {
				case bad:
				case !slices.Contains(slices.Collect(maps.Values(p.States)), s):
					d.Add(item.Line, object, "setup", "%s is not one of the state values", yamlfile.Quote(s))
				case s == StateIdle || s == StateDone || s == StateFault:
					d.Add(item.Line, object, "setup", "%s is not a running phase", yamlfile.Quote(s))
				default:
					p.Setup = append(p.Setup, s)
				}
			}
		}
	}
	p.Faults = d.Codes(m, "faults", object, n.Line, false, func(v value[string]) bool {
		d.Text(v, object, "faults", maxNameRunes)
		return true
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
