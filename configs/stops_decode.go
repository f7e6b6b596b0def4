package configs

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The stops section is written as
//
//	stops:
//	  prompt: 2m
//	  reason_window: 24h
//	  reasons:
//	    planned:
//	      - {code: changeover, label: Changeover, loss: setup-adjustments}
//	      - {code: break, label: Break, loss: none}
//	    unplanned:
//	      - {code: breakdown, label: Breakdown, loss: breakdowns}
//	  machine_faults: {over-temperature: breakdown}
//	  fault: breakdown
//	  setup: changeover
//	  check: quality-check
//	  pauses: {break: break, material: material}
//	  shifts: [{name: early, start: "06:00"}, {name: late, start: "14:00"}]
//
// Every key may be left out for its default (DefaultStops); a branch of reasons left out is the
// default branch. pauses left out maps each pause reason to the stop reason DefaultStops maps it
// to, where the factory has both.

// stopsObject names the section in every problem found in it.
const stopsObject = "stops"

// Limits of the stops section.
const (
	// maxStopReasons keeps the tree short: a long list ends up 80 % other.
	maxStopReasons  = 12
	maxStopPrompt   = time.Hour
	minReasonWindow = time.Hour
	maxReasonWindow = 7 * 24 * time.Hour
	maxShifts       = 6
)

// rawStops is the stops section as written.
type rawStops struct {
	line                 int
	Prompt, ReasonWindow value[time.Duration]
	// Reasons is the line of the reasons key; Planned and Unplanned its branches (nil V when
	// left out).
	Reasons             value[bool]
	Planned, Unplanned  value[[]rawStopReason]
	MachineFaults       value[[]rawPair]
	Fault, Setup, Check value[string]
	Pauses              value[[]rawPair]
	Shifts              value[[]rawShift]
}

type rawStopReason struct {
	object            string
	line              int
	bad               bool
	planned           bool
	Code, Label, Loss value[string]
}

// rawPair is one entry of a mapping of names (a fault's, a pause reason's) to a stop reason.
type rawPair struct {
	Key, Val value[string]
}

type rawShift struct {
	object      string
	line        int
	bad         bool
	Name, Start value[string]
	start       time.Duration
	startOK     bool
}

// stops decodes the optional stops section under key; its rules are checked by checkStops, once
// the pause reasons and the devices' profiles are known.
func (d *decoder) stops(m *mapping, key string) value[*rawStops] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*rawStops]{}
	}
	v := value[*rawStops]{Line: e.Key.Line}
	sm, ok := d.Mapping(e.Val, stopsObject, "", "prompt", "reason_window", "reasons", "machine_faults", "fault", "setup", "check", "pauses", "shifts")
	if !ok {
		v.Bad = true
		return v
	}
	s := &rawStops{
		line:         e.Key.Line,
		Prompt:       d.Duration(sm, "prompt"),
		ReasonWindow: d.Duration(sm, "reason_window"),
		Fault:        d.Str(sm, "fault"),
		Setup:        d.Str(sm, "setup"),
		Check:        d.Str(sm, "check"),
	}
	if re, ok := sm.Entries["reasons"]; ok {
		s.Reasons.Line = re.Key.Line
		rm, ok := d.Mapping(re.Val, stopsObject, "reasons", "planned", "unplanned")
		if ok {
			s.Planned = d.stopReasons(rm, "planned", true)
			s.Unplanned = d.stopReasons(rm, "unplanned", false)
		} else {
			s.Reasons.Bad = true
		}
	}
	s.MachineFaults = d.pairs(sm, "machine_faults", "a fault name")
	s.Pauses = d.pairs(sm, "pauses", "a pause reason")
	s.Shifts = yamlfile.List(&d.Decoder, sm, "shifts", d.shift)
	v.V = s
	return v
}

