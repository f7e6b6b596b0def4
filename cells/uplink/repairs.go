package uplink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/cells/planner"
)

// heldRepair is a network repair the site opened.
type heldRepair struct {
	// Route is the route of the repair the site last acknowledged as opened.
	Route int `json:"route"`
	// SiteRepair is the book's id of the repair ("R-000042").
	SiteRepair string `json:"site_repair"`
}

// workPromiser is the optional ability of a Promiser to promise one work order's dates, as a
// repair's page promises them; *planner.Planner has it. Without it the site promises no repair.
type workPromiser interface {
	PromiseWork(ctx context.Context, cand book.Candidate) (planner.WorkPromise, error)
}

var _ workPromiser = (*planner.Planner)(nil)

// routeRepairs opens the repairs routed to the site and acknowledges each, opened (with the
// book's repair id) or declined with the book's reason. A repair is opened at the counter with
// the network's repair id as its external id, so that a message handed over again after a
// crash finds the repair it opened instead of opening a second. When the book cannot be
// written for now the error is returned and the link hands the message over again.
func (u *Uplink) routeRepairs(ctx context.Context, msg network.RouteRepairs) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	acks := make([]network.RepairAck, 0, len(msg.Repairs))
	for _, r := range msg.Repairs {
		ack, err := u.openRepair(ctx, r)
		if err != nil {
			return errors.Join(err, u.save())
		}
		acks = append(acks, ack)
		u.log.Info("routed repair answered", "repair", r.RepairID, "route", r.Route, "taken", ack.Taken,
			"site_repair", ack.SiteRepair, "reason", ack.Reason)
	}
	if err := u.save(); err != nil {
		return err
	}
	return u.send(network.KindRepairAck, network.RepairAcks{Repairs: acks})
}

// openRepair answers one routed repair; under mu. An error says the book could not answer for
// now.
func (u *Uplink) openRepair(ctx context.Context, r network.RoutedRepair) (network.RepairAck, error) {
	ack := network.RepairAck{RepairID: r.RepairID, Route: r.Route}
	if h, ok := u.st.Repairs[r.RepairID]; ok && h.Route >= r.Route {
		ack.Taken, ack.SiteRepair = true, h.SiteRepair
		return ack, nil
	}
	had, err := u.cfg.Book.RepairByExternal(ctx, r.RepairID)
	switch {
	case err == nil:
		// Opened before (the state lost it to a crash, or an earlier route): the book holds it.
		u.st.Repairs[r.RepairID] = heldRepair{Route: r.Route, SiteRepair: had.ID}
		ack.Taken, ack.SiteRepair = true, had.ID
		return ack, nil
	case !errors.Is(err, book.ErrNotFound):
		return ack, fmt.Errorf("looking up repair %q: %w", r.RepairID, err)
	}
	now := u.cfg.Now()
	if deadline := r.AckBy.Add(-u.cfg.Margin); !now.Before(deadline) {
		ack.Reason = fmt.Sprintf("route %d of repair %q came too late: it had to be opened by %s (%s less a margin of %s for the clocks), it is %s",
			r.Route, r.RepairID, deadline.UTC().Format(time.RFC3339), r.AckBy.UTC().Format(time.RFC3339), u.cfg.Margin, now.UTC().Format(time.RFC3339))
		return ack, nil
	}
	opened, err := u.open(ctx, r)
	if errors.Is(err, book.ErrInvalid) || errors.Is(err, book.ErrNoAftercare) {
		ack.Reason = err.Error()
		return ack, nil
	}
	if err != nil {
		return ack, fmt.Errorf("opening repair %q (route %d): %w", r.RepairID, r.Route, err)
	}
	u.st.Repairs[r.RepairID] = heldRepair{Route: r.Route, SiteRepair: opened.ID}
	ack.Taken, ack.SiteRepair = true, opened.ID
	return ack, nil
}

// open opens a routed repair at the counter: of the unit's serial when the book holds the
// unit, else of the item "unit SERIAL made at another site" of its kind.
func (u *Uplink) open(ctx context.Context, r network.RoutedRepair) (book.Repair, error) {
	in := book.RepairIntake{Source: book.SourceCounter, Serial: r.Serial, Item: r.Item, Kind: r.Kind,
		Customer: r.Customer, Contact: r.Contact, Description: r.Description, Actor: Actor, External: r.RepairID}
	opened, _, err := u.cfg.Book.OpenRepair(ctx, in)
	if r.Serial != "" && errors.Is(err, book.ErrUnknownUnit) {
		in.Serial, in.Item = "", fmt.Sprintf("unit %s made at another site", r.Serial)
		opened, _, err = u.cfg.Book.OpenRepair(ctx, in)
	}
	return opened, err
}

