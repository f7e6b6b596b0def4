package profiles

import (
	"fmt"
	"math"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/internal/yamlfile"
	"github.com/cellforge/cellforge/drivers/modbus"
)

// The sections of a profile file decode into the driver's own types, every item of a list in
// its place (one the loader could not decode as a zero value, which the driver's problems with
// are not reported), so that a modbus.FieldError's index is the item's in the file.

// item starts decoding item #i of a list of the driver's profile, of kind (label names it in
// messages), at n: a mapping of a name, decoded into name, and of keys. ok is false when n is
// no mapping.
func (l *loader) item(kind, label string, n *yaml.Node, i int, name *string, keys ...string) (m *yamlfile.Mapping, o *object, ok bool) {
	o = l.object(kind, i, yamlfile.ObjectName(label, yamlfile.Peek(n, "name"), i), n.Line)
	if m, ok = l.Mapping(n, o.name, "", append([]string{"name"}, keys...)...); !ok {
		o.bad[""] = true
		return nil, o, false
	}
	l.field(o, "name", "name", func() int {
		v := l.Str(m, "name")
		if l.Required(v, n.Line, o.name, "name") && l.Shape(v, o.name, "name", yamlfile.IsAttribute, "invalid name %s ("+yamlfile.AttributeRule+")") {
			*name = v.V
		}
		return v.Line
	})
	return m, o, true
}

// firstOfName records name, of list item o at line, in first (name -> line) and reports whether
// it was the first of its name; a later one is reported as a duplicate of the first (what names
// the list's items).
func (l *loader) firstOfName(first map[string]int, name string, line int, o *object, what string) bool {
	if at, dup := first[name]; dup {
		l.Add(line, o.name, "name", "duplicate %s name (first at line %d)", what, at)
		o.bad["name"] = true
		return false
	}
	first[name] = line
	return true
}

// requiredList reports list key of object o (at line) when it is missing, and notes where the
// driver's problems with it go; one the loader could not decode is not the driver's to judge.
func requiredList[T any](l *loader, o *object, key string, line int, v yamlfile.Value[[]T]) {
	l.field(o, key, key, func() int {
		if !v.Bad && !v.Set() {
			l.Add(line, o.name, key, "required")
		}
		return v.Line
	})
	if v.Bad {
		o.bad[key] = true
	}
}

// registers decodes the registers of profile p (m is its mapping, at line) into it and returns
// them by name (the first of a name), for the state section's references.
func (l *loader) registers(m *yamlfile.Mapping, line int, p *Profile) map[string]modbus.Register {
	regs := map[string]modbus.Register{}
	first := map[string]int{}
	yamlfile.List(&l.Decoder, m, "registers", func(n *yaml.Node, i int) struct{} {
		errs := len(l.Errs)
		r, o, rec := l.register(n, i)
		p.Modbus.Registers = append(p.Modbus.Registers, r)
		if len(l.Errs) > errs {
			// A register the file got wrong is not one the others may name.
			return struct{}{}
		}
		if l.firstOfName(first, r.Name, n.Line, o, "register") {
			regs[r.Name] = r
			if rec.on {
				p.Recorded = append(p.Recorded, Recorded{Register: r.Name, Unit: r.Unit, HoldTolerance: rec.tolerance})
				l.recordLines[r.Name] = rec.line
			}
		}
		return struct{}{}
	})
	if len(p.Modbus.Registers) == 0 && !l.Has(m, "registers") {
		l.Add(line, "", "registers", "required")
	}
	return regs
}

// recordMark is what a register's record and hold_tolerance say.
type recordMark struct {
	on        bool
	tolerance float64
	line      int // of record
}

