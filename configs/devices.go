package configs

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// checkSerialLines validates the serial lines and returns them by id.
func (d *decoder) checkSerialLines(f *rawFactory) map[string]rawSerialLine {
	ids := make(map[string]int)
	ports := make(map[string]int)
	out := make(map[string]rawSerialLine)
	for _, l := range f.SerialLines.V {
		if l.bad {
			continue
		}
		if d.Required(l.ID, l.line, l.object, "id") && d.Shape(l.ID, l.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") &&
			d.Unique(ids, l.ID, "", "serial_lines", "duplicate serial line id %s (first at line %d)") {
			out[l.ID.V] = l
		}
		if d.Required(l.Port, l.line, l.object, "port") {
			d.Text(l.Port, l.object, "port", 256)
			d.Unique(ports, l.Port, l.object, "port", "port %s is already used by the serial line at line %d")
		}
		if !l.Baud.Bad && (l.Baud.V < minBaud || l.Baud.V > maxBaud) {
			d.Add(l.Baud.Line, l.object, "baud", "out of range %d..%d (got %d)", minBaud, maxBaud, l.Baud.V)
		}
		if !l.Parity.Bad && l.Parity.V != "none" && l.Parity.V != "even" && l.Parity.V != "odd" {
			d.Add(l.Parity.Line, l.object, "parity", "unknown parity %s (%s)", yamlfile.Quote(l.Parity.V), parityRule)
		}
		if !l.StopBits.Bad && l.StopBits.V != 1 && l.StopBits.V != 2 {
			d.Add(l.StopBits.Line, l.object, "stop_bits", "want 1 or 2 (got %d)", l.StopBits.V)
		}
		d.timeout(l.Timeout, l.object)
	}
	return out
}

func (d *decoder) timeout(v value[time.Duration], object string) {
	if v.Set() && !v.Bad && (v.V < minTimeout || v.V > maxTimeout) {
		d.Add(v.Line, object, "timeout", "out of range %s..%s (got %s)", minTimeout, maxTimeout, v.V)
	}
}

// checkDevices validates how each device is reached: its address or serial line, its unit id
// and its profile, the sharing of serial lines, and the printers named under printing. It
// returns the kind of each device, by id.
func (d *decoder) checkDevices(f *rawFactory, lines map[string]rawSerialLine) map[string]string {
	users := map[string][]rawDevice{}
	units := map[string]map[int64]int{} // serial line -> unit id -> line
	kinds := map[string]string{}        // device id -> kind
	machineOf := map[string]rawDevice{} // cell id -> its Modbus machine
	defer func() {
		for _, c := range f.Cells.V {
			if _, machine := machineOf[c.ID.V]; !c.bad && !machine && c.AutoStart.V && !c.AutoStart.Bad {
				d.Add(c.AutoStart.Line, c.object, "auto_start", "cell %s has no machine to start: people start its work", yamlfile.Quote(c.ID.V))
			}
		}
	}()
	for _, c := range f.Cells.V {
		if c.bad {
			continue
		}
		for _, dev := range c.Devices.V {
			if dev.bad || dev.Kind.Bad || !isDeviceKind(dev.Kind.V) {
				continue
			}
			kinds[dev.ID.V] = dev.Kind.V
			modbus := kindOf(dev.Kind.V).Modbus
			if modbus {
				if first, ok := machineOf[c.ID.V]; ok {
					d.Add(dev.line, dev.object, "kind", "cell %s already has machine %s (line %d); a cell drives one machine", yamlfile.Quote(c.ID.V), yamlfile.Quote(first.ID.V), first.line)
				} else {
					machineOf[c.ID.V] = dev
				}
			}
			d.checkDeviceAddress(dev, f.Simulate.V, lines, users)
			d.checkMachineFields(dev, modbus, units)
			d.timeout(dev.Timeout, dev.object)
		}
	}
	d.checkSharedLines(users)
	d.checkPrinting(f.Printing.V, kinds)
	return kinds
}

// checkDeviceAddress checks how device dev is reached: at an address or on one of the serial
// lines, one or the other, or neither when the factory is simulated; users collects the
// devices of each serial line.
func (d *decoder) checkDeviceAddress(dev rawDevice, simulate bool, lines map[string]rawSerialLine, users map[string][]rawDevice) {
	switch {
	case dev.Address.Set() && dev.SerialLine.Set():
		d.Add(dev.SerialLine.Line, dev.object, "serial_line", "set only one of address and serial_line")
	case dev.Address.Set() && !dev.Address.Bad:
		if _, port, err := net.SplitHostPort(dev.Address.V); err != nil || port == "" {
			d.Add(dev.Address.Line, dev.object, "address", "invalid address %s (want host:port, such as 192.168.1.20:502)", yamlfile.Quote(dev.Address.V))
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			d.Add(dev.Address.Line, dev.object, "address", "invalid port %s (want 1..65535)", yamlfile.Quote(port))
		}
	case dev.SerialLine.Set() && !dev.SerialLine.Bad:
		if _, ok := lines[dev.SerialLine.V]; !ok {
			d.Add(dev.SerialLine.Line, dev.object, "serial_line", "unknown serial line %s", yamlfile.Quote(dev.SerialLine.V))
		} else {
			users[dev.SerialLine.V] = append(users[dev.SerialLine.V], dev)
		}
	case !simulate:
		d.Add(dev.line, dev.object, "address", "required: an address (host:port) or a serial_line, unless simulate is true")
	}
}

// checkMachineFields checks the fields of device dev that only a Modbus machine (modbus) takes:
// its unit id, unique on its serial line (units, serial line -> unit id -> line), and its
// profile, one of the catalogue's of its kind.
func (d *decoder) checkMachineFields(dev rawDevice, modbus bool, units map[string]map[int64]int) {
	if !modbus {
		for _, v := range []struct {
			set   bool
			line  int
			field string
		}{{dev.UnitID.Set(), dev.UnitID.Line, "unit_id"}, {dev.Profile.Set(), dev.Profile.Line, "profile"}} {
			if v.set {
				d.Add(v.line, dev.object, v.field, "applies to Modbus devices (%s) only, not a %s", modbusKinds(), dev.Kind.V)
			}
		}
	} else {
		if !dev.UnitID.Bad && (dev.UnitID.V < 1 || dev.UnitID.V > maxUnitID) {
			d.Add(dev.UnitID.Line, dev.object, "unit_id", "out of range 1..%d (got %d)", maxUnitID, dev.UnitID.V)
		} else if dev.SerialLine.Set() && !dev.UnitID.Bad {
			seen := units[dev.SerialLine.V]
			if seen == nil {
				seen = map[int64]int{}
				units[dev.SerialLine.V] = seen
			}
			line := max(dev.UnitID.Line, dev.line)
			if first, dup := seen[dev.UnitID.V]; dup {
				d.Add(line, dev.object, "unit_id", "unit id %d is already used on serial line %s at line %d", dev.UnitID.V, yamlfile.Quote(dev.SerialLine.V), first)
			} else {
				seen[dev.UnitID.V] = line
			}
		}
		if !dev.Profile.Bad {
			p, ok := d.profiles[dev.Profile.V]
			switch {
			case !ok:
				d.Add(max(dev.Profile.Line, dev.line), dev.object, "profile", "unknown profile %s (built in: %s)", yamlfile.Quote(dev.Profile.V), strings.Join(sortedKeys(d.profiles), ", "))
			case p.Kind != dev.Kind.V:
				d.Add(max(dev.Profile.Line, dev.line), dev.object, "profile", "profile %s describes a %s, not a %s", yamlfile.Quote(dev.Profile.V), p.Kind, dev.Kind.V)
			}
		}
	}
}

// checkSharedLines checks that a printer has its serial line to itself; users are the devices
// of each serial line.
func (d *decoder) checkSharedLines(users map[string][]rawDevice) {
	for _, id := range sortedKeys(users) {
		devs := users[id]
		var printer *rawDevice
		for i, dev := range devs {
			if !kindOf(dev.Kind.V).OwnLine {
				continue
			}
			printer = &devs[i]
			break
		}
		if printer != nil && len(devs) > 1 {
			d.Add(printer.SerialLine.Line, printer.object, "serial_line", "serial line %s is shared with %d other device(s); a printer needs a line of its own", yamlfile.Quote(id), len(devs)-1)
		}
	}
}

// checkPrinting checks the printing section p: the printers it names are devices (kinds,
// device id -> kind) of the right kind, and its provenance URL has room for the serial.
func (d *decoder) checkPrinting(p *rawPrinting, kinds map[string]string) {
	if p == nil {
		return
	}
	for _, v := range []struct {
		v     value[string]
		field string
		kind  string
	}{{p.Labels, "labels", printerFor("labels")}, {p.Tickets, "tickets", printerFor("tickets")}} {
		if !v.v.Set() || v.v.Bad {
			continue
		}
		kind, ok := kinds[v.v.V]
		switch {
		case !ok:
			d.Add(v.v.Line, "printing", v.field, "unknown device %s", yamlfile.Quote(v.v.V))
		case kind != v.kind:
			d.Add(v.v.Line, "printing", v.field, "device %s is a %s; want a %s", yamlfile.Quote(v.v.V), kind, v.kind)
		}
	}
	if u := p.Provenance; u.Set() && !u.Bad {
		d.Text(u, "printing", "provenance_url", 256)
		if !strings.Contains(u.V, "{serial}") {
			d.Add(u.Line, "printing", "provenance_url", "must contain {serial}, where each unit's serial goes")
		}
	}
}

// checkParams checks that every routing step carried out on a cell with a Modbus device gives
// the parameters the device's start command needs (the units always come from the work order).
func (d *decoder) checkParams(f *rawFactory) {
	type machine struct {
		cell, device, profile string
	}
	byCapability := map[string][]machine{}
	for _, c := range f.Cells.V {
		if c.bad {
			continue
		}
		for _, dev := range c.Devices.V {
			p, ok := d.profiles[dev.Profile.V]
			if dev.bad || !ok || p.Kind != dev.Kind.V {
				continue
			}
			for _, capability := range c.Capabilities.V {
				byCapability[capability.V] = append(byCapability[capability.V], machine{c.ID.V, dev.ID.V, dev.Profile.V})
			}
		}
	}
	for _, s := range f.steps() {
		if s.bad || s.Params.Bad {
			continue
		}
		for _, m := range byCapability[s.Capability.V] {
			p := d.profiles[m.profile]
			for _, param := range p.StartParams {
				if param == "units" {
					continue
				}
				if _, ok := s.Params.V[param]; ok {
					continue
				}
				if slices.Contains(p.Defaults, param) {
					continue
				}
				d.Add(max(s.Params.Line, s.line), s.object, "params", "missing %s, which device %s (cell %s, profile %s) needs to start",
					yamlfile.Quote(param), yamlfile.Quote(m.device), yamlfile.Quote(m.cell), yamlfile.Quote(m.profile))
			}
		}
	}
}

func (dev rawDevice) build() Device {
	out := Device{
		ID:         dev.ID.V,
		Kind:       dev.Kind.V,
		Address:    dev.Address.V,
		SerialLine: dev.SerialLine.V,
		UnitID:     int(dev.UnitID.V),
		Timeout:    dev.Timeout.V,
		Line:       dev.line,
	}
	if out.Modbus() {
		out.Profile = dev.Profile.V
	}
	return out
}
