package network_test

import (
	"errors"
	. "github.com/cellforge/cellforge/book/network"
	"reflect"
	"strings"
	"testing"
	"time"
)

var twoSites = []Site{{ID: "porto", Location: porto}, {ID: "lisbon", Location: lisbon}}

var twoMakes = map[string]map[string][]string{
	"porto":  {"winter": {"RUG", "SCARF", "HAT"}},
	"lisbon": {"winter": {"RUG", "SCARF"}},
}

// newTwo starts two sites that promise everything on time, with one order from a customer in
// Porto routed to porto.
func newTwo(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, twoSites, twoMakes)
	on := e.clock.Now().Add(24 * time.Hour)
	e.promise = func(string, RoutedOrder) (time.Time, float64, bool) { return on, 0, true }
	e.importRows(row(2, "A1", "RUG", porto))
	if n := e.route(); n != 1 {
		t.Fatalf("routed %d", n)
	}
	e.links.take()
	return e
}

// alive has every site speak, so that they stay online as the clock moves.
func (e *env) alive(sites ...string) {
	for _, s := range sites {
		e.say(s, KindStatus, Status{})
	}
}

func TestAckTimeoutGoesToTheNextBestAndALateAckIsRefused(t *testing.T) {
	e := newTwo(t)
	if n, _ := e.hub.Expire(e.ctx); n != 0 {
		t.Fatalf("expired %d before the timeout", n)
	}
	e.clock.Advance(2*time.Minute + time.Second)
	e.alive("porto", "lisbon")
	if n, err := e.hub.Expire(e.ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	if got := routesTo(t, e.links.take(), KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"porto": {"A1"}}) {
		t.Errorf("withdrawals: %v", got)
	}
	if n := e.route(); n != 1 {
		t.Fatalf("rerouted %d", n)
	}
	if got := routesTo(t, e.links.take(), KindRoute); !reflect.DeepEqual(got, map[string][]string{"lisbon": {"A1"}}) {
		t.Errorf("routes: %v", got)
	}
	o, routes := e.order("A1")
	if o.Site != "lisbon" || o.Route != 2 || o.State != Routed {
		t.Fatalf("after the timeout: %+v", o)
	}
	if !strings.HasPrefix(routes[0].EndCause, "ack timeout") || !strings.HasPrefix(routes[1].Cause, "ack timeout") {
		t.Errorf("routes: %+v", routes)
	}
	if ex := routes[1].Ranking[1]; ex.Site != "porto" || !strings.Contains(ex.Excluded, "ack timeout") {
		t.Errorf("porto in the second ranking: %+v", ex)
	}

	// porto's late ack: refused, nothing changes, and porto is told to give the order up.
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}}})
	after, routesAfter := e.order("A1")
	after.UpdatedAt, o.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(after, o) || !reflect.DeepEqual(routesAfter, routes) {
		t.Errorf("a late ack changed the order:\n%+v\n%+v", o, after)
	}
	if got := routesTo(t, e.links.take(), KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"porto": {"A1"}}) {
		t.Errorf("withdrawals after the late ack: %v", got)
	}

	e.say("lisbon", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 2, Taken: true}}})
	if o, _ := e.order("A1"); o.State != Accepted || !o.AckBy.IsZero() {
		t.Errorf("after lisbon's ack: %+v", o)
	}
	// the same ack again changes nothing and sends nothing
	e.say("lisbon", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 2, Taken: true}}})
	if msgs := e.links.take(); len(msgs) != 0 {
		t.Errorf("a replayed ack sent %v", msgs)
	}
	if n, _ := e.hub.Expire(e.ctx); n != 0 {
		t.Errorf("an accepted order expired")
	}
}

