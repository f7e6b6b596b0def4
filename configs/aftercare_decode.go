package configs

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The aftercare section is written as
//
//	aftercare:
//	  public_intake: true
//	  estimate_valid: 336h
//	  currency: EUR
//	  labour_rate: 38.50
//	  express_premium: 30
//	  slip_printer: labeller-1
//	  diagnosis: {capability: repair, name: Diagnosis, unit_time: 20m}
//	  kinds:
//	    - id: rug
//	      name: Rug or throw
//	      skus: [RUG-KILIM-S]
//	      checklist:
//	        - {id: holes, label: Holes or moth damage}
//	        - {id: resize-to, label: Resize to, input: text}
//	  services:
//	    - id: clean
//	      name: Deep clean
//	      kinds: [rug]
//	      fee: 25
//	      parts: [{name: Wool fringe yarn, price: 6.40}]
//	      routing: [{capability: wash, unit_time: 45m}]
//	  care_plans:
//	    - id: care-year
//	      name: Year of care
//	      term: 8760h
//	      price: 59
//	      covers: [{service: clean, count: 2}]
//
// The diagnosis and the services' routings are routing steps, decoded and checked as a
// product's are (their capabilities offered by a cell, the params its machine needs, their
// materials); money is a plain decimal number of at most two places, never a string, so that
// "38,50" or "38.505" is refused rather than read as something else.

// aftercareObject names the section in every problem found in it.
const aftercareObject = "aftercare"

// Limits of the aftercare section. The messages that quote them spell them out.
const (
	// MaxMoney is the largest amount the section accepts, 1,000,000.00: a price beyond it is a
	// typo.
	MaxMoney         Money = 100_000_000
	maxPremium             = 500
	minEstimateValid       = time.Hour
	maxEstimateValid       = 365 * 24 * time.Hour
	minTerm                = 24 * time.Hour
	maxTerm                = 10 * 365 * 24 * time.Hour
	maxCoverCount          = 100
	maxLabelRunes          = 128
)

// rawAftercare is the aftercare section as written.
type rawAftercare struct {
	line           int
	PublicIntake   value[bool]
	EstimateValid  value[time.Duration]
	Currency       value[string]
	LabourRate     value[Money]
	ExpressPremium value[int64]
	SlipPrinter    value[string]
	Diagnosis      value[*rawStep]
	Kinds          value[[]rawKind]
	Services       value[[]rawService]
	CarePlans      value[[]rawCarePlan]
}

type rawKind struct {
	object    string
	line      int
	bad       bool
	ID, Name  value[string]
	SKUs      value[[]value[string]]
	Checklist value[[]rawCheckItem]
}

type rawCheckItem struct {
	object           string
	line             int
	bad              bool
	ID, Label, Input value[string]
}

type rawService struct {
	object   string
	line     int
	bad      bool
	ID, Name value[string]
	Kinds    value[[]value[string]]
	Fee      value[Money]
	Parts    value[[]rawPart]
	Routing  value[[]rawStep]
}

type rawPart struct {
	object string
	line   int
	bad    bool
	Name   value[string]
	Price  value[Money]
}

type rawCarePlan struct {
	object   string
	line     int
	bad      bool
	ID, Name value[string]
	Term     value[time.Duration]
	Price    value[Money]
	Covers   value[[]rawCover]
}

type rawCover struct {
	object  string
	line    int
	bad     bool
	Service value[string]
	Count   value[int64]
}