// stopReasons decodes one branch of the reasons tree.
func (d *decoder) stopReasons(m *mapping, key string, planned bool) value[[]rawStopReason] {
	e, ok := m.Entries[key]
	if !ok {
		return value[[]rawStopReason]{}
	}
	v := value[[]rawStopReason]{Line: e.Key.Line}
	field := m.Field(key)
	if e.Val.Kind != yaml.SequenceNode || len(e.Val.Content) == 0 {
		if e.Val.Kind == yaml.SequenceNode || yamlfile.IsNull(e.Val) {
			d.Add(e.Key.Line, stopsObject, field, "must list at least one reason (leave %s out for the default list)", key)
		} else {
			d.Add(e.Key.Line, stopsObject, field, "expected a list of {code, label, loss}, got %s", yamlfile.Describe(e.Val))
		}
		v.Bad = true
		return v
	}
	for i, n := range e.Val.Content {
		r := rawStopReason{line: n.Line, planned: planned,
			object: stopsObject + ": " + yamlfile.ObjectName(key+" reason", yamlfile.Peek(n, "code"), i)}
		rm, ok := d.Mapping(n, r.object, "", "code", "label", "loss")
		if !ok {
			r.bad = true
		} else {
			r.Code, r.Label, r.Loss = d.Str(rm, "code"), d.Str(rm, "label"), d.Str(rm, "loss")
		}
		v.V = append(v.V, r)
	}
	return v
}

// pairs decodes a mapping of names to stop reason codes, in file order.
func (d *decoder) pairs(m *mapping, key, want string) value[[]rawPair] {
	e, ok := m.Entries[key]
	if !ok {
		return value[[]rawPair]{}
	}
	v := value[[]rawPair]{Line: e.Key.Line, V: []rawPair{}}
	if yamlfile.IsNull(e.Val) {
		return v
	}
	if e.Val.Kind != yaml.MappingNode {
		d.Add(v.Line, stopsObject, key, "expected a mapping of %s to a reason code, got %s", strings.TrimPrefix(want, "a "), yamlfile.Describe(e.Val))
		v.Bad = true
		return v
	}
	first := make(map[string]int)
	for i := 0; i+1 < len(e.Val.Content); i += 2 {
		k, n := e.Val.Content[i], e.Val.Content[i+1]
		name, bad := d.Scalar(k, stopsObject, key, want)
		if bad || k.Kind != yaml.ScalarNode {
			v.Bad = true
			continue
		}
		if l, dup := first[name]; dup {
			d.Add(k.Line, stopsObject, key, "%s is listed twice (first at line %d)", yamlfile.Quote(name), l)
			continue
		}
		first[name] = k.Line
		code, bad := d.Scalar(n, stopsObject, key+" "+yamlfile.Quote(name), "a reason code")
		v.V = append(v.V, rawPair{Key: value[string]{V: name, Line: k.Line}, Val: value[string]{V: code, Line: k.Line, Bad: bad}})
	}
	return v
}

func (d *decoder) shift(n *yaml.Node, i int) rawShift {
	s := rawShift{line: n.Line, object: stopsObject + ": " + yamlfile.ObjectName("shift", yamlfile.Peek(n, "name"), i)}
	m, ok := d.Mapping(n, s.object, "", "name", "start")
	if !ok {
		s.bad = true
		return s
	}
	s.Name = d.Str(m, "name")
	s.Start = d.Str(m, "start")
	if !s.Start.Bad {
		s.start, s.startOK = d.timeOfDay(m, "start", n.Line)
	}
	return s
}

// checkStops checks the stops section against the pause reasons and the faults the profiles of
// the factory's machines name.
func (d *decoder) checkStops(f *rawFactory) {
	s := f.Stops.V
	if s == nil {
		return
	}
	const object = stopsObject
	switch p := s.Prompt; {
	case p.Bad || !p.Set():
	case p.V < 0 || p.V > maxStopPrompt:
		d.Add(p.Line, object, "prompt", "must be between 0s and %s (got %s)", maxStopPrompt, p.V)
	}
	switch w := s.ReasonWindow; {
	case w.Bad || !w.Set():
	case w.V < minReasonWindow || w.V > maxReasonWindow:
		d.Add(w.Line, object, "reason_window", "must be between %s and %s (got %s)", minReasonWindow, maxReasonWindow, w.V)
	}
	codes, complete := d.checkStopTree(s)
	known := func(v value[string], field string) {
		if complete && !v.Bad && !codes[v.V] {
			d.Add(v.Line, object, field, "unknown reason %s (the reasons are %s)", yamlfile.Quote(v.V), strings.Join(sortedKeys(codes), ", "))
		}
	}
	def := DefaultStops()
	for _, r := range []struct {
		v     value[string]
		field string
		def   string
	}{{s.Fault, "fault", def.Fault}, {s.Setup, "setup", def.Setup}, {s.Check, "check", def.Check}} {
		switch {
		case r.v.Set():
			known(r.v, r.field)
		case complete && !codes[r.def]:
			d.Add(s.line, object, r.field, "required: the reasons have no %s, the default (name the reason it gives)", yamlfile.Quote(r.def))
		}
	}
	faults := f.machineFaults(d.profiles)
	for _, p := range s.MachineFaults.V {
		if faults != nil && !faults[p.Key.V] {
			names := strings.Join(sortedKeys(faults), ", ")
			if names == "" {
				names = "none"
			}
			d.Add(p.Key.Line, object, "machine_faults", "unknown fault %s (the factory's machines name: %s)", yamlfile.Quote(p.Key.V), names)
		}
		known(p.Val, "machine_faults "+yamlfile.Quote(p.Key.V))
	}
	pauses := f.Reasons.V.Pause
	for _, p := range s.Pauses.V {
		if _, ok := f.Reasons.V.Find(pauses, p.Key.V); !ok && !f.Reasons.Bad {
			d.Add(p.Key.Line, object, "pauses", "unknown pause reason %s (want one of %s)", yamlfile.Quote(p.Key.V), strings.Join(Codes(pauses), ", "))
		}
		known(p.Val, "pauses "+yamlfile.Quote(p.Key.V))
	}
	d.checkShifts(s)
}