// TestManyAcksInOneMessage has a site answer several orders in one message, as a site answers a
// routing round: each ack applies as if alone, seeing the acks before it.
func TestManyAcksInOneMessage(t *testing.T) {
	e := newTwo(t)
	e.importRows(row(3, "A2", "RUG", porto), row(4, "A3", "RUG", porto), row(5, "A4", "RUG", porto), row(6, "L1", "RUG", lisbon))
	e.route()
	e.links.take()
	if o, _ := e.order("L1"); o.Site != "lisbon" {
		t.Fatalf("L1 at %q, want lisbon", o.Site)
	}
	e.say("porto", KindAck, Acks{Orders: []Ack{
		{OrderID: "A1", Route: 1, Taken: true},
		{OrderID: "A2", Route: 1, Reason: "no yarn"},
		{OrderID: "A3", Route: 1, Taken: true},
		{OrderID: "A3", Route: 1, Reason: "changed its mind"}, // after its own ack: declined
		{OrderID: "A1", Route: 1, Taken: true},                // again: nothing changes
		{OrderID: "A4", Route: 7, Taken: true},                // another route: refused
		{OrderID: "L1", Route: 1, Taken: true},                // routed elsewhere: withdrawn
		{OrderID: "nope", Route: 1, Taken: true},              // unknown: refused
	}})
	want := map[string]struct {
		state OrderState
		site  string
		end   string
	}{
		"A1": {Accepted, "porto", ""},
		"A2": {Waiting, "", "declined: no yarn"},
		"A3": {Waiting, "", "declined: changed its mind"},
		"A4": {Routed, "porto", ""},
		"L1": {Routed, "lisbon", ""},
	}
	for id, w := range want {
		o, routes := e.order(id)
		if o.State != w.state || o.Site != w.site || len(routes) != 1 || routes[0].EndCause != w.end {
			t.Errorf("%s: %s at %q, routes %+v; want %s at %q, its route ended %q", id, o.State, o.Site, routes, w.state, w.site, w.end)
		}
	}
	if got := routesTo(t, e.links.take(), KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"porto": {"L1"}}) {
		t.Errorf("withdrawals: %v", got)
	}
}

func TestDeclineRoutesAgainWithoutTheSite(t *testing.T) {
	e := newTwo(t)
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Reason: "the loom is down"}}})
	if o, _ := e.order("A1"); o.State != Waiting || o.Site != "" {
		t.Fatalf("after the decline: %+v", o)
	}
	if msgs := e.links.take(); len(msgs) != 0 {
		t.Errorf("a decline sent %v", msgs)
	}
	e.route()
	o, routes := e.order("A1")
	if o.Site != "lisbon" || o.Route != 2 || routes[0].EndCause != "declined: the loom is down" || routes[1].Cause != "declined: the loom is down" {
		t.Errorf("after routing again: %+v %+v", o, routes)
	}
}

func TestMove(t *testing.T) {
	e := newTwo(t)
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}}})
	e.importRows(row(3, "H1", "HAT", porto))
	e.route()
	e.links.take()

	refusals := []struct {
		order, site string
		want        error
	}{
		{"nope", "lisbon", ErrUnknownOrder},
		{"A1", "nowhere", ErrUnknownSite},
		{"H1", "lisbon", ErrCannotMake},
	}
	for _, r := range refusals {
		if _, err := e.hub.Move(e.ctx, r.order, r.site, "ana"); !errors.Is(err, r.want) {
			t.Errorf("move %s to %s: %v, want %v", r.order, r.site, err, r.want)
		}
	}
	o, err := e.hub.Move(e.ctx, "A1", "lisbon", "ana")
	if err != nil || o.Site != "lisbon" || o.Route != 2 || o.State != Routed {
		t.Fatalf("move: %+v, %v", o, err)
	}
	msgs := e.links.take()
	if got := routesTo(t, msgs, KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"porto": {"A1"}}) {
		t.Errorf("withdrawals: %v", got)
	}
	if got := routesTo(t, msgs, KindRoute); !reflect.DeepEqual(got, map[string][]string{"lisbon": {"A1"}}) {
		t.Errorf("routes: %v", got)
	}
	if _, routes := e.order("A1"); routes[0].EndCause != "moved by ana" || routes[1].Cause != "moved by ana" {
		t.Errorf("routes: %+v", routes)
	}
	// moving it where it is changes nothing
	if o, err := e.hub.Move(e.ctx, "A1", "lisbon", "ana"); err != nil || o.Route != 2 || len(e.links.take()) != 0 {
		t.Errorf("a move to the same site: %+v, %v", o, err)
	}

	e.say("lisbon", KindProgress, Progresses{Orders: []Progress{{OrderID: "A1", Route: 2, State: Started, Made: 1, Version: 7}}})
	if _, err := e.hub.Move(e.ctx, "A1", "porto", "ana"); !errors.Is(err, ErrStarted) {
		t.Errorf("moving a started order: %v", err)
	}
	if _, err := e.hub.MarkGone(e.ctx, "porto", "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Move(e.ctx, "H1", "porto", "ana"); !errors.Is(err, ErrSiteGone) {
		t.Errorf("moving to a gone site: %v", err)
	}
}