// register decodes register #i, at n.
func (l *loader) register(n *yaml.Node, i int) (modbus.Register, *object, recordMark) {
	var r modbus.Register
	m, o, ok := l.item("register", "register", n, i, &r.Name, "table", "address", "type", "byte_order", "word_order", "scale", "offset", "unit", "record", "hold_tolerance")
	if !ok {
		return r, o, recordMark{}
	}
	name := o.name
	l.field(o, "table", "table", func() int {
		v := l.Str(m, "table")
		if l.Required(v, n.Line, name, "table") {
			t, err := modbus.ParseTable(v.V)
			if err != nil {
				l.Add(v.Line, name, "table", "%v", err)
			}
			r.Table = t
		}
		return v.Line
	})
	var addressLine int
	l.field(o, "address", "address", func() int {
		v := l.Integer(m, "address")
		switch {
		case v.Bad:
		case !v.Set():
			l.Add(n.Line, name, "address", "required")
		case v.V < 0 || v.V > math.MaxUint16:
			l.Add(v.Line, name, "address", "out of range 0..%d (got %d)", math.MaxUint16, v.V)
		default:
			r.Address = uint16(v.V)
		}
		addressLine = v.Line
		return v.Line
	})
	l.field(o, "type", "type", func() int {
		v := l.Str(m, "type")
		switch {
		case v.Set():
			r.Type = modbus.DataType(v.V)
		case r.Table.Bits():
			r.Type = modbus.Bool
		default:
			r.Type = modbus.Uint16
		}
		return v.Line
	})
	// The driver's problem with the address (a 32-bit value past the last register) follows
	// the type's.
	o.at("address", "address", addressLine, len(l.Errs))
	l.registerValue(m, o, &r)
	return r, o, l.recordMark(m, o, r)
}

// recordMark decodes whether register r (o) is worth recording in an operation's record, and
// how far its value may stray and still count as held.
func (l *loader) recordMark(m *yamlfile.Mapping, o *object, r modbus.Register) recordMark {
	rec := l.Boolean(m, "record")
	tol := l.Number(m, "hold_tolerance")
	mark := recordMark{on: rec.V && !rec.Bad, line: rec.Line}
	if mark.on && r.Type == modbus.Bool {
		l.Add(rec.Line, o.name, "record", "a bit has no value to summarise; record numeric registers only")
		mark.on = false
	}
	switch {
	case !tol.Set() || tol.Bad:
	case !mark.on && !rec.Bad:
		l.Add(tol.Line, o.name, "hold_tolerance", "applies to a recorded register only; add record: true")
	case !(tol.V > 0):
		l.Add(tol.Line, o.name, "hold_tolerance", "must be above zero (got %v)", tol.V)
	default:
		mark.tolerance = tol.V
	}
	return mark
}

// registerValue decodes the byte and word order, scale, offset and unit of register r (o).
func (l *loader) registerValue(m *yamlfile.Mapping, o *object, r *modbus.Register) {
	l.field(o, "byte_order", "byte_order", func() int {
		v := l.Str(m, "byte_order")
		r.ByteOrder = modbus.ByteOrder(v.V)
		return v.Line
	})
	l.field(o, "word_order", "word_order", func() int {
		v := l.Str(m, "word_order")
		r.WordOrder = modbus.WordOrder(v.V)
		return v.Line
	})
	l.field(o, "scale", "scale", func() int {
		v := l.Number(m, "scale")
		if v.Set() && !v.Bad && v.V == 0 {
			// The driver takes a scale of 0 as none; written in a file, it is a mistake.
			l.Add(v.Line, o.name, "scale", "must not be zero")
		}
		r.Scale = v.V
		return v.Line
	})
	l.field(o, "offset", "offset", func() int {
		v := l.Number(m, "offset")
		r.Offset = v.V
		return v.Line
	})
	unit := l.Str(m, "unit")
	if unit.Set() && !unit.Bad {
		l.Text(unit, o.name, "unit", 16)
	}
	r.Unit = unit.V
}

// groups decodes the poll groups of profile p and returns the registers they poll.
func (l *loader) groups(m *yamlfile.Mapping, p *Profile) map[string]bool {
	first := map[string]int{}
	polled := map[string]bool{}
	yamlfile.List(&l.Decoder, m, "poll", func(n *yaml.Node, i int) struct{} {
		g, o, ok := l.group(n, i)
		p.Modbus.Groups = append(p.Modbus.Groups, g)
		// What a broken group names still counts, so that one mistake is reported once.
		for _, r := range g.Registers {
			polled[r] = true
		}
		if !ok {
			if g.Name != "" {
				first[g.Name] = n.Line
			}
			return struct{}{}
		}
		l.firstOfName(first, g.Name, n.Line, o, "poll group")
		return struct{}{}
	})
	return polled
}

