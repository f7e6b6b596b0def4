package configs

import "strings"

// DeviceKind is what the factory file's rules say of a kind of device a cell may hold. Every
// check of the file asks it rather than naming kinds, so that a new kind is one entry of the
// table behind [DeviceKinds].
type DeviceKind struct {
	// Name is the kind as the file writes it: one of the Kind constants.
	Name string
	// Plural names devices of the kind in messages ("dye stations").
	Plural string
	// Modbus is true for a machine spoken to over Modbus, which takes a unit id and a profile
	// (by default the built-in profile named after the kind). A cell drives one machine.
	Modbus bool
	// OwnLine is true for a device that needs a serial line of its own: a printer.
	OwnLine bool
	// Prints is the printing role the kind serves, as the printing section names it ("labels",
	// "tickets"); empty for a kind that prints nothing.
	Prints string
}

// deviceKinds are the kinds of device a cell may hold, in the order messages list them.
var deviceKinds = []DeviceKind{
	{Name: KindLoom, Plural: "looms", Modbus: true},
	{Name: KindDyeStation, Plural: "dye stations", Modbus: true},
	{Name: KindMicroPrinter, Plural: "micro-printers", OwnLine: true, Prints: "tickets"},
	{Name: KindLabelPrinter, Plural: "label printers", OwnLine: true, Prints: "labels"},
}

// DeviceKinds returns the kinds of device a cell may hold.
func DeviceKinds() []DeviceKind {
	return append([]DeviceKind(nil), deviceKinds...)
}

// LookupKind returns the kind of device named name; false when a cell may hold no such device.
func LookupKind(name string) (DeviceKind, bool) {
	for _, k := range deviceKinds {
		if k.Name == name {
			return k, true
		}
	}
	return DeviceKind{}, false
}

// kindOf returns the kind named name, the zero kind (no Modbus, no printing) when there is none.
func kindOf(name string) DeviceKind {
	k, _ := LookupKind(name)
	return k
}

// printerFor returns the name of the kind that serves the printing role, "" when none does.
func printerFor(role string) string {
	for _, k := range deviceKinds {
		if k.Prints == role {
			return k.Name
		}
	}
	return ""
}

// kindRule lists the kinds, for the message of an unknown kind.
func kindRule() string {
	return "want " + listKinds("or", func(k DeviceKind) (string, bool) { return k.Name, true })
}

// modbusKinds names the Modbus kinds in the plural, for the message of a field only they take.
func modbusKinds() string {
	return listKinds("and", func(k DeviceKind) (string, bool) { return k.Plural, k.Modbus })
}

// listKinds lists what name says of each kind it keeps: "a, b and c" with conj "and".
func listKinds(conj string, name func(DeviceKind) (string, bool)) string {
	var names []string
	for _, k := range deviceKinds {
		if n, ok := name(k); ok {
			names = append(names, n)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}
