package network

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// promiseWait is one promise request of a routing round, waiting for its site's answer.
type promiseWait struct {
	site   string
	answer chan Promises // buffered: the first answer only
}

// Causes of routes and of their ends, as Route.Cause and Route.EndCause say them.
const (
	causeNew       = "new"
	causeTimeout   = "ack timeout"
	causeDeclined  = "declined"
	causeGone      = "site gone"
	causeWithdrawn = "withdrawn by the site"
)

// excludingCauses are the ends of a route after which its site is not asked again for the order.
var excludingCauses = []string{causeTimeout, causeDeclined, causeWithdrawn}

// roundPlan is what a routing round knows before it asks for promises.
type roundPlan struct {
	sites    []Site
	orders   []Order
	excluded map[string]map[string]string // by order id: site → reason
	asks     map[string][]RoutedOrder     // by site: the orders it is asked about
}

// RouteWaiting routes the orders that wait: it asks every site that is online, not gone and
// makes some of them for its promises (one request per site, sent in parallel), collects the
// answers that come through Receive until PromiseTimeout, ranks the sites for each order
// (Rank) and stores the routes in one change, then sends each site its orders. An order no site
// can take stays waiting. It returns how many orders it routed.
func (h *Rules) RouteWaiting(ctx context.Context) (int, error) {
	h.roundMu.Lock()
	defer h.roundMu.Unlock()
	plan, err := h.planRound(ctx)
	if err != nil || len(plan.orders) == 0 {
		return 0, err
	}
	reqs := make(map[string]PromiseRequest, len(plan.asks))
	for site, orders := range plan.asks {
		reqs[site] = PromiseRequest{Orders: orders}
	}
	promises := h.askPromises(ctx, reqs)
	return h.storeRound(ctx, plan, promises)
}

// planRound reads the waiting orders and the sites, and chooses whom to ask about what.
func (h *Rules) planRound(ctx context.Context) (roundPlan, error) {
	plan := roundPlan{excluded: make(map[string]map[string]string), asks: make(map[string][]RoutedOrder)}
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if plan.sites, err = tx.Sites(); err != nil {
			return err
		}
		if plan.orders, err = tx.Orders(OrderFilter{States: []OrderState{Waiting}}); err != nil {
			return err
		}
		routes, err := routesByOrder(tx, plan.orders) // an order never routed has none
		for id, rs := range routes {
			plan.excluded[id] = excludedByRoutes(rs)
		}
		return err
	})
	if err != nil {
		return plan, fmt.Errorf("reading the orders waiting: %w", err)
	}
	now := h.now()
	for _, o := range plan.orders {
		for _, s := range plan.sites {
			if h.exclusion(s, o, now, plan.excluded[o.OrderID]) == "" {
				plan.asks[s.ID] = append(plan.asks[s.ID], routed(o))
			}
		}
	}
	return plan, nil
}

// excludedByRoutes returns the sites an order's past routes exclude, with why.
func excludedByRoutes(routes []Route) map[string]string {
	ex := make(map[string]string)
	for _, r := range routes {
		for _, c := range excludingCauses {
			if strings.HasPrefix(r.EndCause, c) {
				ex[r.Site] = fmt.Sprintf("it let route %d end: %s", r.N, r.EndCause)
			}
		}
	}
	return ex
}

// exclusion says why site s cannot take order o now, or "" when it can be asked.
func (h *Rules) exclusion(s Site, o Order, now time.Time, byRoutes map[string]string) string {
	switch {
	case s.Gone:
		return "it is gone"
	case !s.CanMake(o.Drop, o.SKU):
		return fmt.Sprintf("it does not make %s in drop %s", o.SKU, o.Drop)
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

// askPromises sends each site its promise request (its ID and Expires set here), in parallel,
// and collects the answers that come through Receive until PromiseTimeout or ctx ends. A site
// that answers with an error gives no promise.
func (h *Rules) askPromises(ctx context.Context, asks map[string]PromiseRequest) map[string]Promises {
	expires := h.now().Add(h.cfg.PromiseTimeout)
	waits := make(map[string]*promiseWait, len(asks))
	h.pendingMu.Lock()
	for site := range asks {
		h.seq++
		id := fmt.Sprintf("%d-%d", expires.UnixMicro(), h.seq)
		w := &promiseWait{site: site, answer: make(chan Promises, 1)}
		waits[id], h.pending[id] = w, w
	}
	h.pendingMu.Unlock()
	defer func() {
		h.pendingMu.Lock()
		for id := range waits {
			delete(h.pending, id)
		}
		h.pendingMu.Unlock()
	}()

	var wg sync.WaitGroup
	for id, w := range waits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := asks[w.site]
			req.ID, req.Expires = id, expires
			h.send(w.site, KindPromiseRequest, req)
		}()
	}
	wg.Wait()

	got := make(map[string]Promises, len(waits))
	timer := time.NewTimer(h.cfg.PromiseTimeout)
	defer timer.Stop()
	for _, w := range waits {
		select {
		case p := <-w.answer:
			got[w.site] = p
		case <-timer.C:
			return collectAnswered(waits, got)
		case <-ctx.Done():
			return collectAnswered(waits, got)
		}
	}
	return got
}

// collectAnswered adds the answers that came, once routing waits no longer.
func collectAnswered(waits map[string]*promiseWait, got map[string]Promises) map[string]Promises {
	for _, w := range waits {
		select {
		case p := <-w.answer:
			got[w.site] = p
		default:
		}
	}
	return got
}

// deliverPromises hands a site's answer to the round that asked; it reports whether one did.
func (h *Rules) deliverPromises(from string, p Promises) bool {
	h.pendingMu.Lock()
	defer h.pendingMu.Unlock()
	w, ok := h.pending[p.ID]
	if !ok || w.site != from {
		return false
	}
	select {
	case w.answer <- p:
		return true
	default:
		return false // answered already
	}
}