func TestMarkGoneRoutesAgainWhatHasNotStarted(t *testing.T) {
	e := newTwo(t)
	e.importRows(row(3, "A2", "RUG", porto), row(4, "A3", "RUG", porto), row(5, "H1", "HAT", porto))
	e.route()
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}, {OrderID: "A2", Route: 1, Taken: true}}})
	e.say("porto", KindProgress, Progresses{Orders: []Progress{{OrderID: "A3", Route: 1, State: Started, Version: 3}}})
	e.links.take()

	n, err := e.hub.MarkGone(e.ctx, "porto", "ana")
	if err != nil || n != 3 {
		t.Fatalf("mark gone: %d, %v", n, err)
	}
	if got := routesTo(t, e.links.take(), KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"porto": {"A1", "A2", "H1"}}) {
		t.Errorf("withdrawals: %v", got)
	}
	if n, err := e.hub.MarkGone(e.ctx, "porto", "ana"); err != nil || n != 0 {
		t.Errorf("marking it gone again: %d, %v", n, err)
	}
	e.route()
	if got := routesTo(t, e.links.take(), KindRoute); !reflect.DeepEqual(got, map[string][]string{"lisbon": {"A1", "A2"}}) {
		t.Errorf("routes: %v", got)
	}
	if o, _ := e.order("A3"); o.Site != "porto" || o.State != Started {
		t.Errorf("the started order: %+v", o)
	}
	if o, routes := e.order("H1"); o.State != Waiting || !strings.HasPrefix(routes[0].EndCause, "site gone") {
		t.Errorf("the hat only porto makes: %+v %+v", o, routes)
	}
	if _, err := e.hub.MarkGone(e.ctx, "nowhere", "ana"); !errors.Is(err, ErrUnknownSite) {
		t.Errorf("an unknown site: %v", err)
	}
}

func TestProgress(t *testing.T) {
	e := newTwo(t)
	progress := func(site string, p Progress) {
		p.OrderID = "A1"
		e.say(site, KindProgress, Progresses{Orders: []Progress{p}})
	}
	at := e.clock.Now().Add(time.Hour)
	progress("porto", Progress{Route: 1, State: Accepted, Version: 2})
	progress("porto", Progress{Route: 1, State: Started, Made: 2, Good: 2, Version: 5})
	progress("porto", Progress{Route: 1, State: Done, Made: 9, Good: 9, Version: 3, At: at}) // older: ignored
	progress("lisbon", Progress{Route: 1, State: Done, Made: 9, Good: 9, Version: 9})        // not lisbon's route
	progress("porto", Progress{Route: 7, State: Done, Made: 9, Good: 9, Version: 9})         // no such route
	if o, _ := e.order("A1"); o.State != Started || o.Made != 2 || o.Version != 5 {
		t.Fatalf("after stale and stray reports: %+v", o)
	}
	progress("porto", Progress{Route: 1, State: Done, Made: 4, Good: 3, Version: 8, At: at})
	progress("porto", Progress{Route: 1, State: Done, Made: 4, Good: 3, Version: 8, At: at}) // replayed
	o, _ := e.order("A1")
	if o.State != Done || o.Made != 4 || o.Good != 3 || o.Version != 8 || !o.DoneAt.Equal(at) {
		t.Errorf("done: %+v", o)
	}
	if msgs := e.links.take(); len(msgs) != 0 {
		t.Errorf("progress sent %v", msgs)
	}
	tally, err := e.hub.Tally(e.ctx)
	if err != nil || len(tally) != 1 || tally[0] != (Tally{Site: "porto", Drop: "winter", State: Done, Orders: 1, Units: 1, Made: 4, Good: 3}) {
		t.Errorf("tally: %+v, %v", tally, err)
	}
}