// group decodes poll group #i, at n; ok is false when the loader found a problem with it.
func (l *loader) group(n *yaml.Node, i int) (g modbus.Group, o *object, ok bool) {
	errs := len(l.Errs)
	m, o, ok := l.item("group", "poll group", n, i, &g.Name, "interval", "registers")
	if !ok {
		return g, o, false
	}
	name := o.name
	l.field(o, "interval", "interval", func() int {
		v := l.Duration(m, "interval")
		if !v.Bad && !v.Set() {
			l.Add(n.Line, name, "interval", "required")
		}
		g.Interval = v.V
		return v.Line
	})
	names := yamlfile.List(&l.Decoder, m, "registers", func(item *yaml.Node, _ int) yamlfile.Value[string] {
		s, bad := l.Scalar(item, name, "registers", "a register name")
		return yamlfile.Value[string]{V: s, Line: item.Line, Bad: bad}
	})
	requiredList(l, o, "registers", n.Line, names)
	seen := map[string]int{}
	for j, r := range names.V {
		field := fmt.Sprintf("registers[%d]", j)
		g.Registers = append(g.Registers, r.V)
		o.at(field, "registers", r.Line, len(l.Errs))
		switch {
		case r.Bad:
			o.bad[field] = true
		case !l.Unique(seen, r, name, "registers", "register %s listed twice (first at line %d)"):
			o.bad[field] = true
		}
	}
	return g, o, len(l.Errs) == errs
}

// commands decodes the commands of profile p (m is its mapping, at line); a cell controller
// needs start, stop and reset.
func (l *loader) commands(m *yamlfile.Mapping, line int, p *Profile) {
	first := map[string]int{}
	yamlfile.List(&l.Decoder, m, "commands", func(n *yaml.Node, i int) struct{} {
		c, o, ok := l.command(n, i)
		p.Modbus.Commands = append(p.Modbus.Commands, c)
		if !ok {
			if _, dup := first[c.Name]; c.Name != "" && !dup {
				first[c.Name] = n.Line
			}
			return struct{}{}
		}
		l.firstOfName(first, c.Name, n.Line, o, "command")
		return struct{}{}
	})
	for _, c := range []string{configs.CommandStart, configs.CommandStop, configs.CommandReset} {
		if _, ok := first[c]; !ok && l.Has(m, "commands") {
			l.Add(m.Line("commands", line), "", "commands", "missing command %s (a cell controller needs start, stop and reset)", yamlfile.Quote(c))
		}
	}
}

// command decodes command #i, at n; ok is false when the loader found a problem with it.
func (l *loader) command(n *yaml.Node, i int) (c modbus.Command, o *object, ok bool) {
	errs := len(l.Errs)
	m, o, ok := l.item("command", "command", n, i, &c.Name, "writes")
	if !ok {
		return c, o, false
	}
	writes := yamlfile.List(&l.Decoder, m, "writes", func(wn *yaml.Node, j int) modbus.Write {
		return l.write(wn, o, j)
	})
	requiredList(l, o, "writes", n.Line, writes)
	c.Writes = writes.V
	return c, o, len(l.Errs) == errs
}

// write decodes write #j of command o, at n.
func (l *loader) write(n *yaml.Node, o *object, j int) modbus.Write {
	field := fmt.Sprintf("writes[%d]", j)
	var w modbus.Write
	wm, ok := l.Mapping(n, o.name, field, "register", "param", "value")
	if !ok {
		o.bad[field] = true
		return w
	}
	l.field(o, field+".register", field+".register", func() int {
		v := l.Str(wm, "register")
		l.Required(v, n.Line, o.name, field+".register")
		w.Register = v.V
		return v.Line
	})
	l.field(o, field+".value", field+".value", func() int {
		param := l.Str(wm, "param")
		val := l.Number(wm, "value")
		switch {
		case param.Set() && val.Set():
			l.Add(val.Line, o.name, field+".value", "set only one of param and value")
		case !param.Set() && !val.Set():
			l.Add(n.Line, o.name, field, "needs a param or a value")
		case param.Set() && !param.Bad:
			if !yamlfile.IsAttribute(param.V) {
				l.Add(param.Line, o.name, field+".param", "invalid param %s ("+yamlfile.AttributeRule+")", yamlfile.Quote(param.V))
			}
			w.Param = param.V
		case !val.Bad:
			w.Value = val.V
		}
		return max(val.Line, n.Line)
	})
	return w
}
