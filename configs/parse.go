package configs

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Parse decodes a factory configuration, applies defaults and validates it against the catalogue
// of device profiles (package configs/profiles gives the built-in one). file names the
// configuration in messages and in Factory.File ("<config>" when empty); Parse never opens it.
// Decoding is strict: an unknown key, a value of the wrong type, a repeated key, a YAML alias or
// merge key, or a second YAML document is an error.
//
// Parse reports every problem it finds, not just the first: the error is an Errors, one Error per
// problem in file order, each naming the file, the line, the object and the field. On error the
// Factory is nil.
//
// Defaults: an omitted name is the id (the SKU for a product, the site for the factory, the
// capability for a step); an omitted setup is zero; an omitted reason list is the one of
// DefaultReasons; an omitted stops section, or key of it, is DefaultStops'; an omitted currency
// is the aftercare section's, else DefaultCurrency; an omitted price, rate or material cost is
// zero.
func Parse(file string, data []byte, profiles Profiles) (*Factory, error) {
	if file == "" {
		file = "<config>"
	}
	d := &decoder{Decoder: yamlfile.Decoder{File: file}, profiles: profiles}
	var f *Factory
	if root := d.Document(data); root != nil {
		// Nothing can be validated in a file whose top level is not a mapping.
		if raw, ok := d.factory(root); ok {
			raw.defaults()
			d.validate(&raw)
			if len(d.Errs) == 0 {
				f = raw.build(file)
			}
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// The raw types mirror the model with a line for every field, so that validation can point at
// the exact key. bad marks an object that is not a mapping at all (already reported).

type rawFactory struct {
	line        int
	Site, Name  value[string]
	Simulate    value[bool]
	SerialLines value[[]rawSerialLine]
	Printing    value[*rawPrinting]
	Hours       value[*Hours]
	Telemetry   value[*Telemetry]
	Reasons     value[*Reasons]
	Hosts       value[[]string]
	Tablet      value[*Tablet]
	Store       value[*Store]
	Network     value[*Network]
	Provenance  value[*Provenance]
	Aftercare   value[*rawAftercare]
	Currency    value[string]
	Stops       value[*rawStops]
	Cells       value[[]rawCell]
	Products    value[[]rawProduct]
	Drops       value[[]rawDrop]
	People      value[[]rawPerson]
	Tokens      value[[]rawToken]
}

type rawCell struct {
	object       string
	line         int
	bad          bool
	ID, Name     value[string]
	Capabilities value[[]value[string]]
	Devices      value[[]rawDevice]
	Hours        value[*Hours]
	AutoStart    value[bool]
	LabourRate   value[Money]
	MachineRate  value[Money]
}

type rawDevice struct {
	object                                 string
	line                                   int
	bad                                    bool
	ID, Kind, Address, SerialLine, Profile value[string]
	UnitID                                 value[int64]
	Timeout                                value[time.Duration]
}

type rawSerialLine struct {
	object           string
	line             int
	bad              bool
	ID, Port, Parity value[string]
	Baud, StopBits   value[int64]
	Timeout          value[time.Duration]
}

type rawPrinting struct {
	line                        int
	Labels, Tickets, Provenance value[string]
}

type rawProduct struct {
	object    string
	line      int
	bad       bool
	SKU, Name value[string]
	Price     value[Money]
	Routing   value[[]rawStep]
}

type rawStep struct {
	object                         string
	line                           int
	bad                            bool
	Capability, Name, Instructions value[string]
	UnitTime, Setup                value[time.Duration]
	Changeover                     value[*rawChangeover]
	Params                         value[map[string]float64]
	Materials                      value[[]value[string]]
	MakesLot                       value[bool]
	MaterialCost                   value[Money]
	Checks                         value[[]rawCheck]
}

type rawChangeover struct {
	line             int
	Attribute, Value value[string]
}

type rawDrop struct {
	object   string
	line     int
	bad      bool
	ID, Name value[string]
	Date     value[time.Time]
	Windows  value[[]value[window]]
}

type window struct {
	SKU   string
	Units int64
}

type rawPerson struct {
	object                               string
	line                                 int
	bad                                  bool
	ID, Name, Role                       value[string]
	PublicName                           value[string]
	PIN, PINHash, Password, PasswordHash value[string]
}

type rawToken struct {
	object        string
	line          int
	bad           bool
	Name, Role    value[string]
	Token, SHA256 value[string]
}

func (d *decoder) factory(n *yaml.Node) (f rawFactory, ok bool) {
	f = rawFactory{line: n.Line}
	m, ok := d.Mapping(n, "", "", "site", "name", "simulate", "serial_lines", "printing", "hours", "telemetry", "reasons", "hosts", "tablet", "store", "network", "provenance", "aftercare", "currency", "stops", "cells", "products", "drops", "people", "tokens")
	if !ok {
		return f, false
	}
	f.Site = d.Str(m, "site")
	f.Name = d.Str(m, "name")
	f.Simulate = d.Boolean(m, "simulate")
	f.SerialLines = yamlfile.List(&d.Decoder, m, "serial_lines", d.serialLine)
	if e, ok := m.Entries["printing"]; ok && !yamlfile.IsNull(e.Val) {
		f.Printing.Line = e.Key.Line
		pm, ok := d.Mapping(e.Val, "printing", "", "labels", "tickets", "provenance_url")
		if ok {
			f.Printing.V = &rawPrinting{
				line:       e.Val.Line,
				Labels:     d.Str(pm, "labels"),
				Tickets:    d.Str(pm, "tickets"),
				Provenance: d.Str(pm, "provenance_url"),
			}
		} else {
			f.Printing.Bad = true
		}
	}
	f.Hours = d.hours(m, "hours")
	f.Telemetry = d.telemetry(m, "telemetry", f.Site.V)
	f.Reasons = d.reasons(m, "reasons")
	f.Hosts = d.hosts(m, "hosts")
	f.Tablet = d.tablet(m, "tablet")
	f.Store = d.store(m, "store")
	f.Network = d.network(m, "network", f.Site)
	f.Provenance = d.provenance(m, "provenance")
	f.Aftercare = d.aftercare(m, "aftercare")
	f.Currency = d.Str(m, "currency")
	f.Stops = d.stops(m, "stops")
	f.Cells = yamlfile.List(&d.Decoder, m, "cells", d.cell)
	f.Products = yamlfile.List(&d.Decoder, m, "products", d.product)
	f.Drops = yamlfile.List(&d.Decoder, m, "drops", d.drop)
	f.People = yamlfile.List(&d.Decoder, m, "people", d.person)
	f.Tokens = yamlfile.List(&d.Decoder, m, "tokens", d.token)
	return f, true
}

func (d *decoder) cell(n *yaml.Node, i int) rawCell {
	c := rawCell{line: n.Line, object: yamlfile.ObjectName("cell", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, c.object, "", "id", "name", "capabilities", "devices", "hours", "auto_start", "labour_rate", "machine_rate")
	if !ok {
		c.bad = true
		return c
	}
	c.ID = d.Str(m, "id")
	c.Name = d.Str(m, "name")
	c.Capabilities = yamlfile.List(&d.Decoder, m, "capabilities", func(n *yaml.Node, _ int) value[string] {
		s, bad := d.Scalar(n, c.object, "capabilities", "a capability")
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
	c.Devices = yamlfile.List(&d.Decoder, m, "devices", func(n *yaml.Node, j int) rawDevice {
		return d.device(n, c.object, j)
	})
	c.Hours = d.hours(m, "hours")
	c.AutoStart = d.Boolean(m, "auto_start")
	c.LabourRate = d.money(m, "labour_rate")
	c.MachineRate = d.money(m, "machine_rate")
	return c
}

func (d *decoder) device(n *yaml.Node, cell string, i int) rawDevice {
	dev := rawDevice{line: n.Line, object: cell + ": " + yamlfile.ObjectName("device", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, dev.object, "", "id", "kind", "address", "serial_line", "unit_id", "profile", "timeout")
	if !ok {
		dev.bad = true
		return dev
	}
	dev.ID = d.Str(m, "id")
	dev.Kind = d.Str(m, "kind")
	dev.Address = d.Str(m, "address")
	dev.SerialLine = d.Str(m, "serial_line")
	dev.UnitID = d.Integer(m, "unit_id")
	dev.Profile = d.Str(m, "profile")
	dev.Timeout = d.Duration(m, "timeout")
	return dev
}

func (d *decoder) serialLine(n *yaml.Node, i int) rawSerialLine {
	l := rawSerialLine{line: n.Line, object: yamlfile.ObjectName("serial line", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, l.object, "", "id", "port", "baud", "parity", "stop_bits", "timeout")
	if !ok {
		l.bad = true
		return l
	}
	l.ID = d.Str(m, "id")
	l.Port = d.Str(m, "port")
	l.Baud = d.Integer(m, "baud")
	l.Parity = d.Str(m, "parity")
	l.StopBits = d.Integer(m, "stop_bits")
	l.Timeout = d.Duration(m, "timeout")
	return l
}

func (d *decoder) product(n *yaml.Node, i int) rawProduct {
	p := rawProduct{line: n.Line, object: yamlfile.ObjectName("product", yamlfile.Peek(n, "sku"), i)}
	m, ok := d.Mapping(n, p.object, "", "sku", "name", "price", "routing")
	if !ok {
		p.bad = true
		return p
	}
	p.SKU = d.Str(m, "sku")
	p.Name = d.Str(m, "name")
	p.Price = d.money(m, "price")
	p.Routing = yamlfile.List(&d.Decoder, m, "routing", func(n *yaml.Node, j int) rawStep {
		return d.step(n, p.object, j)
	})
	return p
}

func (d *decoder) step(n *yaml.Node, product string, i int) rawStep {
	return d.stepAt(n, fmt.Sprintf("%s: step %d", product, i+1))
}

// stepAt decodes a routing step named object (a product's or a repair service's step, or the
// diagnosis), which names its capability too.
func (d *decoder) stepAt(n *yaml.Node, object string) rawStep {
	if c := yamlfile.Peek(n, "capability"); c != "" {
		object += " (capability " + yamlfile.Quote(c) + ")"
	}
	s := rawStep{line: n.Line, object: object}
	m, ok := d.Mapping(n, s.object, "", "capability", "name", "instructions", "unit_time", "setup", "changeover", "params", "materials", "makes_lot", "material_cost", "checks")
	if !ok {
		s.bad = true
		return s
	}
	s.Capability = d.Str(m, "capability")
	s.Name = d.Str(m, "name")
	s.Instructions = d.Str(m, "instructions")
	s.UnitTime = d.Duration(m, "unit_time")
	s.Setup = d.Duration(m, "setup")
	s.Materials = d.materials(m, s.object)
	s.MakesLot = d.Boolean(m, "makes_lot")
	s.MaterialCost = d.money(m, "material_cost")
	s.Checks = yamlfile.List(&d.Decoder, m, "checks", func(n *yaml.Node, j int) rawCheck {
		return d.check(n, s.object, j)
	})
	if e, ok := m.Entries["params"]; ok {
		s.Params = value[map[string]float64]{V: d.Params(m, "params", s.object), Line: e.Key.Line}
	}
	if e, ok := m.Entries["changeover"]; ok && !yamlfile.IsNull(e.Val) {
		s.Changeover.Line = e.Key.Line
		cm, ok := d.Mapping(e.Val, s.object, "changeover", "attribute", "value")
		if !ok {
			s.Changeover.Bad = true
			return s
		}
		s.Changeover.V = &rawChangeover{
			line:      e.Val.Line,
			Attribute: d.Str(cm, "attribute"),
			Value:     d.Str(cm, "value"),
		}
	}
	return s
}

func (d *decoder) drop(n *yaml.Node, i int) rawDrop {
	dr := rawDrop{line: n.Line, object: yamlfile.ObjectName("drop", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, dr.object, "", "id", "name", "date", "windows")
	if !ok {
		dr.bad = true
		return dr
	}
	dr.ID = d.Str(m, "id")
	dr.Name = d.Str(m, "name")
	dr.Date = d.Date(m, "date")
	dr.Windows = d.windows(m, "windows")
	return dr
}

// windows decodes the SKU -> units mapping of a drop, in file order.
func (d *decoder) windows(m *mapping, key string) value[[]value[window]] {
	e, ok := m.Entries[key]
	if !ok {
		return value[[]value[window]]{}
	}
	v := value[[]value[window]]{Line: e.Key.Line}
	if yamlfile.IsNull(e.Val) {
		return v
	}
	if e.Val.Kind != yaml.MappingNode {
		d.Add(v.Line, m.Object, key, "expected a mapping of sku to units, got %s", yamlfile.Describe(e.Val))
		v.Bad = true
		return v
	}
	first := make(map[string]int)
	for i := 0; i+1 < len(e.Val.Content); i += 2 {
		k, n := e.Val.Content[i], e.Val.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Add(k.Line, m.Object, key, "expected a sku, got %s", yamlfile.Describe(k))
			continue
		}
		field := "window " + yamlfile.Quote(k.Value)
		if l, dup := first[k.Value]; dup {
			d.Add(k.Line, m.Object, field, "duplicate key (first at line %d)", l)
			continue
		}
		first[k.Value] = k.Line
		w := value[window]{V: window{SKU: k.Value}, Line: k.Line}
		var units int64
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float":
			d.Add(k.Line, m.Object, field, "expected a whole number of units, got %s", n.Value)
			w.Bad = true
		case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int":
			d.Add(k.Line, m.Object, field, "expected a whole number of units, got %s", yamlfile.Describe(n))
			w.Bad = true
		case n.Decode(&units) != nil:
			d.Add(k.Line, m.Object, field, "invalid whole number %s", yamlfile.Quote(n.Value))
			w.Bad = true
		default:
			w.V.Units = units
		}
		v.V = append(v.V, w)
	}
	return v
}

func (d *decoder) person(n *yaml.Node, i int) rawPerson {
	p := rawPerson{line: n.Line, object: yamlfile.ObjectName("person", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, p.object, "", "id", "name", "public_name", "role", "pin", "pin_hash", "password", "password_hash")
	if !ok {
		p.bad = true
		return p
	}
	p.ID = d.Str(m, "id")
	p.Name = d.Str(m, "name")
	p.PublicName = d.Str(m, "public_name")
	p.Role = d.Str(m, "role")
	p.PIN = d.Str(m, "pin")
	p.PINHash = d.Str(m, "pin_hash")
	p.Password = d.Str(m, "password")
	p.PasswordHash = d.Str(m, "password_hash")
	return p
}

func (d *decoder) token(n *yaml.Node, i int) rawToken {
	t := rawToken{line: n.Line, object: yamlfile.ObjectName("token", yamlfile.Peek(n, "name"), i)}
	m, ok := d.Mapping(n, t.object, "", "name", "role", "token", "sha256")
	if !ok {
		t.bad = true
		return t
	}
	t.Name = d.Str(m, "name")
	t.Role = d.Str(m, "role")
	t.Token = d.Str(m, "token")
	t.SHA256 = d.Str(m, "sha256")
	return t
}
