package profiles

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/internal/yamlfile"
	"github.com/cellforge/cellforge/drivers/modbus"
)

// Parse decodes and validates a device profile. Like configs.Parse it is strict, reports every
// problem as a configs.Errors naming file, line, object and field, in file order, and never
// opens the file itself (file names it in messages; "<profile>" when empty).
func Parse(file string, data []byte) (*Profile, error) {
	if file == "" {
		file = "<profile>"
	}
	l := &loader{Decoder: yamlfile.Decoder{File: file}, objects: map[objectKey]*object{}, recordLines: map[string]int{}}
	var p *Profile
	if root := l.Document(data); root != nil {
		p = l.profile(root)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	p.File = file
	return p, nil
}

// loader decodes a profile file. Beside the problems it finds itself, it keeps where each object
// and field of the driver's profile was written, so that the driver's own problems with them
// ([modbus.FieldError]) are reported at their lines, among the loader's in the order of the file.
type loader struct {
	yamlfile.Decoder
	objects map[objectKey]*object
	// recordLines are the lines of the record keys of the recorded registers, by name.
	recordLines map[string]int
}

// objectKey names an object as modbus.FieldError does: its kind ("profile", "register", "group",
// "command") and its index in its list.
type objectKey struct {
	kind  string
	index int
}

// object is where an object of the driver's profile was written.
type object struct {
	name string // as messages name it: `register "speed"`
	line int
	// bad marks the fields the loader already reported (the empty field: the whole object), so
	// that the driver's problem with what the loader could not decode is not reported twice.
	bad    map[string]bool
	fields map[string]fieldPos
}

// fieldPos is where a driver's problem with a field goes: its line, the field as messages name
// it, and its place among the loader's problems (an index into Errs).
type fieldPos struct {
	line  int
	name  string
	place int
}

// object records object kind #i of the driver's profile, named name, written at line.
func (l *loader) object(kind string, i int, name string, line int) *object {
	// That names are present and unique, the loader reports with the line of the first of a
	// name, and only among the objects it could decode: the driver's word on names is not needed.
	o := &object{name: name, line: line, bad: map[string]bool{"name": true}, fields: map[string]fieldPos{}}
	l.objects[objectKey{kind, i}] = o
	return o
}

// field decodes field of object o with decode, which returns the field's line (0: the object's)
// and may report problems: any marks the field as bad. The driver's problems with the field go
// after the loader's, under the name shown.
func (l *loader) field(o *object, field, shown string, decode func() (line int)) {
	n := len(l.Errs)
	line := decode()
	if len(l.Errs) > n {
		o.bad[field] = true
	}
	o.at(field, shown, line, len(l.Errs))
}

// at records that the driver's problems with field of o go at line (0: the object's), under
// the name shown, at place among the loader's problems.
func (o *object) at(field, shown string, line, place int) {
	if line == 0 {
		line = o.line
	}
	o.fields[field] = fieldPos{line: line, name: shown, place: place}
}

// suppressed reports whether the loader already reported field or a part of it that holds it
// (writes[1] holds writes[1].value).
func (o *object) suppressed(field string) bool {
	for f := range o.bad {
		if f == "" || f == field || strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

// driverProblems validates the driver's profile p and reports each of its problems at the line
// of the field at fault, in its place among the loader's problems.
func (l *loader) driverProblems(p *modbus.Profile) {
	err := p.Validate()
	if err == nil {
		return
	}
	type placed struct {
		place int
		e     yamlfile.Error
	}
	var add []placed
	for _, e := range unwrap(err) {
		var fe *modbus.FieldError
		if !errors.As(e, &fe) {
			l.Add(1, "", "", "%v", e)
			continue
		}
		o := l.objects[objectKey{fe.Kind, fe.Index}]
		if o == nil {
			// Every object of the driver's profile comes from the file; were one not to, its
			// problem would still refuse the profile.
			l.Add(1, "", "", "%v", fe)
			continue
		}
		if o.suppressed(fe.Field) {
			continue
		}
		pos, ok := o.fields[fe.Field]
		if !ok {
			pos = fieldPos{line: o.line, name: fe.Field, place: len(l.Errs)}
		}
		add = append(add, placed{pos.place, yamlfile.Error{File: l.File, Line: max(pos.line, 1), Object: o.name, Field: pos.name, Reason: fe.Problem}})
	}
	sort.SliceStable(add, func(i, j int) bool { return add[i].place < add[j].place })
	merged := make(yamlfile.Errors, 0, len(l.Errs)+len(add))
	for i := 0; i <= len(l.Errs); i++ {
		for len(add) > 0 && add[0].place == i {
			merged = append(merged, add[0].e)
			add = add[1:]
		}
		if i < len(l.Errs) {
			merged = append(merged, l.Errs[i])
		}
	}
	l.Errs = merged
}

// unwrap returns the errors joined in err.
func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (l *loader) profile(n *yaml.Node) *Profile {
	m, ok := l.Mapping(n, "", "", "name", "kind", "registers", "poll", "commands", "state", "defaults")
	if !ok {
		return nil
	}
	p := &Profile{Modbus: &modbus.Profile{}}
	o := l.object("profile", 0, "", n.Line)
	l.field(o, "name", "name", func() int {
		name := l.Str(m, "name")
		if l.Required(name, n.Line, "", "name") && l.Shape(name, "", "name", yamlfile.IsID, "invalid name %s ("+yamlfile.IDRule+")") {
			p.Name = name.V
			p.Modbus.Name = name.V
		}
		return name.Line
	})
	kind := l.Str(m, "kind")
	if l.Required(kind, n.Line, "", "kind") {
		if kind.V != configs.KindLoom && kind.V != configs.KindDyeStation {
			l.Add(kind.Line, "", "kind", "unknown kind %s (a profile describes a loom or a dye-station)", yamlfile.Quote(kind.V))
		}
		p.Kind = kind.V
	}

	regs := l.registers(m, n.Line, p)
	polled := l.groups(m, p)
	l.commands(m, n.Line, p)
	l.defaults(m, n.Line, p)
	for _, r := range p.Recorded {
		if !polled[r.Register] {
			l.Add(l.recordLines[r.Register], fmt.Sprintf("register %s", yamlfile.Quote(r.Register)), "record", "the register is in no poll group, so it would never be read")
		}
	}
	if e, ok := m.Entries["state"]; ok {
		l.state(e.Val, p, regs, polled)
	} else {
		l.Add(n.Line, "", "state", "required")
	}
	l.driverProblems(p.Modbus)
	return p
}

// defaults decodes the defaults of start params of profile p (m is its mapping, at line).
func (l *loader) defaults(m *yamlfile.Mapping, line int, p *Profile) {
	p.Defaults = l.Params(m, "defaults", "")
	if p.Defaults == nil {
		return
	}
	takes := p.StartParams()
	for _, k := range slices.Sorted(maps.Keys(p.Defaults)) {
		if !slices.Contains(takes, k) {
			l.Add(m.Line("defaults", line), "", "defaults", "the start command takes no param %s", yamlfile.Quote(k))
		}
	}
}

// state decodes the state section of profile p: which registers a cell controller reads (among
// regs, and polled) and what their values mean.
func (l *loader) state(n *yaml.Node, p *Profile, regs map[string]modbus.Register, polled map[string]bool) {
	const object = "state"
	m, ok := l.Mapping(n, object, "", "register", "values", "setup", "units", "fault_code", "faults")
	if !ok {
		return
	}
	ref := func(key string, required bool) string {
		v := l.Str(m, key)
		switch {
		case v.Bad:
			return ""
		case !v.Set():
			if required {
				l.Add(n.Line, object, key, "required")
			}
			return ""
		}
		r, ok := regs[v.V]
		switch {
		case !ok:
			l.Add(v.Line, object, key, "unknown register %s", yamlfile.Quote(v.V))
		case r.Type == modbus.Bool || r.Type == modbus.Float32:
			l.Add(v.Line, object, key, "register %s is a %s; want an integer register", yamlfile.Quote(v.V), r.Type)
		case !polled[v.V]:
			l.Add(v.Line, object, key, "register %s is in no poll group, so it would never be read", yamlfile.Quote(v.V))
		}
		return v.V
	}
	p.StateRegister = ref("register", true)
	p.UnitsRegister = ref("units", false)
	p.FaultRegister = ref("fault_code", false)
	p.States = l.Codes(m, "values", object, n.Line, true, func(v yamlfile.Value[string]) bool {
		return l.Shape(v, object, "values", yamlfile.IsAttribute, "invalid state name %s ("+yamlfile.AttributeRule+")")
	})
	if p.States != nil {
		have := map[string]bool{}
		for _, s := range p.States {
			have[s] = true
		}
		for _, s := range []string{configs.StateIdle, configs.StateDone, configs.StateFault} {
			if !have[s] {
				l.Add(m.Line("values", n.Line), object, "values", "no value means %s (a cell controller needs idle, done and fault)", yamlfile.Quote(s))
			}
		}
	}
	l.setup(m, p)
	p.Faults = l.Codes(m, "faults", object, n.Line, false, func(v yamlfile.Value[string]) bool {
		l.Text(v, object, "faults", yamlfile.MaxNameRunes)
		return true
	})
}

// setup decodes the running phases of profile p that prepare a job (m is its state mapping).
func (l *loader) setup(m *yamlfile.Mapping, p *Profile) {
	const object = "state"
	e, ok := m.Entries["setup"]
	if !ok || yamlfile.IsNull(e.Val) {
		return
	}
	if e.Val.Kind != yaml.SequenceNode {
		l.Add(e.Key.Line, object, "setup", "expected a list of state names, got %s", yamlfile.Describe(e.Val))
		return
	}
	for _, item := range e.Val.Content {
		s, bad := l.Scalar(item, object, "setup", "a state name")
		switch {
		case bad:
		case !slices.Contains(slices.Collect(maps.Values(p.States)), s):
			l.Add(item.Line, object, "setup", "%s is not one of the state values", yamlfile.Quote(s))
		case s == configs.StateIdle || s == configs.StateDone || s == configs.StateFault:
			l.Add(item.Line, object, "setup", "%s is not a running phase", yamlfile.Quote(s))
		default:
			p.Setup = append(p.Setup, s)
		}
	}
}
