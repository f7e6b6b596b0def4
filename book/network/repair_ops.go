package network

import (
	"context"
	"fmt"
	"time"
)

// unrouteRepair ends a repair's current route for cause and puts it back to wait for routing;
// withdraw sends its site a withdrawal.
func (h *Rules) unrouteRepair(tx Tx, out *outbox, r *Repair, now time.Time, cause string, withdraw bool) error {
	if err := tx.EndRepairRoute(r.ID, r.Route, now, cause); err != nil {
		return fmt.Errorf("ending route %d of repair %q: %w", r.Route, r.ID, err)
	}
	if withdraw {
		out.withdrawRepair(r.Site, r.ID, r.Route, cause)
	}
	r.State, r.Site, r.AckBy, r.Promise, r.UpdatedAt = Waiting, "", time.Time{}, time.Time{}, now
	r.SiteRepair, r.SiteState, r.Version = "", "", 0
	if err := tx.UpdateRepair(*r); err != nil {
		return fmt.Errorf("putting repair %q back to wait: %w", r.ID, err)
	}
	out.reroute = append(out.reroute, r.ID)
	return nil
}

// ExpireRepairs puts the routed repairs whose acknowledgement is overdue back to wait, their
// silent site excluded for them and sent a withdrawal, as Expire does for orders. It returns
// how many repairs it took back.
func (h *Rules) ExpireRepairs(ctx context.Context) (int, error) {
	now := h.now()
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		overdue, err := tx.Repairs(RepairFilter{States: []OrderState{Routed}, AckBefore: now})
		if err != nil {
			return fmt.Errorf("reading the routed repairs overdue: %w", err)
		}
		for _, r := range overdue {
			if r.State != Routed || !r.AckBy.Before(now) {
				continue
			}
			cause := fmt.Sprintf("%s: not acknowledged by %s", causeTimeout, r.AckBy.UTC().Format(time.RFC3339))
			if err := h.unrouteRepair(tx, out, &r, now, cause, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(out.reroute) > 0 {
		h.log.Info("routed repairs not acknowledged in time", "repairs", len(out.reroute))
	}
	return len(out.reroute), nil
}

// MoveRepair routes a repair its site has not opened (waiting or routed) to another site, as a
// planner asks: its current site gets a withdrawal, the new one the repair. A repair already at
// that site changes nothing. Refusals: ErrUnknownRepair, ErrUnknownSite, ErrSiteGone,
// ErrCannotRepair, and ErrRepairOpened for a repair its site opened (a site's book cannot undo
// a repair it opened).
func (h *Rules) MoveRepair(ctx context.Context, id, site, actor string) (Repair, error) {
	var r Repair
	now := h.now()
	_, err := h.change(ctx, func(tx Tx, out *outbox) error {
		var err error
		if r, err = checkRepairMove(tx, id, site); err != nil || r.Site == site {
			return err
		}
		cause := "moved by " + actor
		if r.Site != "" {
			if err := tx.EndRepairRoute(r.ID, r.Route, now, cause); err != nil {
				return fmt.Errorf("ending route %d of repair %q: %w", r.Route, r.ID, err)
			}
			out.withdrawRepair(r.Site, r.ID, r.Route, cause)
		}
		r.Route++
		r.State, r.Site, r.AckBy, r.Promise, r.UpdatedAt = Routed, site, now.Add(h.cfg.AckTimeout), time.Time{}, now
		if err := tx.UpdateRepair(r); err != nil {
			return fmt.Errorf("moving repair %q to site %q: %w", r.ID, site, err)
		}
		route := Route{OrderID: r.ID, N: r.Route, Site: site, At: now, Cause: cause, Why: fmt.Sprintf("%s moved it to %s", actor, site)}
		if err := tx.InsertRepairRoute(route); err != nil {
			return fmt.Errorf("storing route %d of repair %q: %w", route.N, r.ID, err)
		}
		out.routeRepair(site, r)
		return nil
	})
	if err != nil {
		return Repair{}, err
	}
	return r, nil
}

// checkRepairMove returns the repair to move to site, or why it cannot go there.
func checkRepairMove(tx ReadTx, id, site string) (Repair, error) {
	r, ok, err := tx.Repair(id)
	if err != nil {
		return Repair{}, err
	} else if !ok {
		return Repair{}, fmt.Errorf("%w %q", ErrUnknownRepair, id)
	}
	s, ok, err := tx.Site(site)
	switch {
	case err != nil:
		return Repair{}, err
	case !ok:
		return Repair{}, fmt.Errorf("moving repair %q: %w %q", id, ErrUnknownSite, site)
	case s.Gone:
		return Repair{}, fmt.Errorf("moving repair %q to site %q: %w", id, site, ErrSiteGone)
	case !s.CanRepair(r.Kind):
		return Repair{}, fmt.Errorf("moving repair %q to site %q (kind %s): %w", id, site, r.Kind, ErrCannotRepair)
	case r.State != Waiting && r.State != Routed:
		return Repair{}, fmt.Errorf("moving repair %q: it is %s at site %q as %s: %w", id, r.State, r.Site, r.SiteRepair, ErrRepairOpened)
	}
	return r, nil
}

// repairsGone puts the routed repairs of a site marked gone back to wait; the ones it opened
// stay (its book cannot undo them).
func (h *Rules) repairsGone(tx Tx, out *outbox, site, actor string, now time.Time) error {
	repairs, err := tx.Repairs(RepairFilter{Site: site, States: []OrderState{Routed}})
	if err != nil {
		return fmt.Errorf("reading the repairs of site %q: %w", site, err)
	}
	for _, r := range repairs {
		if err := h.unrouteRepair(tx, out, &r, now, causeGone+" (marked by "+actor+")", true); err != nil {
			return err
		}
	}
	return nil
}

// resendRepairRoutes sends every site its routed repairs not yet acknowledged; a site opens a
// repair it holds only once, so sending twice is harmless.
func (h *Rules) resendRepairRoutes(ctx context.Context) error {
	repairs, err := h.Repairs(ctx, RepairFilter{States: []OrderState{Routed}})
	if err != nil {
		return err
	}
	var out outbox
	for _, r := range repairs {
		out.routeRepair(r.Site, r)
	}
	h.flushRepairs(&out)
	return nil
}