// checkStopTree checks the reasons tree (a branch left out is the default one) and returns its
// codes; complete is false when some could not be read.
func (d *decoder) checkStopTree(s *rawStops) (codes map[string]bool, complete bool) {
	complete = !s.Reasons.Bad && !s.Planned.Bad && !s.Unplanned.Bad
	seen := make(map[string]int)
	count := 0
	for _, branch := range []struct {
		v       value[[]rawStopReason]
		planned bool
	}{{s.Planned, true}, {s.Unplanned, false}} {
		if !branch.v.Set() {
			for _, r := range DefaultStops().Reasons {
				if r.Planned == branch.planned {
					count++
					seen[r.Code] = 0
				}
			}
			continue
		}
		for _, r := range branch.v.V {
			count++
			if r.bad || r.Code.Bad {
				complete = false
			}
			if r.bad {
				continue
			}
			d.checkStopReason(r, seen)
		}
	}
	if count > maxStopReasons {
		d.Add(s.Reasons.Line, stopsObject, "reasons", "lists %d reasons, at most %d are allowed (a long list ends up 80 %% other)", count, maxStopReasons)
	}
	codes = make(map[string]bool, len(seen))
	for c := range seen {
		codes[c] = true
	}
	return codes, complete
}

// checkStopReason checks one reason of the tree; seen holds the codes before it (line 0: a
// default branch's).
func (d *decoder) checkStopReason(r rawStopReason, seen map[string]int) {
	if d.Required(r.Code, r.line, r.object, "code") {
		if !isReasonCode(r.Code.V) {
			d.Add(r.Code.Line, r.object, "code", "invalid code %s (%s)", yamlfile.Quote(r.Code.V), reasonCodeRule)
		} else if first, dup := seen[r.Code.V]; dup && first == 0 {
			d.Add(r.Code.Line, r.object, "code", "duplicate code %s (the default branch left out has it)", yamlfile.Quote(r.Code.V))
		} else if dup {
			d.Add(r.Code.Line, r.object, "code", "duplicate code %s (first at line %d)", yamlfile.Quote(r.Code.V), first)
		} else {
			seen[r.Code.V] = r.Code.Line
		}
	}
	if d.Required(r.Label, r.line, r.object, "label") {
		d.Text(r.Label, r.object, "label", maxNameRunes)
	}
	if d.Required(r.Loss, r.line, r.object, "loss") {
		switch Loss(r.Loss.V) {
		case LossBreakdowns, LossSetup:
		case LossNone:
			if !r.planned {
				d.Add(r.Loss.Line, r.object, "loss", "an unplanned stop is an availability loss: want %s or %s (none is for planned time)", LossBreakdowns, LossSetup)
			}
		default:
			d.Add(r.Loss.Line, r.object, "loss", "unknown loss %s (want %s, %s or %s)", yamlfile.Quote(r.Loss.V), LossBreakdowns, LossSetup, LossNone)
		}
	}
}

