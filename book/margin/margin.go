// Package margin computes the economics of a drop: its revenue, the cost of its cells' time and
// of its materials, and the margin left, predicted from the plan and actual from what the floor
// measured, per SKU and in all. It is a pure computation over the operations the book reads and
// the prices, rates and material costs of the factory's config: it must not import the book, a
// store or anything that does I/O.
//
// Money is exact in cents. The cost of an operation's time is the only amount that is not a
// whole number of cents; it is rounded once per operation, half away from zero.
package margin

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Run is a measured running interval of an operation at a cell.
type Run struct {
	Cell string
	Time time.Duration
}

// Slot is where and for how long the plan puts the part of an operation still to do.
type Slot struct {
	Cell string
	Time time.Duration
}

// Operation is what the margin needs of one operation of a drop's work orders.
type Operation struct {
	ID        int64
	WorkOrder int64
	SKU       string
	// Step is the index of the routing step it follows (its material cost).
	Step int
	// Capability is what a cell must offer to do it: the cheapest such cell prices an
	// operation neither planned nor started.
	Capability string
	// Quantity is the units it is to make; Done and Scrapped what it made and lost so far.
	Quantity, Done, Scrapped int
	// Standard is its standard time (set-up and every unit).
	Standard time.Duration
	// Runs are its measured running intervals, the one still running until now.
	Runs []Run
	// Plan is the plan's slot of what is left to do, nil when the plan does not hold it.
	Plan *Slot
	// Finished is true once it is done or scrapped: nothing more is to come of it.
	Finished bool
}

// started reports whether the operation has run at all.
func (o Operation) started() bool { return len(o.Runs) > 0 || o.Done > 0 }

// Input is a drop's operations with what was ordered and made of each SKU.
type Input struct {
	Drop string
	// Ordered is the units ordered per SKU; Made the good units finished per SKU (the
	// finished units of the drop's work orders, remakes included).
	Ordered, Made map[string]int
	// Operations are every operation of the drop's work orders, reworks and remakes included.
	Operations []Operation
}

// Figures are one side of a margin, predicted or actual.
type Figures struct {
	Units        int           `json:"units"`
	Revenue      configs.Money `json:"revenue"`
	TimeCost     configs.Money `json:"time_cost"`
	MaterialCost configs.Money `json:"material_cost"`
	// ScrapCost is the part of TimeCost and MaterialCost that went into units scrapped (the
	// actual side only).
	ScrapCost configs.Money `json:"scrap_cost"`
	// Hours is the cells' time, in hours.
	Hours float64 `json:"hours"`
	// Margin is Revenue less TimeCost and MaterialCost.
	Margin configs.Money `json:"margin"`
	// MarginPct is Margin over Revenue in percent, rounded to 0.1; nil when Revenue is 0.
	MarginPct *float64 `json:"margin_pct"`
}

// Line is the margin of one SKU of a drop.
type Line struct {
	SKU       string        `json:"sku"`
	Price     configs.Money `json:"price"`
	Predicted Figures       `json:"predicted"`
	Actual    Figures       `json:"actual"`
}

// Margin is the margin of a drop: a line per SKU, by SKU, and the total.
type Margin struct {
	Drop     string `json:"drop"`
	Currency string `json:"currency"`
	Lines    []Line `json:"lines"`
	// Total adds the lines up (its SKU empty, its Price 0).
	Total Line `json:"total"`
}

