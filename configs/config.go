// Package configs owns the factory model as a studio writes it in YAML: its cells and their
// devices, its products and their routings (with the maker's instructions for each step), its
// drops, its people and its API tokens, the reasons the floor pauses, scraps and reports
// faults by, the host names the daemon is reached by, how long a shared tablet stays signed in
// while nobody uses it, the repairs the studio takes (the aftercare section), and the network of
// sites it belongs to (the network section). It owns the hub's file too (ParseHub): the
// network's sites, their places and public keys, its drops and the hub's broker and database.
//
// Parse decodes strictly (an unknown key is an error), applies defaults and validates, and every
// error names the file, the line, the object and the field. The package parses bytes handed to it;
// it never reads files or the environment itself (the broker's TLS files and password are read
// through the reader the daemon hands to Broker.TLSConfig and Broker.LoadPassword). A device
// names its profile; the profiles themselves are package configs/profiles', whose catalogue the
// caller hands to Parse. It imports
// only the standard library, the YAML decoder and its internal yamlfile, no driver, so that every
// package may import it without pulling in a driver, a serial port or a metrics client.
package configs

import "time"

// Roles a person or an API token can hold.
const (
	RoleOperator = "operator"
	RoleManager  = "manager"
	RolePlanner  = "planner"
	RoleAdmin    = "admin"
)

// Factory is a whole, validated factory configuration.
type Factory struct {
	// File is the name the configuration was parsed under, used in messages.
	File string
	// Site identifies this micro-factory (for telemetry topics and the UI).
	Site string
	// Name is the studio's display name.
	Name string
	// Simulate runs every device on the built-in firmware simulator, in-process, instead of
	// connecting to the addresses and serial lines written in the file.
	Simulate bool
	// SerialLines are the RS-485/RS-232 lines devices are connected to.
	SerialLines []SerialLine
	// Printing names the printers that print unit labels and work tickets.
	Printing Printing
	// Hours are the factory's working hours, nil when it works around the clock; a cell may
	// have its own.
	Hours *Hours
	// Telemetry is what is published over MQTT and written to InfluxDB; the defaults (an
	// embedded broker on 127.0.0.1:1883, no InfluxDB) when the file has no telemetry section.
	Telemetry Telemetry
	// Reasons are the pause, scrap and fault reasons the floor picks from; each list the file
	// leaves out is the default one (see DefaultReasons).
	Reasons Reasons
	// Hosts are the names (or addresses) a studio reaches the daemon by, lower case and without
	// a port; nil when the file lists none. The daemon's web server also answers the loopback
	// names and the address a request came in on, and refuses every other Host.
	Hosts []string

	// Provenance names the studio's signing key (the zero value: the data directory's).
	Provenance Provenance

	// Aftercare is the studio's repair service; nil when the studio takes no repairs.
	Aftercare *Aftercare

	// Stops says how stops are explained and counted for OEE (DefaultStops when the file has
	// no stops section).
	Stops Stops
	// Currency is the ISO 4217 code of the prices, material costs and rates (when left out,
	// the aftercare section's, else DefaultCurrency); the aftercare section's prices are in it
	// too, and its Currency is the same.
	Currency string

	// Tablet says how the shared shop-floor tablets behave (DefaultTablet when the file has
	// no tablet section).
	Tablet Tablet
	// Store says where the order book lives (DefaultStore, SQLite, when the file has no store
	// section).
	Store Store
	// Network joins the site to a network of sites under a hub; nil when the file has no
	// network section and the site runs on its own.
	Network  *Network
	Cells    []Cell
	Products []Product
	Drops    []Drop
	People   []Person
	Tokens   []Token
}

// Cell is a modular workcell: the capabilities it offers and the devices it holds.
type Cell struct {
	ID           string
	Name         string
	Capabilities []string
	Devices      []Device
	// Hours are the cell's own working hours, nil when it keeps the factory's.
	Hours *Hours
	// AutoStart is true (the default) when the cell's machine starts the head of its queue by
	// itself once it is idle; false when a person starts every job (to load the material
	// first). A cell without a machine always waits for a person.
	AutoStart bool
	// LabourRate and MachineRate are what an hour of the cell's work costs: the people's and
	// the machine's (zero when the file gives none).
	LabourRate, MachineRate Money
	Line                    int // line of the cell in the file
}

// Device kinds a cell may hold.
const (
	KindLoom         = "loom"
	KindDyeStation   = "dye-station"
	KindMicroPrinter = "micro-printer"
	KindLabelPrinter = "label-printer"
)

// Device is a machine held by a cell and how to reach it: over TCP at Address, or on a serial
// line. Looms and dye stations speak Modbus (TCP, or RTU on a serial line) and are described by a
// profile, named in Profile; printers speak ZPL (label printers) or ESC/POS (micro-printers).
type Device struct {
	ID   string
	Kind string // one of the Kind constants
	// Address is host:port for a device reached over TCP; empty for one on a serial line.
	Address string
	// SerialLine is the id of the serial line the device is on; empty for one over TCP.
	SerialLine string
	// UnitID is the Modbus unit (slave) id, 1..247 (default 1); 0 for printers.
	UnitID int
	// Profile names the Modbus device profile, one of the catalogue given to Parse (by default
	// the profile named after the kind); empty for printers.
	Profile string
	// Timeout is how long to wait for an answer (default 500ms over TCP; 0 on a serial line,
	// where the line's timeout applies unless one is written).
	Timeout time.Duration
	Line    int
}

// Modbus reports whether the device speaks Modbus.
func (d Device) Modbus() bool { return kindOf(d.Kind).Modbus }