// aftercare decodes the optional aftercare section under key; its rules are checked by
// checkAftercare, once the cells, devices and products they refer to are known.
func (d *decoder) aftercare(m *mapping, key string) value[*rawAftercare] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*rawAftercare]{}
	}
	v := value[*rawAftercare]{Line: e.Key.Line}
	am, ok := d.Mapping(e.Val, aftercareObject, "", "public_intake", "estimate_valid", "currency", "labour_rate",
		"express_premium", "slip_printer", "diagnosis", "kinds", "services", "care_plans")
	if !ok {
		v.Bad = true
		return v
	}
	a := &rawAftercare{
		line:           e.Key.Line,
		PublicIntake:   d.Boolean(am, "public_intake"),
		EstimateValid:  d.Duration(am, "estimate_valid"),
		Currency:       d.Str(am, "currency"),
		LabourRate:     d.money(am, "labour_rate"),
		ExpressPremium: d.Integer(am, "express_premium"),
		SlipPrinter:    d.Str(am, "slip_printer"),
	}
	if de, ok := am.Entries["diagnosis"]; ok {
		a.Diagnosis.Line = de.Key.Line
		if yamlfile.IsNull(de.Val) {
			d.Add(de.Key.Line, aftercareObject, "diagnosis", "expected a routing step, got nothing")
			a.Diagnosis.Bad = true
		} else {
			s := d.stepAt(de.Val, aftercareObject+": diagnosis")
			a.Diagnosis.V = &s
			a.Diagnosis.Bad = s.bad
		}
	}
	a.Kinds = yamlfile.List(&d.Decoder, am, "kinds", d.itemKind)
	a.Services = yamlfile.List(&d.Decoder, am, "services", d.service)
	a.CarePlans = yamlfile.List(&d.Decoder, am, "care_plans", d.carePlan)
	v.V = a
	return v
}