// withdrawRepairs answers the hub's withdrawals of repairs. The book cannot undo a repair it
// opened (it is received, its diagnosis work order made): a repair the site opened is kept and
// reported with its state, which gives it back to the site at the hub when it has not been
// opened elsewhere. A repair the site never opened needs nothing.
func (u *Uplink) withdrawRepairs(ctx context.Context, msg network.WithdrawRepairs) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	touched := make(map[string]int64)
	version, err := u.cfg.Book.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("reading the book's latest event: %w", err)
	}
	for _, w := range msg.Repairs {
		had, err := u.cfg.Book.RepairByExternal(ctx, w.RepairID)
		if errors.Is(err, book.ErrNotFound) {
			u.log.Info("repair withdrawn: the site never opened it", "repair", w.RepairID, "route", w.Route, "reason", w.Reason)
			continue
		}
		if err != nil {
			return fmt.Errorf("looking up repair %q: %w", w.RepairID, err)
		}
		if _, ok := u.st.Repairs[w.RepairID]; !ok {
			u.st.Repairs[w.RepairID] = heldRepair{Route: w.Route, SiteRepair: had.ID}
		}
		u.log.Warn("repair withdrawal declined: the book cannot undo a repair it opened; its state is reported",
			"repair", w.RepairID, "site_repair", had.ID, "state", had.State, "reason", w.Reason)
		touched[w.RepairID] = version
	}
	if err := u.save(); err != nil {
		return err
	}
	return u.reportRepairs(ctx, touched)
}

// touchedRepairs returns the network repairs the events touch, by network id, each with the
// id of the last event that touched it; under mu.
func (u *Uplink) touchedRepairs(events []book.Event) map[string]int64 {
	if len(u.st.Repairs) == 0 {
		return nil
	}
	bySite := make(map[string]string, len(u.st.Repairs))
	for id, h := range u.st.Repairs {
		bySite[h.SiteRepair] = id
	}
	touched := make(map[string]int64)
	for _, e := range events {
		if id, ok := bySite[e.OrderID]; ok && e.OrderID != "" {
			touched[id] = e.ID
		}
	}
	return touched
}

// reportRepairs sends the progress of the network repairs touched, each with its version;
// under mu.
func (u *Uplink) reportRepairs(ctx context.Context, touched map[string]int64) error {
	if len(touched) == 0 {
		return nil
	}
	ids := make([]string, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := network.RepairProgresses{Repairs: make([]network.RepairProgress, 0, len(ids))}
	for _, id := range ids {
		h := u.st.Repairs[id]
		r, err := u.cfg.Book.Repair(ctx, h.SiteRepair)
		if err != nil {
			return fmt.Errorf("reading repair %s (network repair %q): %w", h.SiteRepair, id, err)
		}
		out.Repairs = append(out.Repairs, network.RepairProgress{RepairID: id, Route: h.Route, State: repairState(r.State),
			SiteState: string(r.State), SiteRepair: r.ID, Version: touched[id], At: u.cfg.Now().UTC()})
	}
	return u.send(network.KindRepairProgress, out)
}

// repairState is where a repair in the book's state s stands for the network: accepted until
// it is diagnosed, started from its estimate until it is returned, done once returned.
func repairState(s book.RepairState) network.OrderState {
	switch s {
	case book.RepairRequested, book.RepairReceived:
		return network.Accepted
	case book.RepairReturned:
		return network.Done
	}
	return network.Started
}

// repairPromises promises the diagnosis of each requested repair whose kind the site repairs:
// its standard date, as the repair's page would promise it. A site whose planner promises no
// work order, or that takes no repairs, promises none.
func (u *Uplink) repairPromises(ctx context.Context, repairs []network.RoutedRepair) ([]network.Promise, error) {
	wp, ok := u.cfg.Planner.(workPromiser)
	if len(repairs) == 0 || !ok {
		return nil, nil
	}
	kinds := u.cfg.Book.RepairKinds()
	cand, err := u.cfg.Book.DiagnosisCandidate()
	if err != nil {
		u.log.Info("promise: repairs left out", "repairs", len(repairs), "err", err)
		return nil, nil
	}
	var out []network.Promise
	for _, r := range repairs {
		if !slices.Contains(kinds, r.Kind) {
			continue
		}
		p, err := wp.PromiseWork(ctx, cand)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			u.log.Warn("promise: the diagnosis could not be planned", "repair", r.RepairID, "err", err)
			continue
		}
		out = append(out, network.Promise{OrderID: r.RepairID, End: p.Standard.UTC()})
	}
	return out, nil
}
