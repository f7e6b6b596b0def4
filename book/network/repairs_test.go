package network_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	. "github.com/cellforge/cellforge/book/network"
)

// repairSites are three sites: porto and lisbon repair rugs, madrid scarves only.
var repairSites = []Site{{ID: "lisbon", Location: lisbon}, {ID: "madrid", Location: madrid}, {ID: "porto", Location: porto}}

// newRepairEnv is a hub whose sites said what they repair; each promises a repair's
// diagnosis at the time promised gives it (ok false: no promise).
func newRepairEnv(t *testing.T, promised map[string]time.Duration) *env {
	t.Helper()
	e := newEnv(t, repairSites, nil)
	for site, kinds := range map[string][]string{"porto": {"rug", "scarf"}, "lisbon": {"rug"}, "madrid": {"scarf"}} {
		e.say(site, KindHello, Hello{Repairs: kinds})
	}
	start := e.clock.Now()
	e.repairPromise = func(site string, _ RoutedRepair) (time.Time, bool) {
		d, ok := promised[site]
		return start.Add(d), ok
	}
	return e
}

// repairRoutesTo returns the repair ids of every message of kind sent to each site.
func repairRoutesTo(t *testing.T, msgs []sent, kind string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range msgs {
		switch {
		case m.kind != kind:
		case kind == KindRouteRepairs:
			var r RouteRepairs
			mustUnmarshal(t, m.body, &r)
			for _, x := range r.Repairs {
				out[m.to] = append(out[m.to], x.RepairID)
			}
		case kind == KindWithdrawRepair:
			var w WithdrawRepairs
			mustUnmarshal(t, m.body, &w)
			for _, x := range w.Repairs {
				out[m.to] = append(out[m.to], x.RepairID)
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

func (e *env) submit(in RepairRequest) Repair {
	e.t.Helper()
	r, _, err := e.hub.SubmitRepair(e.ctx, in, "ana")
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) routeRepairs() int {
	e.t.Helper()
	n, err := e.hub.RouteWaitingRepairs(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) repair(id string) (Repair, []Route) {
	e.t.Helper()
	r, routes, err := e.hub.Repair(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r, routes
}

func rugRepair(id string, at Point) RepairRequest {
	return RepairRequest{ID: id, Serial: "S-" + id, Kind: "rug", Customer: "Ana", Contact: "ana@example.com", Lat: at.Lat, Lon: at.Lon}
}

// TestSubmitRepair: a request is checked with errors naming the field, stored waiting once,
// the same again changes nothing and other content under its id is a conflict.
func TestSubmitRepair(t *testing.T) {
	e := newRepairEnv(t, nil)
	good := rugRepair("NR-1", braga)
	for _, tc := range []struct {
		name  string
		edit  func(*RepairRequest)
		field string
	}{
		{"no id", func(r *RepairRequest) { r.ID = " " }, "id"},
		{"neither serial nor item", func(r *RepairRequest) { r.Serial = "" }, "serial"},
		{"both serial and item", func(r *RepairRequest) { r.Item = "a rug" }, "item"},
		{"no kind", func(r *RepairRequest) { r.Kind = "" }, "kind"},
		{"no customer", func(r *RepairRequest) { r.Customer = "" }, "customer"},
		{"a control character", func(r *RepairRequest) { r.Contact = "a\x07b" }, "contact"},
		{"a latitude off the Earth", func(r *RepairRequest) { r.Lat = 91 }, "lat"},
		{"a longitude off the Earth", func(r *RepairRequest) { r.Lon = -181 }, "lon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			_, _, err := e.hub.SubmitRepair(e.ctx, in, "ana")
			var fe *RepairFieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrBadRepair) {
				t.Errorf("error %v; want one naming %s", err, tc.field)
			}
		})
	}
	if all, err := e.hub.Repairs(e.ctx, RepairFilter{}); err != nil || len(all) != 0 {
		t.Fatalf("bad requests stored %d repairs, %v", len(all), err)
	}
	r, created, err := e.hub.SubmitRepair(e.ctx, good, "ana")
	if err != nil || !created || r.State != Waiting || r.Location != braga {
		t.Fatalf("submit: %+v, %v, %v", r, created, err)
	}
	if _, created, err := e.hub.SubmitRepair(e.ctx, good, "ana"); err != nil || created {
		t.Errorf("the same again: created %v, %v", created, err)
	}
	other := good
	other.Customer = "Bo"
	if _, _, err := e.hub.SubmitRepair(e.ctx, other, "ana"); !errors.Is(err, ErrRepairConflict) {
		t.Errorf("other content under the id: %v", err)
	}
}

// TestRepairsRouteByPromiseDistanceAndKind: a rug repair goes to the nearest site of those
// that repair rugs on time; a due date a nearer site misses sends it to the one on time; a
// kind no site repairs waits; madrid, which repairs no rug, is never asked for one.
func TestRepairsRouteByPromiseDistanceAndKind(t *testing.T) {
	e := newRepairEnv(t, map[string]time.Duration{"porto": 48 * time.Hour, "lisbon": 24 * time.Hour, "madrid": time.Hour})
	e.links.take()
	e.submit(rugRepair("NR-1", braga))
	due := rugRepair("NR-2", braga)
	due.Due = e.clock.Now().Add(30 * time.Hour)
	e.submit(due)
	hat := rugRepair("NR-3", braga)
	hat.Kind = "hat"
	e.submit(hat)
	if n := e.routeRepairs(); n != 2 {
		t.Fatalf("routed %d; want 2", n)
	}
	msgs := e.links.take()
	for _, m := range msgs {
		if m.to == "madrid" {
			t.Errorf("madrid was sent %s", m.kind)
		}
	}
	got := repairRoutesTo(t, msgs, KindRouteRepairs)
	if !slices.Equal(got["porto"], []string{"NR-1"}) || !slices.Equal(got["lisbon"], []string{"NR-2"}) {
		t.Errorf("routes sent: %v", got)
	}
	r, routes := e.repair("NR-1")
	if r.State != Routed || r.Site != "porto" || r.Route != 1 || len(routes) != 1 || routes[0].Cause != "new" {
		t.Errorf("NR-1: %+v, %+v", r, routes)
	}
	if ranking := routes[0].Ranking; len(ranking) != 3 || ranking[2].Site != "madrid" || ranking[2].Excluded != "it does not repair rug" {
		t.Errorf("NR-1's ranking: %+v", ranking)
	}
	if _, routes := e.repair("NR-2"); routes[0].Ranking[1].Site != "porto" || routes[0].Ranking[1].OnTime {
		t.Errorf("NR-2's ranking: %+v", routes[0].Ranking)
	}
	if r, _ := e.repair("NR-3"); r.State != Waiting {
		t.Errorf("NR-3, a kind no site repairs: %+v", r)
	}
}

// TestRepairAcksAndTimeout: a repair not acknowledged in time goes to the next best site and
// its silent site gets a withdrawal; the late site's opening ack is refused (and it is sent
// a withdrawal); the new site's ack accepts it with its repair id; a decline routes it again
// without the site.
func TestRepairAcksAndTimeout(t *testing.T) {
	e := newRepairEnv(t, map[string]time.Duration{"porto": 24 * time.Hour, "lisbon": 24 * time.Hour})
	e.submit(rugRepair("NR-1", braga))
	e.submit(rugRepair("NR-2", faro))
	e.routeRepairs()
	e.links.take()
	e.clock.Advance(3 * time.Minute)
	e.alive("porto", "lisbon", "madrid")
	if n, err := e.hub.ExpireRepairs(e.ctx); err != nil || n != 2 {
		t.Fatalf("expired %d, %v", n, err)
	}
	if w := repairRoutesTo(t, e.links.take(), KindWithdrawRepair); !slices.Equal(w["porto"], []string{"NR-1"}) {
		t.Errorf("withdrawals: %v", w)
	}
	e.routeRepairs()
	r, _ := e.repair("NR-1")
	if r.Site != "lisbon" || r.Route != 2 {
		t.Fatalf("NR-1 after the timeout: %+v", r)
	}
	e.links.take()
	e.say("porto", KindRepairAck, RepairAcks{Repairs: []RepairAck{{RepairID: "NR-1", Route: 1, Taken: true, SiteRepair: "R-000007"}}})
	if w := repairRoutesTo(t, e.links.take(), KindWithdrawRepair); !slices.Equal(w["porto"], []string{"NR-1"}) {
		t.Errorf("the late site's withdrawal: %v", w)
	}
	if r, _ := e.repair("NR-1"); r.State != Routed || r.Site != "lisbon" {
		t.Errorf("after a late ack: %+v", r)
	}
	e.say("lisbon", KindRepairAck, RepairAcks{Repairs: []RepairAck{{RepairID: "NR-1", Route: 2, Taken: true, SiteRepair: "R-000042"}}})
	if r, _ := e.repair("NR-1"); r.State != Accepted || r.SiteRepair != "R-000042" || !r.AckBy.IsZero() {
		t.Errorf("after lisbon's ack: %+v", r)
	}
	n2, _ := e.repair("NR-2")
	e.say(n2.Site, KindRepairAck, RepairAcks{Repairs: []RepairAck{{RepairID: "NR-2", Route: n2.Route, Reason: "kind: no"}}})
	if r, routes := e.repair("NR-2"); r.State != Waiting || routes[len(routes)-1].EndCause != "declined: kind: no" {
		t.Errorf("after a decline: %+v, %+v", r, routes)
	}
}

// TestRepairProgressMoveAndGone: progress from the repair's site is kept when newer; a repair
// not opened moves and its site gets a withdrawal, one opened does not move; a gone site's
// routed repairs wait again.
func TestRepairProgressMoveAndGone(t *testing.T) {
	e := newRepairEnv(t, map[string]time.Duration{"porto": 24 * time.Hour, "lisbon": 24 * time.Hour})
	e.submit(rugRepair("NR-1", braga))
	e.submit(rugRepair("NR-2", braga))
	e.routeRepairs()
	e.say("porto", KindRepairAck, RepairAcks{Repairs: []RepairAck{{RepairID: "NR-1", Route: 1, Taken: true, SiteRepair: "R-000001"}}})
	p := RepairProgress{RepairID: "NR-1", Route: 1, State: Started, SiteState: "estimated", SiteRepair: "R-000001", Version: 9}
	e.say("porto", KindRepairProgress, RepairProgresses{Repairs: []RepairProgress{p}})
	older := p
	older.Version, older.State, older.SiteState = 5, Accepted, "received"
	e.say("porto", KindRepairProgress, RepairProgresses{Repairs: []RepairProgress{older}})
	if r, _ := e.repair("NR-1"); r.State != Started || r.SiteState != "estimated" || r.Version != 9 {
		t.Errorf("after progress: %+v", r)
	}
	if _, err := e.hub.MoveRepair(e.ctx, "NR-1", "lisbon", "ines"); !errors.Is(err, ErrRepairOpened) {
		t.Errorf("moving an opened repair: %v", err)
	}
	if _, err := e.hub.MoveRepair(e.ctx, "NR-2", "madrid", "ines"); !errors.Is(err, ErrCannotRepair) {
		t.Errorf("moving to a site that repairs no rug: %v", err)
	}
	if _, err := e.hub.MoveRepair(e.ctx, "NR-9", "lisbon", "ines"); !errors.Is(err, ErrUnknownRepair) {
		t.Errorf("moving an unknown repair: %v", err)
	}
	e.links.take()
	r, err := e.hub.MoveRepair(e.ctx, "NR-2", "lisbon", "ines")
	if err != nil || r.Site != "lisbon" || r.Route != 2 || r.State != Routed {
		t.Fatalf("move: %+v, %v", r, err)
	}
	msgs := e.links.take()
	if w := repairRoutesTo(t, msgs, KindWithdrawRepair); !slices.Equal(w["porto"], []string{"NR-2"}) {
		t.Errorf("withdrawals of the move: %v", w)
	}
	if rt := repairRoutesTo(t, msgs, KindRouteRepairs); !slices.Equal(rt["lisbon"], []string{"NR-2"}) {
		t.Errorf("routes of the move: %v", rt)
	}
	n, err := e.hub.MarkGone(e.ctx, "lisbon", "ines")
	if err != nil || n != 1 {
		t.Fatalf("mark gone: %d, %v", n, err)
	}
	if r, _ := e.repair("NR-2"); r.State != Waiting {
		t.Errorf("a gone site's routed repair: %+v", r)
	}
	if r, _ := e.repair("NR-1"); r.State != Started || r.Site != "porto" {
		t.Errorf("an opened repair of another site: %+v", r)
	}
}