// SerialLine is a serial port shared by the devices on it: several Modbus RTU devices, or one
// printer.
type SerialLine struct {
	ID string
	// Port is the serial device, for example /dev/ttyUSB0.
	Port string
	// Baud is the line speed (default 19200).
	Baud int
	// Parity is none, even or odd (default even, as Modbus RTU specifies).
	Parity string
	// StopBits is 1 or 2 (default 1).
	StopBits int
	// Timeout is how long to wait for an answer on the line (default 200ms).
	Timeout time.Duration
	Line    int
}

// Printing names the printers of the factory's labels and tickets.
type Printing struct {
	// Labels is the id of the label printer that prints a label for every finished unit;
	// empty when no labels are printed.
	Labels string
	// Tickets is the id of the micro-printer that prints a work ticket when a work order is
	// dispatched; empty when no tickets are printed.
	Tickets string
	// ProvenanceURL is the address printed as a QR code on each unit's label, with {serial}
	// replaced by the unit's serial; empty for the unit's page on the daemon itself, which
	// the daemon fills in when it starts, at the first of Hosts or the address it listens on.
	ProvenanceURL string
}

// Product is a SKU with its routing.
type Product struct {
	SKU  string
	Name string
	// Price is what a unit sells for (zero when the file gives none).
	Price   Money
	Routing []Step
	Line    int
}

// Step is one operation of a routing: the capability it needs, its standard time per unit, its
// setup time and, optionally, the changeover attribute a scheduler counts changeovers by.
type Step struct {
	Name string // optional display name, defaults to the capability
	// Instructions are free text for the maker doing the step, for example "Check the warp
	// tension before starting"; empty when the file has none. They may span several lines.
	Instructions string
	Capability   string
	UnitTime     time.Duration
	Setup        time.Duration
	Changeover   *Changeover // nil when the step has none
	// Params are the job parameters the cell's machine is given when the step starts, for
	// example a loom's pattern or a dye station's recipe and temperature. The number of units
	// to make is always given as "units".
	Params map[string]float64
	// Materials are the ids of the materials the step consumes (yarn, warp), whose lots the
	// person starting it gives; nil when it consumes none the book traces.
	Materials []string
	// MakesLot marks a batch step (a dye bath): each of its operations makes a lot, the one
	// its work order's units inherit, with an id from the factory's LotPattern.
	MakesLot bool
	// Checks are the step's quality checklist, asked before the step completes; nil when it
	// has none.
	Checks []Check
	// MaterialCost is the cost of the materials the step consumes per unit (zero when the file
	// gives none).
	MaterialCost Money
	Line         int
}

// Changeover names the attribute whose change between consecutive operations on a cell costs a
// changeover (for example attribute "colour", value "indigo").
type Changeover struct {
	Attribute string
	Value     string
}

// Drop is a named release with its drop date and per-SKU windows.
type Drop struct {
	ID   string
	Name string
	// Date is the drop date, the due date of its pre-orders (midnight UTC when written as a
	// plain date).
	Date time.Time
	// Windows is the most units of each SKU the drop may sell.
	Windows map[string]int
	Line    int
}

// Person is someone who signs in: operators with a PIN, the others with a password.
type Person struct {
	ID   string
	Name string
	// PublicName is the name a unit's public page and certificate may show for the person, as
	// they chose it; empty when they did not opt in, and then they are never named publicly.
	PublicName string
	Role       string
	// PIN and Password hold a clear-text credential written in the file (a demo credential);
	// PINHash and PasswordHash hold a bcrypt hash. At most one of each pair is set.
	PIN          string
	PINHash      string
	Password     string
	PasswordHash string
	Line         int
}

// Token is a bearer token for an API client.
type Token struct {
	Name string
	Role string
	// Token is a clear-text token written in the file (a demo credential); SHA256 is the hex
	// SHA-256 of the token. Exactly one is set.
	Token  string
	SHA256 string
	Line   int
}

// HasDemoCredentials reports whether any credential is written in clear in the file. Such a
// configuration must only serve on a loopback address.
func (f *Factory) HasDemoCredentials() bool {
	for _, p := range f.People {
		if p.PIN != "" || p.Password != "" {
			return true
		}
	}
	for _, t := range f.Tokens {
		if t.Token != "" {
			return true
		}
	}
	return false
}

// Product returns the product with the given SKU: one of the studio's, or the routing of a
// repair's work order (see RepairSKU).
func (f *Factory) Product(sku string) (Product, bool) {
	if IsRepairSKU(sku) {
		return f.repairProduct(sku)
	}
	for _, p := range f.Products {
		if p.SKU == sku {
			return p, true
		}
	}
	return Product{}, false
}

// Drop returns the drop with the given id.
func (f *Factory) Drop(id string) (Drop, bool) {
	for _, d := range f.Drops {
		if d.ID == id {
			return d, true
		}
	}
	return Drop{}, false
}

// SerialLine returns the serial line with the given id.
func (f *Factory) SerialLine(id string) (SerialLine, bool) {
	for _, l := range f.SerialLines {
		if l.ID == id {
			return l, true
		}
	}
	return SerialLine{}, false
}

// Device returns the device with the given id and the cell holding it.
func (f *Factory) Device(id string) (Device, Cell, bool) {
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			if d.ID == id {
				return d, c, true
			}
		}
	}
	return Device{}, Cell{}, false
}

// Cell returns the cell with the given id.
func (f *Factory) Cell(id string) (Cell, bool) {
	for _, c := range f.Cells {
		if c.ID == id {
			return c, true
		}
	}
	return Cell{}, false
}
