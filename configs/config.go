// Package configs owns the factory model as a studio writes it in YAML: its cells and their
// devices, its products and their routings, its drops, its people and its API tokens.
//
// Parse decodes strictly (an unknown key is an error), applies defaults and validates, and every
// error names the file, the line, the object and the field. The package parses bytes handed to it;
// it never reads files or the environment itself. It imports only the standard library and the
// YAML decoder, so every other package may import it.
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
	Name     string
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
	Line         int // line of the cell in the file
}

// Device is a machine held by a cell. The devices issue fills in protocol details.
type Device struct {
	ID   string
	Kind string // loom, dye-station, micro-printer, label-printer
	Line int
}

// Product is a SKU with its routing.
type Product struct {
	SKU     string
	Name    string
	Routing []Step
	Line    int
}

// Step is one operation of a routing: the capability it needs, its standard time per unit, its
// setup time and, optionally, the changeover attribute a scheduler counts changeovers by.
type Step struct {
	Name       string // optional display name, defaults to the capability
	Capability string
	UnitTime   time.Duration
	Setup      time.Duration
	Changeover *Changeover // nil when the step has none
	Line       int
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
	Role string
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

// Product returns the product with the given SKU.
func (f *Factory) Product(sku string) (Product, bool) {
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

// Cell returns the cell with the given id.
func (f *Factory) Cell(id string) (Cell, bool) {
	for _, c := range f.Cells {
		if c.ID == id {
			return c, true
		}
	}
	return Cell{}, false
}