// decision is one order's route chosen in a round.
type decision struct {
	order Order
	route Route
}

// storeRound ranks the sites for each waiting order with the promises got, stores the routes
// in one change and sends each site its orders.
func (h *Rules) storeRound(ctx context.Context, plan roundPlan, promises map[string]Promises) (int, error) {
	now := h.now()
	ends := make(map[string]map[string]Promise, len(promises))
	for site, p := range promises {
		ends[site] = make(map[string]Promise, len(p.Orders))
		for _, e := range p.Orders {
			ends[site][e.OrderID] = e
		}
	}
	extra := make(map[string]float64)
	var decisions []decision
	for _, o := range plan.orders {
		cands := make([]Candidate, len(plan.sites))
		for i, s := range plan.sites {
			load := s.Load
			if p, ok := promises[s.ID]; ok && p.Error == "" {
				load = p.Load
			}
			cands[i] = Candidate{Site: s.ID, Location: s.Location, LoadHours: load.PerCell() + extra[s.ID],
				Excluded: h.exclusion(s, o, now, plan.excluded[o.OrderID])}
			if cands[i].Excluded != "" {
				continue
			}
			cands[i].Promise, cands[i].Excluded = promiseOf(promises, ends, s.ID, o.OrderID, h.cfg.PromiseTimeout)
		}
		ranking, why := Rank(o, cands)
		if len(ranking) == 0 || ranking[0].Rank != 1 {
			h.log.Debug("order stays waiting", "order", o.OrderID, "why", why, "excluded", excludedSummary(ranking))
			continue
		}
		w := ranking[0]
		extra[w.Site] += ends[w.Site][o.OrderID].Hours
		decisions = append(decisions, decision{order: o, route: Route{OrderID: o.OrderID, Site: w.Site, At: now,
			Why: why, Ranking: ranking}})
	}
	if len(decisions) == 0 {
		return 0, nil
	}
	return h.commitRoutes(ctx, decisions, now)
}

// promiseOf returns a site's promise for an order, or why it gave none.
func promiseOf(promises map[string]Promises, ends map[string]map[string]Promise, site, orderID string, timeout time.Duration) (time.Time, string) {
	p, ok := promises[site]
	switch {
	case !ok:
		return time.Time{}, fmt.Sprintf("it gave no promise within %s", timeout)
	case p.Error != "":
		return time.Time{}, "it could not plan: " + p.Error
	case ends[site][orderID].End.IsZero():
		return time.Time{}, "its answer held no promise for the order"
	}
	return ends[site][orderID].End.UTC(), ""
}

// commitRoutes stores the decisions of a round in one change (an order no longer waiting is
// left as it is) and sends each site its orders.
func (h *Rules) commitRoutes(ctx context.Context, decisions []decision, now time.Time) (int, error) {
	out, err := h.change(ctx, func(tx Tx, out *outbox) error {
		ids := make([]string, len(decisions))
		for i, d := range decisions {
			ids[i] = d.order.OrderID
		}
		current, err := ordersByID(tx, ids)
		if err != nil {
			return fmt.Errorf("reading the round's orders: %w", err)
		}
		var todo []decision // the decisions whose order still waits, with the order as it is now
		var orders []Order
		for _, d := range decisions {
			if o, ok := current[d.order.OrderID]; ok && o.State == Waiting {
				d.order = o
				todo, orders = append(todo, d), append(orders, o)
			} // else it changed since the round read it
		}
		past, err := routesByOrder(tx, orders)
		if err != nil {
			return fmt.Errorf("reading the round's orders' routes: %w", err)
		}
		routed, routes := make([]Order, len(todo)), make([]Route, len(todo))
		for i, d := range todo {
			o, r := d.order, d.route
			o.State, o.Site, o.Route, o.AckBy, o.UpdatedAt = Routed, r.Site, o.Route+1, now.Add(h.cfg.AckTimeout), now
			o.Promise = r.Ranking[0].Promise
			r.N, r.Cause = o.Route, routeCause(past[o.OrderID])
			routed[i], routes[i] = o, r
			out.route(o.Site, o)
		}
		if err := tx.UpdateOrders(routed); err != nil {
			return fmt.Errorf("routing the orders: %w", err)
		}
		return tx.InsertRoutes(routes)
	})
	if err != nil {
		return 0, fmt.Errorf("storing the round's routes: %w", err)
	}
	n := 0
	for _, os := range out.routes {
		n += len(os)
	}
	return n, nil
}

// routeCause is why an order waiting is routed, its past routes given: new, or the end of its
// last route.
func routeCause(past []Route) string {
	if len(past) == 0 || past[len(past)-1].EndCause == "" {
		return causeNew
	}
	return past[len(past)-1].EndCause
}

// routesByOrder reads the past routes of orders (those routed before), in chunks, by order id.
func routesByOrder(tx ReadTx, orders []Order) (map[string][]Route, error) {
	var ids []string
	for _, o := range orders {
		if o.Route > 0 {
			ids = append(ids, o.OrderID)
		}
	}
	byOrder := make(map[string][]Route, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		routes, err := tx.RoutesOf(ids[start:min(start+lookupChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, r := range routes {
			byOrder[r.OrderID] = append(byOrder[r.OrderID], r)
		}
	}
	return byOrder, nil
}

// ordersByID reads the orders of ids as they are now, in chunks; ids the book does not hold
// are left out.
func ordersByID(tx ReadTx, ids []string) (map[string]Order, error) {
	current := make(map[string]Order, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		orders, err := tx.OrdersByID(ids[start:min(start+lookupChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, o := range orders {
			current[o.OrderID] = o
		}
	}
	return current, nil
}