// checkShifts checks the shifts: named once each, starting in order through the day.
func (d *decoder) checkShifts(s *rawStops) {
	if !s.Shifts.Set() || s.Shifts.Bad {
		return
	}
	switch n := len(s.Shifts.V); {
	case n == 0:
		d.Add(s.Shifts.Line, stopsObject, "shifts", "must list at least one shift (leave shifts out for one shift all day)")
		return
	case n > maxShifts:
		d.Add(s.Shifts.Line, stopsObject, "shifts", "lists %d shifts, at most %d are allowed", n, maxShifts)
		return
	}
	names := make(map[string]int)
	var prev *rawShift
	for i := range s.Shifts.V {
		sh := &s.Shifts.V[i]
		if sh.bad {
			continue
		}
		if d.Required(sh.Name, sh.line, sh.object, "name") {
			d.Text(sh.Name, sh.object, "name", maxNameRunes)
			d.Unique(names, sh.Name, stopsObject, "shifts", "duplicate shift %s (first at line %d)")
		}
		if !sh.startOK {
			continue
		}
		if sh.start >= 24*time.Hour {
			d.Add(sh.Start.Line, sh.object, "start", "must be before 24:00 (write 00:00 for midnight)")
			continue
		}
		if prev != nil && sh.start <= prev.start {
			d.Add(sh.Start.Line, sh.object, "start", "%s is not after %s, the start of the shift before (line %d); list the shifts in order from the first of the day",
				fmtClock(sh.start), fmtClock(prev.start), prev.Start.Line)
		}
		prev = sh
	}
}

// machineFaults returns the fault names the profiles of the factory's machines name, or nil when
// some machine or its profile could not be read.
func (f *rawFactory) machineFaults(profiles Profiles) map[string]bool {
	out := make(map[string]bool)
	for _, c := range f.Cells.V {
		if c.bad || c.Devices.Bad {
			return nil
		}
		for _, dev := range c.Devices.V {
			if dev.bad || dev.Kind.Bad {
				return nil
			}
			if !kindOf(dev.Kind.V).Modbus {
				continue
			}
			p, ok := profiles[dev.Profile.V]
			if !ok || dev.Profile.Bad {
				return nil
			}
			for _, name := range p.Faults {
				out[name] = true
			}
		}
	}
	return out
}

// stops returns the factory's stops section: the file's, with the defaults of what it left out.
func (f *rawFactory) stops() Stops {
	out := DefaultStops()
	s := f.Stops.V
	if s != nil {
		out.Line = s.line
		if s.Prompt.Set() {
			out.Prompt = s.Prompt.V
		}
		if s.ReasonWindow.Set() {
			out.ReasonWindow = s.ReasonWindow.V
		}
		if s.Planned.Set() || s.Unplanned.Set() {
			var tree []StopReason
			for _, branch := range []struct {
				v       value[[]rawStopReason]
				planned bool
			}{{s.Planned, true}, {s.Unplanned, false}} {
				if !branch.v.Set() {
					for _, r := range out.Reasons {
						if r.Planned == branch.planned {
							tree = append(tree, r)
						}
					}
					continue
				}
				for _, r := range branch.v.V {
					tree = append(tree, StopReason{Code: r.Code.V, Label: r.Label.V, Planned: r.planned, Loss: Loss(r.Loss.V), Line: r.line})
				}
			}
			out.Reasons = tree
		}
		for _, v := range []struct {
			v   value[string]
			out *string
		}{{s.Fault, &out.Fault}, {s.Setup, &out.Setup}, {s.Check, &out.Check}} {
			if v.v.Set() {
				*v.out = v.v.V
			}
		}
		if s.MachineFaults.Set() {
			out.MachineFaults = map[string]string{}
			for _, p := range s.MachineFaults.V {
				out.MachineFaults[p.Key.V] = p.Val.V
			}
		}
		if s.Pauses.Set() {
			out.Pauses = map[string]string{}
			for _, p := range s.Pauses.V {
				out.Pauses[p.Key.V] = p.Val.V
			}
		}
		if s.Shifts.Set() {
			out.Shifts = nil
			for _, sh := range s.Shifts.V {
				out.Shifts = append(out.Shifts, Shift{Name: sh.Name.V, Start: sh.start, Line: sh.line})
			}
		}
	}
	if s == nil || !s.Pauses.Set() {
		// The default mapping holds where the factory has both the pause reason and the stop
		// reason; a pause reason it does not map gives no reason, and the tablet asks.
		for pause, reason := range out.Pauses {
			_, isPause := f.Reasons.V.Find(f.Reasons.V.Pause, pause)
			if _, isReason := out.StopReason(reason); !isPause || !isReason {
				delete(out.Pauses, pause)
			}
		}
	}
	return out
}
