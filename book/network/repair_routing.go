package network

import (
	"context"
	"fmt"
	"time"
)

// repairRound is what a repairs' routing round knows before it asks for promises.
type repairRound struct {
	sites    []Site
	repairs  []Repair
	excluded map[string]map[string]string // by repair id: site → reason
	asks     map[string]PromiseRequest    // by site
}

// RouteWaitingRepairs routes the repairs that wait, as RouteWaiting routes orders: every site
// that is online, not gone and repairs the kind is asked for its promise (the standard date
// of the repair's diagnosis), the sites are ranked by Rank (on time against the due date when
// the repair has one, then nearest, then least loaded), the routes stored in one change and
// each site sent its repairs. A repair no site can take stays waiting. It returns how many
// repairs it routed.
func (h *Rules) RouteWaitingRepairs(ctx context.Context) (int, error) {
	h.roundMu.Lock()
	defer h.roundMu.Unlock()
	plan, err := h.planRepairRound(ctx)
	if err != nil || len(plan.repairs) == 0 {
		return 0, err
	}
	promises := h.askPromises(ctx, plan.asks)
	now := h.now()
	extra := make(map[string]float64)
	var decisions []repairDecision
	for _, r := range plan.repairs {
		cands := make([]Candidate, len(plan.sites))
		for i, s := range plan.sites {
			load := s.Load
			if p, ok := promises[s.ID]; ok && p.Error == "" {
				load = p.Load
			}
			cands[i] = Candidate{Site: s.ID, Location: s.Location, LoadHours: load.PerCell() + extra[s.ID],
				Excluded: h.repairExclusion(s, r, now, plan.excluded[r.ID])}
			if cands[i].Excluded == "" {
				cands[i].Promise, _, cands[i].Excluded = repairPromise(promises, s.ID, r.ID, h.cfg.PromiseTimeout)
			}
		}
		ranking, why := Rank(Order{Location: r.Location, Due: r.Due}, cands)
		if len(ranking) == 0 || ranking[0].Rank != 1 {
			h.log.Debug("repair stays waiting", "repair", r.ID, "why", why, "excluded", excludedSummary(ranking))
			continue
		}
		_, hours, _ := repairPromise(promises, ranking[0].Site, r.ID, h.cfg.PromiseTimeout)
		extra[ranking[0].Site] += hours
		decisions = append(decisions, repairDecision{id: r.ID, route: Route{OrderID: r.ID, Site: ranking[0].Site, At: now,
			Why: why, Ranking: ranking}})
	}
	if len(decisions) == 0 {
		return 0, nil
	}
	return h.commitRepairRoutes(ctx, decisions, now)
}

// planRepairRound reads the waiting repairs and the sites, and chooses whom to ask about what.
func (h *Rules) planRepairRound(ctx context.Context) (repairRound, error) {
	plan := repairRound{excluded: make(map[string]map[string]string), asks: make(map[string]PromiseRequest)}
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if plan.sites, err = tx.Sites(); err != nil {
			return err
		}
		if plan.repairs, err = tx.Repairs(RepairFilter{States: []OrderState{Waiting}}); err != nil {
			return err
		}
		for _, r := range plan.repairs {
			if r.Route == 0 {
				continue
			}
			routes, err := tx.RepairRoutes(r.ID)
			if err != nil {
				return err
			}
			plan.excluded[r.ID] = excludedByRoutes(routes)
		}
		return nil
	})
	if err != nil {
		return plan, fmt.Errorf("reading the repairs waiting: %w", err)
	}
	now := h.now()
	for _, r := range plan.repairs {
		for _, s := range plan.sites {
			if h.repairExclusion(s, r, now, plan.excluded[r.ID]) == "" {
				req := plan.asks[s.ID]
				req.Repairs = append(req.Repairs, routedRepair(r))
				plan.asks[s.ID] = req
			}
		}
	}
	return plan, nil
}

// repairExclusion says why site s cannot take repair r now, or "" when it can be asked.
func (h *Rules) repairExclusion(s Site, r Repair, now time.Time, byRoutes map[string]string) string {
	switch {
	case s.Gone:
		return "it is gone"
	case !s.CanRepair(r.Kind):
		return fmt.Sprintf("it does not repair %s", r.Kind)
	case !s.Online(now, h.cfg.OnlineWithin):
		if s.LastWord.IsZero() {
			return "it has never spoken"
		}
		return fmt.Sprintf("it is cut off: its last word was %s ago", now.Sub(s.LastWord).Round(time.Second))
	case byRoutes[s.ID] != "":
		return byRoutes[s.ID]
	}
	return ""
}

// repairPromise returns a site's promise for a repair and the hours it adds, or why it gave
// none.
func repairPromise(promises map[string]Promises, site, id string, timeout time.Duration) (time.Time, float64, string) {
	p, ok := promises[site]
	switch {
	case !ok:
		return time.Time{}, 0, fmt.Sprintf("it gave no promise within %s", timeout)
	case p.Error != "":
		return time.Time{}, 0, "it could not plan: " + p.Error
	}
	for _, e := range p.Repairs {
		if e.OrderID == id && !e.End.IsZero() {
			return e.End.UTC(), e.Hours, ""
		}
	}
	return time.Time{}, 0, "its answer held no promise for the repair"
}

// repairDecision is one repair's route chosen in a round.
type repairDecision struct {
	id    string
	route Route
}

// commitRepairRoutes stores the decisions of a round in one change (a repair no longer
// waiting is left as it is) and sends each site its repairs.
func (h *Rules) commitRepairRoutes(ctx context.Context, decisions []repairDecision, now time.Time) (int, error) {
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		for _, d := range decisions {
			r, ok, err := tx.Repair(d.id)
			if err != nil {
				return err
			}
			if !ok || r.State != Waiting {
				continue
			}
			cause, err := repairRouteCause(tx, r)
			if err != nil {
				return err
			}
			r.State, r.Site, r.Route, r.AckBy, r.UpdatedAt = Routed, d.route.Site, r.Route+1, now.Add(h.cfg.AckTimeout), now
			r.Promise = d.route.Ranking[0].Promise
			route := d.route
			route.N, route.Cause = r.Route, cause
			if err := tx.UpdateRepair(r); err != nil {
				return fmt.Errorf("routing repair %q: %w", r.ID, err)
			}
			if err := tx.InsertRepairRoute(route); err != nil {
				return fmt.Errorf("storing route %d of repair %q: %w", route.N, r.ID, err)
			}
			out.routeRepair(r.Site, r)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storing the round's repair routes: %w", err)
	}
	n := 0
	for _, rs := range out.repairRoutes {
		n += len(rs)
	}
	return n, nil
}

// repairRouteCause is why a waiting repair is routed: new, or the end of its last route.
func repairRouteCause(tx ReadTx, r Repair) (string, error) {
	if r.Route == 0 {
		return causeNew, nil
	}
	routes, err := tx.RepairRoutes(r.ID)
	if err != nil || len(routes) == 0 || routes[len(routes)-1].EndCause == "" {
		return causeNew, err
	}
	return routes[len(routes)-1].EndCause, nil
}