func (d *decoder) itemKind(n *yaml.Node, i int) rawKind {
	k := rawKind{line: n.Line, object: aftercareObject + ": " + yamlfile.ObjectName("kind", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, k.object, "", "id", "name", "skus", "checklist")
	if !ok {
		k.bad = true
		return k
	}
	k.ID = d.Str(m, "id")
	k.Name = d.Str(m, "name")
	k.SKUs = d.stringList(m, "skus", k.object, "a sku")
	k.Checklist = yamlfile.List(&d.Decoder, m, "checklist", func(n *yaml.Node, j int) rawCheckItem {
		c := rawCheckItem{line: n.Line, object: k.object + ": " + yamlfile.ObjectName("checklist item", yamlfile.Peek(n, "id"), j)}
		cm, ok := d.Mapping(n, c.object, "", "id", "label", "input")
		if !ok {
			c.bad = true
			return c
		}
		c.ID = d.Str(cm, "id")
		c.Label = d.Str(cm, "label")
		c.Input = d.Str(cm, "input")
		return c
	})
	return k
}

func (d *decoder) service(n *yaml.Node, i int) rawService {
	s := rawService{line: n.Line, object: aftercareObject + ": " + yamlfile.ObjectName("service", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, s.object, "", "id", "name", "kinds", "fee", "parts", "routing")
	if !ok {
		s.bad = true
		return s
	}
	s.ID = d.Str(m, "id")
	s.Name = d.Str(m, "name")
	s.Kinds = d.stringList(m, "kinds", s.object, "a kind id")
	s.Fee = d.money(m, "fee")
	s.Parts = yamlfile.List(&d.Decoder, m, "parts", func(n *yaml.Node, j int) rawPart {
		p := rawPart{line: n.Line, object: s.object + ": " + yamlfile.ObjectName("part", yamlfile.Peek(n, "name"), j)}
		pm, ok := d.Mapping(n, p.object, "", "name", "price")
		if !ok {
			p.bad = true
			return p
		}
		p.Name = d.Str(pm, "name")
		p.Price = d.money(pm, "price")
		return p
	})
	s.Routing = yamlfile.List(&d.Decoder, m, "routing", func(n *yaml.Node, j int) rawStep {
		return d.step(n, s.object, j)
	})
	return s
}

func (d *decoder) carePlan(n *yaml.Node, i int) rawCarePlan {
	p := rawCarePlan{line: n.Line, object: aftercareObject + ": " + yamlfile.ObjectName("care plan", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, p.object, "", "id", "name", "term", "price", "covers")
	if !ok {
		p.bad = true
		return p
	}
	p.ID = d.Str(m, "id")
	p.Name = d.Str(m, "name")
	p.Term = d.Duration(m, "term")
	p.Price = d.money(m, "price")
	p.Covers = yamlfile.List(&d.Decoder, m, "covers", func(n *yaml.Node, j int) rawCover {
		c := rawCover{line: n.Line, object: p.object + ": " + yamlfile.ObjectName("cover", yamlfile.Peek(n, "service"), j)}
		cm, ok := d.Mapping(n, c.object, "", "service", "count")
		if !ok {
			c.bad = true
			return c
		}
		c.Service = d.Str(cm, "service")
		c.Count = d.Integer(cm, "count")
		return c
	})
	return p
}

// stringList decodes a list of strings (ids, SKUs), each with its line.
func (d *decoder) stringList(m *mapping, key, object, want string) value[[]value[string]] {
	return yamlfile.List(&d.Decoder, m, key, func(n *yaml.Node, _ int) value[string] {
		s, bad := d.Scalar(n, object, key, want)
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
}

// money decodes an amount: a plain decimal number of at most two places, not negative and at
// most MaxMoney. A string ("38.50" in quotes) is refused, as is a NaN, an infinity or an
// exponent: money is written as it is printed.
func (d *decoder) money(m *mapping, key string) value[Money] {
	e, ok := m.Entries[key]
	if !ok {
		return value[Money]{}
	}
	v := value[Money]{Line: e.Key.Line}
	field := m.Field(key)
	n := e.Val
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		d.Add(v.Line, m.Object, field, "expected an amount such as 38.50, got %s", yamlfile.Describe(n))
		v.Bad = true
		return v
	}
	amount, err := ParseMoney(n.Value)
	if err != nil {
		d.Add(v.Line, m.Object, field, "%s", err)
		v.Bad = true
		return v
	}
	v.V = amount
	return v
}

// ParseMoney reads an amount written as a decimal of at most two places (45, 45.5, 45.50), not
// negative and at most MaxMoney.
func ParseMoney(s string) (Money, error) {
	body := s
	neg := len(body) > 0 && body[0] == '-'
	if neg {
		body = body[1:]
	}
	whole, frac := body, ""
	for i := 0; i < len(body); i++ {
		if body[i] == '.' {
			whole, frac = body[:i], body[i+1:]
			break
		}
	}
	if whole == "" || !digits(whole) || (len(body) > len(whole) && (frac == "" || !digits(frac))) {
		return 0, fmt.Errorf("invalid amount %s (want a decimal such as 38.50)", yamlfile.Quote(s))
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %s has more than 2 decimal places", yamlfile.Quote(s))
	}
	if neg && !allZero(whole+frac) {
		return 0, fmt.Errorf("must not be negative (got %s)", s)
	}
	for len(whole) > 1 && whole[0] == '0' {
		whole = whole[1:]
	}
	if len(whole) > 7 {
		return 0, fmt.Errorf("must be at most %s (got %s)", MaxMoney, s)
	}
	var cents int64
	for _, c := range whole + (frac + "00")[:2] {
		cents = cents*10 + int64(c-'0')
	}
	if Money(cents) > MaxMoney {
		return 0, fmt.Errorf("must be at most %s (got %s)", MaxMoney, s)
	}
	return Money(cents), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !yamlfile.IsDigit(s[i]) {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// checkAftercare checks the aftercare section against the capabilities offered (nil: unknown),
// the products' SKUs (nil: unknown) and the devices (id -> kind), sharing the changeover
// attributes of the products' steps.
func (d *decoder) checkAftercare(f *rawFactory, offered, skus map[string]bool, devices map[string]string, attributes map[string]value[string]) {
	a := f.Aftercare.V
	if a == nil {
		return
	}
	const object = aftercareObject
	switch ev := a.EstimateValid; {
	case ev.Bad || !ev.Set():
	case ev.V < minEstimateValid || ev.V > maxEstimateValid:
		d.Add(ev.Line, object, "estimate_valid", "must be between %s and %s (got %s)", minEstimateValid, maxEstimateValid, ev.V)
	}
	if c := a.Currency; c.Set() && !c.Bad && !isCurrency(c.V) {
		d.Add(c.Line, object, "currency", "invalid currency %s (want an ISO 4217 code: 3 upper-case letters, such as EUR)", yamlfile.Quote(c.V))
	}
	if p := a.ExpressPremium; p.Set() && !p.Bad && (p.V < 0 || p.V > maxPremium) {
		d.Add(p.Line, object, "express_premium", "out of range 0..%d percent (got %d)", maxPremium, p.V)
	}
	if sp := a.SlipPrinter; sp.Set() && !sp.Bad {
		want := printerFor("labels")
		switch kind, ok := devices[sp.V]; {
		case sp.V == "":
			d.Add(sp.Line, object, "slip_printer", "must not be empty (leave slip_printer out to print no slips)")
		case devices == nil:
		case !ok:
			d.Add(sp.Line, object, "slip_printer", "unknown device %s", yamlfile.Quote(sp.V))
		case kind != want:
			d.Add(sp.Line, object, "slip_printer", "device %s is a %s; want a %s", yamlfile.Quote(sp.V), kind, want)
		}
	}
	switch {
	case a.Diagnosis.Bad:
	case a.Diagnosis.V == nil:
		d.Add(a.line, object, "diagnosis", "required: the routing step of a repair's diagnosis")
	default:
		d.checkStep(*a.Diagnosis.V, offered, attributes)
		if c := a.Diagnosis.V.Checks; c.Set() {
			// The diagnosis ends in the Diagnose dialog, which records what was found: a
			// checklist asked before it completes would be a second form of the same thing.
			d.Add(c.Line, object+": diagnosis", "checks", "the diagnosis takes no quality checklist (its findings are the diagnosis; the kinds' checklists are asked at intake)")
		}
	}
	kinds := d.checkKinds(a, skus)
	services := d.checkServices(a, offered, kinds, attributes)
	d.checkCarePlans(a, services)
}

// checkKinds checks the item kinds and returns their ids, or nil when some could not be read.
func (d *decoder) checkKinds(a *rawAftercare, skus map[string]bool) map[string]bool {
	if !d.NonEmpty(len(a.Kinds.V), a.Kinds.Line, a.Kinds.Bad, a.line, aftercareObject, "kinds", "kind") {
		return nil
	}
	ids := make(map[string]int)
	kindOfSKU := make(map[string]rawKind)
	complete := true
	for _, k := range a.Kinds.V {
		if k.bad || k.ID.Bad {
			complete = false
		}
		if k.bad {
			continue
		}
		if d.Required(k.ID, k.line, k.object, "id") && d.Shape(k.ID, k.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(ids, k.ID, aftercareObject, "kinds", "duplicate kind id %s (first at line %d)")
		}
		d.name(k.Name, k.object, "name")
		for _, sku := range k.SKUs.V {
			if sku.Bad {
				continue
			}
			if skus != nil && !skus[sku.V] {
				d.Add(sku.Line, k.object, "skus", "unknown sku %s (no product has it)", yamlfile.Quote(sku.V))
				continue
			}
			if other, dup := kindOfSKU[sku.V]; dup {
				d.Add(sku.Line, k.object, "skus", "sku %s is already of kind %s (line %d); a sku is of one kind at most", yamlfile.Quote(sku.V), yamlfile.Quote(other.ID.V), other.line)
				continue
			}
			kindOfSKU[sku.V] = k
		}
		items := make(map[string]int)
		for _, c := range k.Checklist.V {
			if c.bad {
				continue
			}
			if d.Required(c.ID, c.line, c.object, "id") && d.Shape(c.ID, c.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
				d.Unique(items, c.ID, k.object, "checklist", "duplicate checklist item id %s (first at line %d)")
			}
			if d.Required(c.Label, c.line, c.object, "label") {
				d.Text(c.Label, c.object, "label", maxLabelRunes)
			}
			if in := c.Input; in.Set() && !in.Bad && in.V != CheckBox && in.V != CheckText {
				d.Add(in.Line, c.object, "input", "unknown input %s (want %s or %s)", yamlfile.Quote(in.V), CheckBox, CheckText)
			}
		}
	}
	if !complete {
		return nil
	}
	known := make(map[string]bool, len(ids))
	for id := range ids {
		known[id] = true
	}
	return known
}

// checkServices checks the services against the kinds (nil: unknown) and returns their ids, or
// nil when some could not be read.
func (d *decoder) checkServices(a *rawAftercare, offered, kinds map[string]bool, attributes map[string]value[string]) map[string]bool {
	if !d.NonEmpty(len(a.Services.V), a.Services.Line, a.Services.Bad, a.line, aftercareObject, "services", "service") {
		return nil
	}
	ids := make(map[string]int)
	complete := true
	for _, s := range a.Services.V {
		if s.bad || s.ID.Bad {
			complete = false
		}
		if s.bad {
			continue
		}
		if d.Required(s.ID, s.line, s.object, "id") && d.Shape(s.ID, s.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			if s.ID.V == DiagnosisSKU[len(RepairSKUPrefix):] {
				d.Add(s.ID.Line, s.object, "id", "%s is reserved for the diagnosis step; name the service otherwise", yamlfile.Quote(s.ID.V))
			} else {
				d.Unique(ids, s.ID, aftercareObject, "services", "duplicate service id %s (first at line %d)")
			}
		}
		d.name(s.Name, s.object, "name")
		if d.NonEmpty(len(s.Kinds.V), s.Kinds.Line, s.Kinds.Bad, s.line, s.object, "kinds", "kind") {
			seen := make(map[string]int)
			for _, k := range s.Kinds.V {
				if k.Bad {
					continue
				}
				if kinds != nil && !kinds[k.V] {
					d.Add(k.Line, s.object, "kinds", "unknown kind %s", yamlfile.Quote(k.V))
					continue
				}
				d.Unique(seen, k, s.object, "kinds", "kind %s is named twice (first at line %d)")
			}
		}
		for _, p := range s.Parts.V {
			if p.bad {
				continue
			}
			if d.Required(p.Name, p.line, p.object, "name") {
				d.name(p.Name, p.object, "name")
			}
			if !p.Price.Set() && !p.Price.Bad {
				d.Add(p.line, p.object, "price", "required")
			}
		}
		if !d.NonEmpty(len(s.Routing.V), s.Routing.Line, s.Routing.Bad, s.line, s.object, "routing", "step") {
			continue
		}
		for _, st := range s.Routing.V {
			if !st.bad {
				d.checkStep(st, offered, attributes)
			}
		}
	}
	if !complete {
		return nil
	}
	known := make(map[string]bool, len(ids))
	for id := range ids {
		known[id] = true
	}
	return known
}

// checkCarePlans checks the care plans against the services (nil: unknown).
func (d *decoder) checkCarePlans(a *rawAftercare, services map[string]bool) {
	ids := make(map[string]int)
	for _, p := range a.CarePlans.V {
		if p.bad {
			continue
		}
		if d.Required(p.ID, p.line, p.object, "id") && d.Shape(p.ID, p.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(ids, p.ID, aftercareObject, "care_plans", "duplicate care plan id %s (first at line %d)")
		}
		d.name(p.Name, p.object, "name")
		switch t := p.Term; {
		case t.Bad:
		case !t.Set():
			d.Add(p.line, p.object, "term", "required")
		case t.V < minTerm || t.V > maxTerm:
			d.Add(t.Line, p.object, "term", "must be between %s and %s (got %s)", minTerm, maxTerm, t.V)
		}
		if !p.Price.Set() && !p.Price.Bad {
			d.Add(p.line, p.object, "price", "required")
		}
		if !d.NonEmpty(len(p.Covers.V), p.Covers.Line, p.Covers.Bad, p.line, p.object, "covers", "service") {
			continue
		}
		seen := make(map[string]int)
		for _, c := range p.Covers.V {
			if c.bad {
				continue
			}
			if d.Required(c.Service, c.line, c.object, "service") {
				if services != nil && !services[c.Service.V] {
					d.Add(c.Service.Line, c.object, "service", "unknown service %s", yamlfile.Quote(c.Service.V))
				} else {
					d.Unique(seen, c.Service, p.object, "covers", "service %s is covered twice (first at line %d)")
				}
			}
			switch n := c.Count; {
			case n.Bad:
			case !n.Set():
				d.Add(c.line, c.object, "count", "required")
			case n.V < 1 || n.V > maxCoverCount:
				d.Add(n.Line, c.object, "count", "out of range 1..%d (got %d)", maxCoverCount, n.V)
			}
		}
	}
}

// isCurrency reports whether s is three upper-case letters.
func isCurrency(s string) bool {
	return len(s) == 3 && yamlfile.IsUpper(s[0]) && yamlfile.IsUpper(s[1]) && yamlfile.IsUpper(s[2])
}

// defaults fills in what the section may leave out.
func (a *rawAftercare) defaults() {
	if a == nil {
		return
	}
	if !a.EstimateValid.Set() {
		a.EstimateValid.V = DefaultEstimateValid
	}
	defaultTo(&a.Currency, DefaultCurrency)
	if s := a.Diagnosis.V; s != nil {
		defaultTo(&s.Name, s.Capability.V)
	}
	for i := range a.Kinds.V {
		k := &a.Kinds.V[i]
		defaultTo(&k.Name, k.ID.V)
		for j := range k.Checklist.V {
			defaultTo(&k.Checklist.V[j].Input, CheckBox)
		}
	}
	for i := range a.Services.V {
		s := &a.Services.V[i]
		defaultTo(&s.Name, s.ID.V)
		for j := range s.Routing.V {
			st := &s.Routing.V[j]
			defaultTo(&st.Name, st.Capability.V)
		}
	}
	for i := range a.CarePlans.V {
		p := &a.CarePlans.V[i]
		defaultTo(&p.Name, p.ID.V)
	}
}

// steps returns the routing steps of the section: the diagnosis, then the services' in order.
func (a *rawAftercare) steps() []rawStep {
	if a == nil {
		return nil
	}
	var out []rawStep
	if a.Diagnosis.V != nil && !a.Diagnosis.Bad {
		out = append(out, *a.Diagnosis.V)
	}
	for _, s := range a.Services.V {
		out = append(out, s.Routing.V...)
	}
	return out
}

// build turns a checked section into the model.
func (a *rawAftercare) build() *Aftercare {
	out := &Aftercare{
		PublicIntake:   a.PublicIntake.V,
		EstimateValid:  a.EstimateValid.V,
		Currency:       a.Currency.V,
		LabourRate:     a.LabourRate.V,
		ExpressPremium: int(a.ExpressPremium.V),
		SlipPrinter:    a.SlipPrinter.V,
		Line:           a.line,
	}
	if s := a.Diagnosis.V; s != nil {
		out.Diagnosis = s.build()
	}
	for _, k := range a.Kinds.V {
		kind := ItemKind{ID: k.ID.V, Name: k.Name.V, Line: k.line}
		for _, sku := range k.SKUs.V {
			kind.SKUs = append(kind.SKUs, sku.V)
		}
		for _, c := range k.Checklist.V {
			kind.Checklist = append(kind.Checklist, CheckItem{ID: c.ID.V, Label: c.Label.V, Input: c.Input.V, Line: c.line})
		}
		out.Kinds = append(out.Kinds, kind)
	}
	for _, s := range a.Services.V {
		svc := Service{ID: s.ID.V, Name: s.Name.V, Fee: s.Fee.V, Line: s.line}
		for _, k := range s.Kinds.V {
			svc.Kinds = append(svc.Kinds, k.V)
		}
		for _, p := range s.Parts.V {
			svc.Parts = append(svc.Parts, Part{Name: p.Name.V, Price: p.Price.V, Line: p.line})
		}
		for _, st := range s.Routing.V {
			svc.Routing = append(svc.Routing, st.build())
		}
		out.Services = append(out.Services, svc)
	}
	for _, p := range a.CarePlans.V {
		plan := CarePlan{ID: p.ID.V, Name: p.Name.V, Term: p.Term.V, Price: p.Price.V, Line: p.line}
		for _, c := range p.Covers.V {
			plan.Covers = append(plan.Covers, Cover{Service: c.Service.V, Count: int(c.Count.V)})
		}
		out.CarePlans = append(out.CarePlans, plan)
	}
	return out
}
