package configs

import (
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// A routing step's quality checklist is written as
//
//	checks:
//	  - {name: No loose knots}                              # pass or fail
//	  - {name: Width, unit: cm, target: 160, tolerance: 2}   # 158 to 162 cm
//	  - {name: Weight, unit: kg, min: 2.0, max: 2.6}
//
// An item with neither limits nor a unit is passed or failed by the person; a measurement names
// its unit and its limits, either as a target and a tolerance either way or as a lowest and a
// highest value, both inclusive.

// Limits of a checklist.
const (
	maxChecks    = 20
	maxUnitRunes = 16
)

// rawCheck is one checklist item as written.
type rawCheck struct {
	object                      string
	line                        int
	bad                         bool
	Name, Unit                  value[string]
	Target, Tolerance, Min, Max value[float64]
}

// check decodes item i of the checklist of the step named step.
func (d *decoder) check(n *yaml.Node, step string, i int) rawCheck {
	c := rawCheck{line: n.Line, object: step + ": " + yamlfile.ObjectName("check", yamlfile.Peek(n, "name"), i)}
	m, ok := d.Mapping(n, c.object, "", "name", "unit", "target", "tolerance", "min", "max")
	if !ok {
		c.bad = true
		return c
	}
	c.Name = d.Str(m, "name")
	c.Unit = d.Str(m, "unit")
	c.Target = d.Number(m, "target")
	c.Tolerance = d.Number(m, "tolerance")
	c.Min = d.Number(m, "min")
	c.Max = d.Number(m, "max")
	return c
}

// checkChecks checks the checklist of step s.
func (d *decoder) checkChecks(s rawStep) {
	if s.Checks.Bad || len(s.Checks.V) == 0 {
		if s.Checks.Set() && !s.Checks.Bad {
			d.Add(s.Checks.Line, s.object, "checks", "must list at least one check (leave checks out for none)")
		}
		return
	}
	if n := len(s.Checks.V); n > maxChecks {
		d.Add(s.Checks.Line, s.object, "checks", "lists %d checks, at most %d are allowed", n, maxChecks)
		return
	}
	names := make(map[string]int)
	for _, c := range s.Checks.V {
		if c.bad {
			continue
		}
		if d.Required(c.Name, c.line, c.object, "name") && strings.TrimSpace(c.Name.V) != "" {
			d.Text(c.Name, c.object, "name", maxNameRunes)
			key := value[string]{V: strings.ToLower(strings.TrimSpace(c.Name.V)), Line: c.Name.Line}
			if first, dup := names[key.V]; dup {
				d.Add(c.Name.Line, s.object, "checks", "duplicate check %s (first at line %d)", yamlfile.Quote(c.Name.V), first)
			} else {
				names[key.V] = key.Line
			}
		} else if c.Name.Set() && !c.Name.Bad {
			d.Add(c.Name.Line, c.object, "name", "must not be blank")
		}
		d.checkLimits(c)
	}
}

// checkLimits checks that item c is either a pass-or-fail item or a measurement with a unit and
// limits written one way.
func (d *decoder) checkLimits(c rawCheck) {
	if c.Target.Bad || c.Tolerance.Bad || c.Min.Bad || c.Max.Bad || c.Unit.Bad {
		return
	}
	target := c.Target.Set() || c.Tolerance.Set()
	bounds := c.Min.Set() || c.Max.Set()
	if !target && !bounds {
		if c.Unit.Set() {
			d.Add(c.Unit.Line, c.object, "unit", "a measurement needs its limits: target and tolerance, or min and max (leave unit out for a pass-or-fail check)")
		}
		return
	}
	if !c.Unit.Set() {
		d.Add(c.line, c.object, "unit", "required for a measurement (such as cm or kg)")
	} else if strings.TrimSpace(c.Unit.V) == "" {
		d.Add(c.Unit.Line, c.object, "unit", "must not be blank")
	} else {
		d.Text(c.Unit, c.object, "unit", maxUnitRunes)
	}
	switch {
	case target && bounds:
		field, line := "min", c.Min.Line
		if !c.Min.Set() {
			field, line = "max", c.Max.Line
		}
		d.Add(line, c.object, field, "write the limits as target and tolerance, or as min and max, not both")
	case target:
		switch {
		case !c.Target.Set():
			d.Add(c.Tolerance.Line, c.object, "target", "required with tolerance")
		case !c.Tolerance.Set():
			d.Add(c.Target.Line, c.object, "tolerance", "required with target (the measurement passes within target ± tolerance)")
		case c.Tolerance.V <= 0:
			d.Add(c.Tolerance.Line, c.object, "tolerance", "must be greater than zero (got %v)", c.Tolerance.V)
		case math.IsInf(c.Target.V-c.Tolerance.V, 0) || math.IsInf(c.Target.V+c.Tolerance.V, 0):
			d.Add(c.Tolerance.Line, c.object, "tolerance", "target ± tolerance is out of range")
		}
	default:
		switch {
		case !c.Min.Set():
			d.Add(c.Max.Line, c.object, "min", "required with max (write both limits)")
		case !c.Max.Set():
			d.Add(c.Min.Line, c.object, "max", "required with min (write both limits)")
		case c.Min.V > c.Max.V:
			d.Add(c.Max.Line, c.object, "max", "%v is less than min %v", c.Max.V, c.Min.V)
		}
	}
}

// build turns a checked checklist item into the model.
func (c rawCheck) build() Check {
	out := Check{Name: strings.TrimSpace(c.Name.V), Unit: strings.TrimSpace(c.Unit.V), Line: c.line}
	switch {
	case c.Target.Set():
		out.Measure = true
		out.Min, out.Max = c.Target.V-c.Tolerance.V, c.Target.V+c.Tolerance.V
	case c.Min.Set():
		out.Measure = true
		out.Min, out.Max = c.Min.V, c.Max.V
	}
	return out
}
