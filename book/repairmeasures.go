package book

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// RepairMeasures are how the studio's repairs and care plans stand over a window.
type RepairMeasures struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// RepairedUnits is the distinct serials of the repairs opened in the window, of
	// FinishedUnits units finished; RepairRate their ratio (0 without finished units).
	RepairedUnits int     `json:"repaired_units"`
	FinishedUnits int     `json:"finished_units"`
	RepairRate    float64 `json:"repair_rate"`
	// PlanCustomers is the distinct customers holding a care plan active at To (by name, or as
	// the customer of the order of a unit that holds one), of OrderCustomers, the distinct
	// customers of the drops' orders; ReuseRate their ratio.
	PlanCustomers  int     `json:"plan_customers"`
	OrderCustomers int     `json:"order_customers"`
	ReuseRate      float64 `json:"reuse_rate"`
	// Ready is how many repairs got ready in the window; Median and P90 their turnaround from
	// intake to ready (nearest rank).
	Ready         int           `json:"ready"`
	Median        time.Duration `json:"-"`
	P90           time.Duration `json:"-"`
	MedianSeconds float64       `json:"median_seconds"`
	P90Seconds    float64       `json:"p90_seconds"`
	// Approved and Decided are the estimates approved, and approved or declined, in the
	// window; Revenue the sum of the approved totals (the choice made).
	Approved int           `json:"approved"`
	Decided  int           `json:"decided"`
	Revenue  configs.Money `json:"revenue"`
	// States counts every repair by its state at To.
	States map[RepairState]int `json:"states"`
}

// RepairMeasures returns the repair measures of the window [from, to).
func (b *Book) RepairMeasures(ctx context.Context, from, to time.Time) (RepairMeasures, error) {
	if !from.Before(to) {
		return RepairMeasures{}, fieldErr("from", "%s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	m := RepairMeasures{From: from, To: to, States: map[RepairState]int{}}
	err := b.store.Read(ctx, func(tx ReadTx) error {
		rs, err := tx.Repairs(RepairFilter{At: to})
		if err != nil {
			return fmt.Errorf("reading repairs: %w", err)
		}
		in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
		serials := map[string]bool{}
		var turns []time.Duration
		for _, r := range rs {
			derive(&r, to)
			m.States[r.State]++
			if r.Serial != "" && in(r.IntakeAt) {
				serials[r.Serial] = true
			}
			if r.ReadyAt != nil && in(*r.ReadyAt) {
				turns = append(turns, r.ReadyAt.Sub(r.IntakeAt))
			}
			if d := r.Decision; d != nil && in(d.At) {
				m.Decided++
				if d.Approve {
					m.Approved++
					m.Revenue += r.Estimate.Total(d.Express)
				}
			}
		}
		m.RepairedUnits = len(serials)
		if m.FinishedUnits, err = tx.FinishedUnitCount(); err != nil {
			return fmt.Errorf("counting finished units: %w", err)
		}
		slices.Sort(turns)
		m.Ready = len(turns)
		if len(turns) > 0 {
			m.Median, m.P90 = nearestRank(turns, 0.5), nearestRank(turns, 0.9)
		}
		hs, err := tx.ActiveCarePlanHoldings(to)
		if err != nil {
			return fmt.Errorf("reading care plan holdings: %w", err)
		}
		customers := map[string]bool{}
		for _, h := range hs {
			c := h.Customer
			if h.Serial != "" {
				if c, err = unitCustomer(tx, h.Serial); err != nil {
					return err
				}
			}
			if c != "" {
				customers[c] = true
			}
		}
		m.PlanCustomers = len(customers)
		m.OrderCustomers, err = tx.OrderCustomers()
		return err
	})
	if err != nil {
		return RepairMeasures{}, err
	}
	m.MedianSeconds, m.P90Seconds = m.Median.Seconds(), m.P90.Seconds()
	if m.FinishedUnits > 0 {
		m.RepairRate = float64(m.RepairedUnits) / float64(m.FinishedUnits)
	}
	if m.OrderCustomers > 0 {
		m.ReuseRate = float64(m.PlanCustomers) / float64(m.OrderCustomers)
	}
	return m, nil
}

// unitCustomer returns the customer of the order of the unit serial.
func unitCustomer(tx ReadTx, serial string) (string, error) {
	u, err := tx.Unit(serial)
	if err != nil {
		return "", fmt.Errorf("reading unit %q: %w", serial, err)
	}
	os, err := tx.Orders([]string{u.OrderID})
	if err != nil {
		return "", fmt.Errorf("reading order %q: %w", u.OrderID, err)
	}
	return os[u.OrderID].Customer, nil
}