func TestStartedFirstWinsAfterAMove(t *testing.T) {
	e := newTwo(t)
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}}})
	if _, err := e.hub.Move(e.ctx, "A1", "lisbon", "ana"); err != nil {
		t.Fatal(err)
	}
	e.links.take()
	// porto started it before the withdrawal reached it
	e.say("porto", KindProgress, Progresses{Orders: []Progress{{OrderID: "A1", Route: 1, State: Started, Made: 1, Version: 4}}})
	o, routes := e.order("A1")
	if o.Site != "porto" || o.State != Started || o.Route != 3 || len(routes) != 3 || routes[2].Site != "porto" {
		t.Fatalf("taken back: %+v %+v", o, routes)
	}
	if got := routesTo(t, e.links.take(), KindWithdraw); !reflect.DeepEqual(got, map[string][]string{"lisbon": {"A1"}}) {
		t.Errorf("withdrawals: %v", got)
	}
	// lisbon's ack of route 2 comes late: refused
	e.say("lisbon", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 2, Taken: true}}})
	if o, _ := e.order("A1"); o.Site != "porto" || o.State != Started {
		t.Errorf("after lisbon's late ack: %+v", o)
	}
	// porto's later reports on its route 1 still count
	e.say("porto", KindProgress, Progresses{Orders: []Progress{{OrderID: "A1", Route: 1, State: Done, Made: 1, Good: 1, Version: 6}}})
	if o, _ := e.order("A1"); o.State != Done {
		t.Errorf("done at porto: %+v", o)
	}
}

func TestUnknownSiteAndBadMessagesChangeNothing(t *testing.T) {
	e := newTwo(t)
	before, _ := e.hub.Sites(e.ctx)
	order, _ := e.order("A1")
	e.clock.Advance(time.Minute)
	for _, kind := range []string{KindHello, KindStatus, KindAck, KindProgress, KindPromise} {
		err := e.hub.Receive(e.ctx, "nowhere", kind, []byte(`{}`))
		if !errors.Is(err, ErrUnknownSite) || !strings.Contains(err.Error(), `"nowhere"`) {
			t.Errorf("%s from an unknown site: %v", kind, err)
		}
		if err := e.hub.Receive(e.ctx, "porto", kind, []byte(`{"orders": 3`)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("a bad %s: %v", kind, err)
		}
	}
	ack := e.json(Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}}})
	if err := e.hub.Receive(e.ctx, "nowhere", KindAck, ack); !errors.Is(err, ErrUnknownSite) {
		t.Errorf("an ack from an unknown site: %v", err)
	}
	after, _ := e.hub.Sites(e.ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("sites changed:\n%+v\n%+v", before, after)
	}
	if o, _ := e.order("A1"); !reflect.DeepEqual(o, order) {
		t.Errorf("the order changed: %+v", o)
	}
	if msgs := e.links.take(); len(msgs) != 0 {
		t.Errorf("sent %v", msgs)
	}
	// an unknown kind from a known site is only its word
	if err := e.hub.Receive(e.ctx, "porto", "gossip", []byte(`{}`)); err != nil {
		t.Errorf("an unknown kind: %v", err)
	}
	if s, _ := e.hub.Sites(e.ctx); !s[1].LastWord.Equal(e.clock.Now()) {
		t.Errorf("porto's last word: %v", s[1].LastWord)
	}
}

func TestAnAckOfAnEarlierRouteOfTheSameSiteIsRefusedWithoutWithdrawal(t *testing.T) {
	e := newTwo(t)
	for _, site := range []string{"lisbon", "porto"} {
		if _, err := e.hub.Move(e.ctx, "A1", site, "ana"); err != nil {
			t.Fatal(err)
		}
	}
	e.links.take()
	before, _ := e.order("A1")
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 1, Taken: true}}})
	if o, _ := e.order("A1"); !reflect.DeepEqual(o, before) {
		t.Errorf("an ack of route 1 changed the order: %+v", o)
	}
	if msgs := e.links.take(); len(msgs) != 0 {
		t.Errorf("sent %v", msgs)
	}
	e.say("porto", KindAck, Acks{Orders: []Ack{{OrderID: "A1", Route: 3, Taken: true}}})
	if o, _ := e.order("A1"); o.State != Accepted || o.Route != 3 {
		t.Errorf("after the ack of route 3: %+v", o)
	}
}

func TestPromisesNobodyAskedForChangeNothing(t *testing.T) {
	e := newTwo(t)
	before, _ := e.order("A1")
	e.say("lisbon", KindPromise, Promises{ID: "1-1", Orders: []Promise{{OrderID: "A1", End: e.clock.Now()}}, Load: Load{Hours: 3}})
	if o, _ := e.order("A1"); !reflect.DeepEqual(o, before) {
		t.Errorf("the order changed: %+v", o)
	}
	sites, _ := e.hub.Sites(e.ctx)
	if sites[0].ID != "lisbon" || sites[0].Load.Hours != 3 {
		t.Errorf("lisbon's load: %+v", sites[0])
	}
}
