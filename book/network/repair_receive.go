package network

import (
	"encoding/json"
	"fmt"
	"time"
)

// repairMessage decodes a site's message about repairs and returns the change it makes.
func (h *Rules) repairMessage(from, kind string, body []byte) (func(Tx, *outbox) error, error) {
	if kind == KindRepairAck {
		var m RepairAcks
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		return func(tx Tx, out *outbox) error { return h.applyRepairAcks(tx, out, from, m.Repairs) }, nil
	}
	var m RepairProgresses
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return func(tx Tx, out *outbox) error { return h.applyRepairProgress(tx, out, from, m.Repairs) }, nil
}

// applyRepairAcks applies a site's acknowledgements of repairs: opened, the repair is accepted
// with the site's repair id; declined, it waits to be routed again without the site. An ack for
// another route, or from a site that does not hold the repair, is refused (logged; a site that
// opened it is sent a withdrawal, which it answers with the repair's state).
func (h *Rules) applyRepairAcks(tx Tx, out *outbox, from string, acks []RepairAck) error {
	now := h.now()
	for _, a := range acks {
		r, ok, err := tx.Repair(a.RepairID)
		if err != nil {
			return err
		}
		if !ok || r.Site != from || r.Route != a.Route {
			err := repairAckRefusal(r, ok, from, a)
			h.log.Warn("repair acknowledgement refused", "site", from, "repair", a.RepairID, "route", a.Route, "taken", a.Taken, "err", err)
			if ok && a.Taken && r.Site != from {
				out.withdrawRepair(from, a.RepairID, a.Route, err.Error())
			}
			continue
		}
		switch {
		case a.Taken && r.State == Routed:
			r.State, r.AckBy, r.SiteRepair, r.UpdatedAt = Accepted, time.Time{}, a.SiteRepair, now
			if err := tx.UpdateRepair(r); err != nil {
				return fmt.Errorf("accepting repair %q: %w", r.ID, err)
			}
		case !a.Taken && r.State != Routed:
			h.log.Warn("repair decline ignored: the site opened the repair", "site", from, "repair", r.ID, "state", r.State)
		case !a.Taken:
			if err := h.unrouteRepair(tx, out, &r, now, causeDeclined+": "+a.Reason, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// repairAckRefusal says why an acknowledgement does not fit its repair.
func repairAckRefusal(r Repair, known bool, from string, a RepairAck) error {
	switch {
	case !known:
		return fmt.Errorf("repair %q route %d from site %q: %w", a.RepairID, a.Route, from, ErrUnknownRepair)
	case r.Site != from:
		return fmt.Errorf("repair %q route %d from site %q: the repair is not routed to that site now (site %q, route %d)",
			a.RepairID, a.Route, from, r.Site, r.Route)
	default:
		return fmt.Errorf("repair %q route %d from site %q: the repair's route is %d", a.RepairID, a.Route, from, r.Route)
	}
}

// applyRepairProgress applies a site's reports of its repairs. A report is kept when it comes
// from the repair's site, for one of that site's routes, with a Version above the one held. A
// report from a site that opened a repair which has moved away from it and is not yet opened
// elsewhere takes the repair back (the first site to open it wins, the other gets a
// withdrawal). Any other report changes nothing and is logged.
func (h *Rules) applyRepairProgress(tx Tx, out *outbox, from string, reports []RepairProgress) error {
	now := h.now()
	for _, p := range reports {
		r, ok, err := tx.Repair(p.RepairID)
		if err != nil {
			return err
		}
		if !ok {
			h.log.Warn("repair progress ignored", "site", from, "repair", p.RepairID, "err", ErrUnknownRepair)
			continue
		}
		routes, err := tx.RepairRoutes(r.ID)
		if err != nil {
			return err
		}
		switch {
		case !routeOf(routes, p.Route, from):
			h.log.Warn("repair progress ignored: the route is not the site's", "site", from, "repair", p.RepairID, "route", p.Route)
		case !repairProgressState(p.State):
			h.log.Warn("repair progress ignored: unknown state", "site", from, "repair", r.ID, "state", p.State)
		case r.Site == from:
			err = h.keepRepairProgress(tx, &r, from, p, now)
		case r.State == Waiting || r.State == Routed:
			err = h.takeRepairBack(tx, out, &r, from, p, now)
		default:
			h.log.Warn("repair progress ignored: the repair is opened at another site too", "site", from, "repair", r.ID,
				"route", p.Route, "current_site", r.Site, "current_state", r.State)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// repairProgressState reports whether s is a state a site reports of a repair it opened.
func repairProgressState(s OrderState) bool { return s == Accepted || s == Started || s == Done }

// keepRepairProgress applies a report from the repair's own site when it is newer.
func (h *Rules) keepRepairProgress(tx Tx, r *Repair, from string, p RepairProgress, now time.Time) error {
	if p.Version <= r.Version {
		h.log.Info("repair progress ignored: not newer", "site", from, "repair", r.ID, "version", p.Version, "held", r.Version)
		return nil
	}
	applyRepairReport(r, p, now)
	if err := tx.UpdateRepair(*r); err != nil {
		return fmt.Errorf("storing progress of repair %q: %w", r.ID, err)
	}
	return nil
}

// applyRepairReport sets r from a site's report.
func applyRepairReport(r *Repair, p RepairProgress, now time.Time) {
	r.State, r.SiteState, r.Version, r.AckBy, r.UpdatedAt = p.State, p.SiteState, p.Version, time.Time{}, now
	if p.SiteRepair != "" {
		r.SiteRepair = p.SiteRepair
	}
	if p.State == Done && r.DoneAt.IsZero() {
		r.DoneAt = p.At.UTC()
		if p.At.IsZero() {
			r.DoneAt = now
		}
	}
}

// takeRepairBack gives a repair back to the site that opened it after it moved away: its
// current route ends, its current site (if any) gets a withdrawal, a new route records the
// site.
func (h *Rules) takeRepairBack(tx Tx, out *outbox, r *Repair, from string, p RepairProgress, now time.Time) error {
	cause := fmt.Sprintf("taken back: site %s opened it on its route %d", from, p.Route)
	if r.Site != "" {
		if err := tx.EndRepairRoute(r.ID, r.Route, now, cause); err != nil {
			return fmt.Errorf("ending route %d of repair %q: %w", r.Route, r.ID, err)
		}
		out.withdrawRepair(r.Site, r.ID, r.Route, cause)
	}
	r.Route++
	r.Site, r.Promise = from, time.Time{}
	applyRepairReport(r, p, now)
	if err := tx.UpdateRepair(*r); err != nil {
		return fmt.Errorf("giving repair %q back to site %q: %w", r.ID, from, err)
	}
	route := Route{OrderID: r.ID, N: r.Route, Site: from, At: now, Cause: cause, Why: fmt.Sprintf("%s opened the repair first", from)}
	if err := tx.InsertRepairRoute(route); err != nil {
		return fmt.Errorf("storing route %d of repair %q: %w", route.N, r.ID, err)
	}
	h.log.Warn("repair taken back by the site that opened it", "repair", r.ID, "site", from, "route", r.Route)
	return nil
}