// Compute returns the margin of a drop from its operations and the factory's prices, rates and
// material costs.
//
// Predicted: revenue is the units ordered at the SKU's price; an operation's time is what it
// ran so far plus its planned slot, at the planned cell, or, when the plan does not hold it and
// it has not started, its standard time at the cheapest cell that offers its capability; its
// material is the step's cost for every unit of its quantity. An operation finished is what it
// measured, and one scrapped before it ever started costs nothing.
//
// Actual: revenue is the good units made at the SKU's price; an operation's time is what it
// ran, at the cells it ran at; its material is the step's cost for the units done and scrapped
// there. Scrap's cost is, for each operation, the share of its time and material of the units
// scrapped there.
func Compute(f *configs.Factory, in Input) Margin {
	m := Margin{Drop: in.Drop, Currency: f.Currency}
	rates := make(map[string]configs.Money, len(f.Cells))
	for _, c := range f.Cells {
		rates[c.ID] = c.LabourRate + c.MachineRate
	}
	cheapest := cheapestCells(f)
	lines := make(map[string]*Line)
	line := func(sku string) *Line {
		l, ok := lines[sku]
		if !ok {
			l = &Line{SKU: sku}
			if p, found := f.Product(sku); found {
				l.Price = p.Price
			}
			lines[sku] = l
		}
		return l
	}
	for sku, n := range in.Ordered {
		l := line(sku)
		l.Predicted.Units += n
		l.Predicted.Revenue += configs.Money(n) * l.Price
	}
	for sku, n := range in.Made {
		l := line(sku)
		l.Actual.Units += n
		l.Actual.Revenue += configs.Money(n) * l.Price
	}
	for _, op := range in.Operations {
		l := line(op.SKU)
		material := materialCost(f, op.SKU, op.Step)

		// Actual: what was measured.
		var measured time.Duration
		var runCost rateTime
		for _, r := range op.Runs {
			measured += r.Time
			runCost.add(r.Time, rates[r.Cell])
		}
		used := op.Done + op.Scrapped
		actualTime := runCost.cents()
		actualMaterial := material * configs.Money(used)
		l.Actual.TimeCost += actualTime
		l.Actual.MaterialCost += actualMaterial
		l.Actual.Hours += measured.Hours()
		if op.Scrapped > 0 && used > 0 {
			l.Actual.ScrapCost += runCost.share(op.Scrapped, used) + material*configs.Money(op.Scrapped)
		}

		// Predicted: the plan for what is left, the measure for what is done.
		predicted := runCost
		hours := measured
		units := op.Quantity
		switch {
		case op.Finished:
			units = used
		case op.Plan != nil:
			predicted.add(op.Plan.Time, rates[op.Plan.Cell])
			hours += op.Plan.Time
		case !op.started():
			if c, ok := cheapest[op.Capability]; ok {
				predicted.add(op.Standard, rates[c])
			}
			hours += op.Standard
		}
		l.Predicted.TimeCost += predicted.cents()
		l.Predicted.MaterialCost += material * configs.Money(units)
		l.Predicted.Hours += hours.Hours()
	}
	skus := make([]string, 0, len(lines))
	for sku := range lines {
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	m.Lines = make([]Line, 0, len(skus))
	for _, sku := range skus {
		l := *lines[sku]
		m.Total.Predicted.add(l.Predicted)
		m.Total.Actual.add(l.Actual)
		l.Predicted.finish()
		l.Actual.finish()
		m.Lines = append(m.Lines, l)
	}
	m.Total.Predicted.finish()
	m.Total.Actual.finish()
	return m
}

// add adds g's amounts to f's.
func (f *Figures) add(g Figures) {
	f.Units += g.Units
	f.Revenue += g.Revenue
	f.TimeCost += g.TimeCost
	f.MaterialCost += g.MaterialCost
	f.ScrapCost += g.ScrapCost
	f.Hours += g.Hours
}

// finish sets the margin and its percentage from the amounts.
func (f *Figures) finish() {
	f.Hours = math.Round(f.Hours*100) / 100
	f.Margin = f.Revenue - f.TimeCost - f.MaterialCost
	f.MarginPct = nil
	if f.Revenue != 0 {
		pct := math.Round(float64(f.Margin)*1000/float64(f.Revenue)) / 10
		f.MarginPct = &pct
	}
}

// materialCost is the material cost per unit of a SKU's step, zero when the config has none.
func materialCost(f *configs.Factory, sku string, step int) configs.Money {
	p, ok := f.Product(sku)
	if !ok || step < 0 || step >= len(p.Routing) {
		return 0
	}
	return p.Routing[step].MaterialCost
}

// cheapestCells returns, per capability, the cell offering it whose hour costs least (the
// first in the file among equals).
func cheapestCells(f *configs.Factory) map[string]string {
	best := make(map[string]string)
	cost := make(map[string]configs.Money)
	for _, c := range f.Cells {
		r := c.LabourRate + c.MachineRate
		for _, capability := range c.Capabilities {
			if have, ok := cost[capability]; !ok || r < have {
				best[capability], cost[capability] = c.ID, r
			}
		}
	}
	return best
}

// nsPerHour is an hour in nanoseconds, the divisor of an amount of time at an hourly rate.
const nsPerHour = uint64(time.Hour)

// rateTime sums time at hourly rates exactly, as nanosecond-cents (a 128-bit sum), so that an
// operation's time cost is rounded once, however many intervals it ran.
type rateTime struct{ hi, lo uint64 }

// add adds d at rate cents per hour; a negative d or rate adds nothing.
func (r *rateTime) add(d time.Duration, rate configs.Money) {
	if d <= 0 || rate <= 0 {
		return
	}
	hi, lo := bits.Mul64(uint64(d), uint64(rate))
	var carry uint64
	r.lo, carry = bits.Add64(r.lo, lo, 0)
	r.hi, _ = bits.Add64(r.hi, hi, carry)
}

// cents returns the sum in cents, rounded half away from zero.
func (r rateTime) cents() configs.Money { return roundDiv(r.hi, r.lo, nsPerHour) }

// share returns part/whole of the sum in cents, rounded half away from zero.
func (r rateTime) share(part, whole int) configs.Money {
	hi, lo := mul128(r.hi, r.lo, uint64(part))
	return roundDiv(hi, lo, nsPerHour*uint64(whole))
}

// mul128 multiplies the 128-bit hi:lo by m, keeping the low 128 bits (amounts of money never
// come near them).
func mul128(hi, lo, m uint64) (uint64, uint64) {
	h, l := bits.Mul64(lo, m)
	return h + hi*m, l
}

// roundDiv returns hi:lo / d rounded half up (the amounts are never negative).
func roundDiv(hi, lo, d uint64) configs.Money {
	var carry uint64
	lo, carry = bits.Add64(lo, d/2, 0)
	hi += carry
	if hi >= d {
		return configs.Money(math.MaxInt64)
	}
	q, _ := bits.Div64(hi, lo, d)
	return configs.Money(q)
}
