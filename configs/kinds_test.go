package configs

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// loomProfile is a catalogue of one profile, for the loom of TestKindTableRulesEveryCheck: the
// built-in catalogue is package configs/profiles', which imports this package, so that its
// internal tests cannot use it.
var loomProfile = Profiles{KindLoom: {Kind: KindLoom, StartParams: []string{"pattern", "speed", "units"}, Defaults: []string{"speed"}}}

// TestKindTableRulesEveryCheck adds kinds to the table and checks that every rule of the factory
// file that depends on a device's kind follows: the kinds accepted and listed, the fields only
// Modbus machines take and their defaults, the serial lines printers need to themselves and the
// printing roles.
func TestKindTableRulesEveryCheck(t *testing.T) {
	kiln := DeviceKind{Name: "kiln", Plural: "kilns", Modbus: true}
	embosser := DeviceKind{Name: "embosser", Plural: "embossers", OwnLine: true}
	tagger := DeviceKind{Name: "tagger", Plural: "taggers", OwnLine: true, Prints: "labels"}
	const products = `products:
  - sku: RUG-1
    routing:
      - capability: weave
        unit_time: 1h
        params: {pattern: 7}
`
	tests := []struct {
		name  string
		kinds []DeviceKind // added at the end of the table
		// unlabel takes the labels role from the label printer.
		unlabel bool
		devices string // the devices of cell weave-1, with a loom-a on line rs485-1
		extra   string // more of the file, after the cells
		want    []string
	}{
		{name: "unknown kind lists the table", kinds: []DeviceKind{kiln},
			devices: `      - {id: oven, kind: furnace, address: "10.0.0.9:502"}`,
			want:    []string{`device "oven": kind: unknown kind "furnace" (want loom, dye-station, micro-printer, label-printer or kiln)`}},
		{name: "modbus kind takes a profile named after it", kinds: []DeviceKind{kiln},
			devices: `      - {id: oven, kind: kiln, address: "10.0.0.9:502"}`,
			want: []string{`device "oven": kind: cell "weave-1" already has machine "loom-a"`,
				`device "oven": profile: unknown profile "kiln"`}},
		{name: "modbus-only fields list the modbus kinds", kinds: []DeviceKind{kiln},
			devices: `      - {id: stamp, kind: micro-printer, address: "10.0.0.9:9100", unit_id: 3}`,
			want:    []string{`device "stamp": unit_id: applies to Modbus devices (looms, dye stations and kilns) only, not a micro-printer`}},
		{name: "a new printer takes no unit id", kinds: []DeviceKind{embosser},
			devices: `      - {id: emb, kind: embosser, address: "10.0.0.9:9100", unit_id: 3}`,
			want:    []string{`device "emb": unit_id: applies to Modbus devices (looms and dye stations) only, not a embosser`}},
		{name: "a new printer needs a line of its own", kinds: []DeviceKind{embosser},
			devices: `      - {id: emb, kind: embosser, serial_line: rs485-1}`,
			want:    []string{`device "emb": serial_line: serial line "rs485-1" is shared with 1 other device(s); a printer needs a line of its own`}},
		{name: "a new printer prints labels", kinds: []DeviceKind{tagger}, unlabel: true,
			devices: `      - {id: tag, kind: tagger, address: "10.0.0.9:9100"}`,
			extra:   "printing: {labels: tag}\n"},
		{name: "a label printer no longer does", kinds: []DeviceKind{tagger}, unlabel: true,
			devices: `      - {id: lab, kind: label-printer, address: "10.0.0.9:9100"}`,
			extra:   "printing: {labels: lab}\n",
			want:    []string{`printing: labels: device "lab" is a label-printer; want a tagger`}},
	}
	saved := deviceKinds
	t.Cleanup(func() { deviceKinds = saved })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deviceKinds = append(slices.Clone(saved), tt.kinds...)
			if tt.unlabel {
				i := slices.IndexFunc(deviceKinds, func(k DeviceKind) bool { return k.Name == KindLabelPrinter })
				deviceKinds[i].Prints = ""
			}
			defer func() { deviceKinds = saved }()
			data := "site: tiny\nserial_lines:\n  - {id: rs485-1, port: /dev/ttyUSB0}\ncells:\n  - id: weave-1\n    capabilities: [weave]\n" +
				"    devices:\n      - {id: loom-a, kind: loom, serial_line: rs485-1}\n" + tt.devices + "\n" + tt.extra + products
			_, err := Parse("kinds.yaml", []byte(data), loomProfile)
			var es Errors
			if err != nil && !errors.As(err, &es) {
				t.Fatalf("Parse: %v", err)
			}
			if len(es) != len(tt.want) {
				t.Fatalf("Parse errors:\n%v\nwant %d:\n%s", err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, want := range tt.want {
				if !strings.Contains(es[i].Error(), want) {
					t.Errorf("error %d: %q, want it to contain %q", i, es[i].Error(), want)
				}
			}
		})
	}
}

// TestDeviceKinds checks the table's own rules: each kind once, a Modbus machine is no printer,
// each printing role served by one kind, and a Device's Modbus agreeing with its kind.
func TestDeviceKinds(t *testing.T) {
	roles := map[string]string{}
	for i, k := range DeviceKinds() {
		t.Run(k.Name, func(t *testing.T) {
			if got, ok := LookupKind(k.Name); !ok || got != k {
				t.Errorf("LookupKind(%q) = %+v, %v", k.Name, got, ok)
			}
			if slices.IndexFunc(DeviceKinds(), func(o DeviceKind) bool { return o.Name == k.Name }) != i {
				t.Errorf("kind %q is in the table twice", k.Name)
			}
			if k.Modbus && (k.OwnLine || k.Prints != "") {
				t.Errorf("kind %q is a Modbus machine and a printer", k.Name)
			}
			if first, dup := roles[k.Prints]; k.Prints != "" && dup {
				t.Errorf("kinds %q and %q both print %s", first, k.Name, k.Prints)
			}
			roles[k.Prints] = k.Name
			if (Device{Kind: k.Name}).Modbus() != k.Modbus {
				t.Errorf("a %s device's Modbus() = %v", k.Name, !k.Modbus)
			}
		})
	}
	if _, ok := LookupKind("furnace"); ok || (Device{Kind: "furnace"}).Modbus() {
		t.Error("an unknown kind is known")
	}
}
