package configs

import (
	"strings"
	"time"
)

// The aftercare section describes the studio's repairs: the kinds of item it repairs with the
// checklist of each, the catalogue of services (each a routing through the cells, its parts and
// its fee), the care plans it sells and how estimates are priced and promised. Without it the
// studio takes no repairs.

// Aftercare is the studio's repair and aftercare service.
type Aftercare struct {
	// PublicIntake lets a customer request a repair on a unit's public page, with no account.
	PublicIntake bool
	// EstimateValid is how long a customer may approve an estimate after it is made
	// (DefaultEstimateValid when the file leaves it out).
	EstimateValid time.Duration
	// Currency is the ISO 4217 code prices are in (DefaultCurrency when left out).
	Currency string
	// LabourRate is the price of an hour of a service's standard time (its routing's setup and
	// unit times for one unit).
	LabourRate Money
	// ExpressPremium is the premium of an express date, in percent of what the estimate charges
	// for before it.
	ExpressPremium int
	// Diagnosis is the routing step of a repair's diagnosis: its capability (a repair cell's),
	// standard time and name.
	Diagnosis Step
	// SlipPrinter is the id of the label printer device that prints a repair's parcel slip at
	// intake; empty when slips are not printed (the slip's page can still be printed).
	SlipPrinter string
	Kinds       []ItemKind
	Services    []Service
	CarePlans   []CarePlan
	Line        int
}

// Money is an amount in the currency's minor unit (cents), written in the file as a decimal with
// at most two places (45, 45.5, 45.50).
type Money int64

// String formats m with two decimal places, for example 45.50.
func (m Money) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strings.Builder{}
	if neg {
		s.WriteByte('-')
	}
	whole, cents := int64(m)/100, int64(m)%100
	s.WriteString(itoa(whole))
	s.WriteByte('.')
	if cents < 10 {
		s.WriteByte('0')
	}
	s.WriteString(itoa(cents))
	return s.String()
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Defaults of the aftercare section.
const (
	DefaultEstimateValid = 14 * 24 * time.Hour
	DefaultCurrency      = "EUR"
)

// ItemKind is a kind of item the studio repairs (a rug, a ring), with the checklist intake asks
// about it.
type ItemKind struct {
	ID   string
	Name string
	// SKUs are the studio's products of this kind: a repair of one of its units is of this kind.
	SKUs      []string
	Checklist []CheckItem
	Line      int
}

// CheckItem is one question of a kind's intake checklist: a yes or no (holes, stains) or a value
// the customer writes (resize to).
type CheckItem struct {
	ID    string
	Label string
	// Input is CheckBox or CheckText.
	Input string
	Line  int
}

// Inputs of checklist items.
const (
	CheckBox  = "check"
	CheckText = "text"
)

// Service is a repair the studio offers: its routing through the cells (for one item), the parts
// it uses and its fee, for the kinds of item it applies to.
type Service struct {
	ID    string
	Name  string
	Kinds []string
	// Fee is the service's price before labour and parts.
	Fee     Money
	Parts   []Part
	Routing []Step
	Line    int
}

// Part is a part a service uses, with its price.
type Part struct {
	Name  string
	Price Money
	Line  int
}

// CarePlan is a tier of care a unit or a customer holds for a term: the services it covers, each
// so many times.
type CarePlan struct {
	ID    string
	Name  string
	Term  time.Duration
	Price Money
	// Covers are the services the plan covers, each at most Count times within its term.
	Covers []Cover
	Line   int
}

// Cover is a service a care plan covers Count times.
type Cover struct {
	Service string
	Count   int
}

// RepairSKUPrefix begins the SKU of a repair's work order: a repair's work is one work order
// whose routing is its services' routings in the order chosen (see RepairSKU), and its
// diagnosis one whose routing is the diagnosis step alone (DiagnosisSKU). No product's SKU holds
// its ':' (see the sku rule), so none is mistaken for one.
const RepairSKUPrefix = "repair:"

// DiagnosisSKU is the SKU of a repair's diagnosis work order.
const DiagnosisSKU = RepairSKUPrefix + "diagnosis"

// RepairSKU is the SKU of the work order that carries out services, in order.
func RepairSKU(services []string) string {
	return RepairSKUPrefix + strings.Join(services, "+")
}

// IsRepairSKU reports whether sku is a repair's work order's (a diagnosis or services), which
// makes no new units.
func IsRepairSKU(sku string) bool { return strings.HasPrefix(sku, RepairSKUPrefix) }

// Service returns the service with the given id.
func (a *Aftercare) Service(id string) (Service, bool) {
	if a == nil {
		return Service{}, false
	}
	for _, s := range a.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

// Kind returns the item kind with the given id.
func (a *Aftercare) Kind(id string) (ItemKind, bool) {
	if a == nil {
		return ItemKind{}, false
	}
	for _, k := range a.Kinds {
		if k.ID == id {
			return k, true
		}
	}
	return ItemKind{}, false
}

// KindOf returns the item kind whose SKUs hold sku.
func (a *Aftercare) KindOf(sku string) (ItemKind, bool) {
	if a == nil {
		return ItemKind{}, false
	}
	for _, k := range a.Kinds {
		for _, s := range k.SKUs {
			if s == sku {
				return k, true
			}
		}
	}
	return ItemKind{}, false
}

// CarePlan returns the care plan with the given id.
func (a *Aftercare) CarePlan(id string) (CarePlan, bool) {
	if a == nil {
		return CarePlan{}, false
	}
	for _, p := range a.CarePlans {
		if p.ID == id {
			return p, true
		}
	}
	return CarePlan{}, false
}

// repairProduct is the product of a repair's work order's SKU: the diagnosis step alone, or its
// services' routings in order.
func (f *Factory) repairProduct(sku string) (Product, bool) {
	a := f.Aftercare
	if a == nil {
		return Product{}, false
	}
	if sku == DiagnosisSKU {
		return Product{SKU: sku, Name: a.Diagnosis.Name, Routing: []Step{a.Diagnosis}, Line: a.Line}, true
	}
	ids := strings.Split(strings.TrimPrefix(sku, RepairSKUPrefix), "+")
	p := Product{SKU: sku, Line: a.Line}
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		s, ok := a.Service(id)
		if !ok {
			return Product{}, false
		}
		names = append(names, s.Name)
		p.Routing = append(p.Routing, s.Routing...)
	}
	p.Name = strings.Join(names, ", ")
	return p, true
}
