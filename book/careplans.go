package book

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// A care plan holding entitles a unit (by serial) or a customer (by exact name) to the
// services its plan covers, each so many times within its term. An estimate applies what is
// left: a use is recorded with the estimate, reserving the entitlement, and released when the
// estimate is declined or expires. Writes are serialized and each estimate reads the uses in
// its own transaction, so an entitlement is used once and only once.

// CarePlanHolding is a care plan a unit or a customer holds.
type CarePlanHolding struct {
	ID   int64  `json:"id"`
	Plan string `json:"plan"`
	// Serial is the unit that holds it; or Customer, by name, when Serial is empty.
	Serial   string    `json:"serial,omitempty"`
	Customer string    `json:"customer,omitempty"`
	Start    time.Time `json:"start"`
	// End is Start and the plan's term: the holding is active when Start <= t < End.
	End     time.Time `json:"end"`
	Actor   Actor     `json:"actor"`
	AddedAt time.Time `json:"added_at"`
}

// Active reports whether h is active at t.
func (h CarePlanHolding) Active(t time.Time) bool { return !t.Before(h.Start) && t.Before(h.End) }

// CarePlanUse is a service of a repair's estimate that a holding covers.
type CarePlanUse struct {
	Holding int64     `json:"holding"`
	Repair  string    `json:"repair"`
	Service string    `json:"service"`
	At      time.Time `json:"at"`
}

// CarePlanStanding is a holding with what it still covers at a time.
type CarePlanStanding struct {
	CarePlanHolding
	Active bool `json:"active"`
	// Left is, per service its plan covers, the count less the live uses (none when the
	// holding is not active).
	Left map[string]int `json:"left"`
}

// AddCarePlan records a holding of a care plan, sold by h.Actor: for a unit (a finished
// unit's serial) or a customer (a name), from h.Start (now when zero) for the plan's term. It
// returns the holding stored.
func (b *Book) AddCarePlan(ctx context.Context, h CarePlanHolding) (CarePlanHolding, error) {
	a, err := b.aftercare()
	if err != nil {
		return CarePlanHolding{}, err
	}
	plan, ok := a.CarePlan(h.Plan)
	if !ok {
		return CarePlanHolding{}, fieldErr("plan", "%q is not a care plan of the studio", h.Plan)
	}
	h.Serial = strings.TrimSpace(h.Serial)
	switch {
	case h.Serial != "" && h.Customer != "":
		return CarePlanHolding{}, fieldErr("customer", "a plan is held by a unit or by a customer, not both")
	case h.Serial == "":
		if h.Customer, err = repairText("customer", h.Customer, MaxRepairCustomer, true, false); err != nil {
			return CarePlanHolding{}, err
		}
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		if h.Serial != "" {
			if _, err := finishedUnit(tx, h.Serial); err != nil {
				return err
			}
		}
		if h.Start.IsZero() {
			h.Start = now
		}
		h.Start = h.Start.UTC().Truncate(time.Microsecond)
		h.End = h.Start.Add(plan.Term)
		h.AddedAt = now
		if err := tx.InsertCarePlanHolding(&h); err != nil {
			return fmt.Errorf("storing a holding of care plan %s: %w", h.Plan, err)
		}
		return b.event(tx, Event{At: now, Actor: string(h.Actor), Kind: EventCarePlanAdded,
			Reason: fmt.Sprintf("care plan %s, holding %d", h.Plan, h.ID)})
	})
	if err != nil {
		return CarePlanHolding{}, err
	}
	return h, nil
}

// CarePlans returns the holdings of a unit (serial) and of a customer (by name; either may be
// empty), the unit's first, each with what it still covers at at.
func (b *Book) CarePlans(ctx context.Context, serial, customer string, at time.Time) ([]CarePlanStanding, error) {
	a, err := b.aftercare()
	if err != nil {
		return nil, err
	}
	var out []CarePlanStanding
	err = b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = standings(tx, a, serial, customer, at)
		return err
	})
	return out, err
}

// standings reads the holdings of serial and customer with what each covers at at.
func standings(tx ReadTx, a *configs.Aftercare, serial, customer string, at time.Time) ([]CarePlanStanding, error) {
	if serial == "" && customer == "" {
		return nil, nil
	}
	hs, err := tx.CarePlanHoldings(serial, customer)
	if err != nil {
		return nil, fmt.Errorf("reading care plan holdings: %w", err)
	}
	ids := make([]int64, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	uses, err := tx.CarePlanUses(ids, at)
	if err != nil {
		return nil, fmt.Errorf("reading care plan uses: %w", err)
	}
	used := map[int64]map[string]int{}
	for _, u := range uses {
		if used[u.Holding] == nil {
			used[u.Holding] = map[string]int{}
		}
		used[u.Holding][u.Service]++
	}
	out := make([]CarePlanStanding, 0, len(hs))
	for _, h := range hs {
		s := CarePlanStanding{CarePlanHolding: h, Active: h.Active(at), Left: map[string]int{}}
		plan, _ := a.CarePlan(h.Plan)
		for _, c := range plan.Covers {
			if s.Active {
				s.Left[c.Service] = max(c.Count-used[h.ID][c.Service], 0)
			} else {
				s.Left[c.Service] = 0
			}
		}
		out = append(out, s)
	}
	// the unit's holdings first
	unit := out[:0:0]
	var cust []CarePlanStanding
	for _, s := range out {
		if s.Serial != "" {
			unit = append(unit, s)
		} else {
			cust = append(cust, s)
		}
	}
	return append(unit, cust...), nil
}

// coverage works out which holding covers each of services of repair r at now (the unit's
// first, then the customer's, each service by the first holding with an entitlement left),
// and the uses that reserve them.
func (b *Book) coverage(tx ReadTx, a *configs.Aftercare, r Repair, services []string, now time.Time) (map[string]Coverage, []CarePlanUse, error) {
	ss, err := standings(tx, a, r.Serial, r.Customer, now)
	if err != nil {
		return nil, nil, err
	}
	covered := map[string]Coverage{}
	var uses []CarePlanUse
	for _, id := range services {
		for _, s := range ss {
			if s.Serial == "" && s.Customer != r.Customer {
				continue
			}
			if s.Left[id] > 0 {
				covered[id] = Coverage{Holding: s.ID, Plan: s.Plan}
				uses = append(uses, CarePlanUse{Holding: s.ID, Repair: r.ID, Service: id, At: now})
				s.Left[id]--
				break
			}
		}
	}
	return covered, uses, nil
}
