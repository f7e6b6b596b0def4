package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// netDeadline is how long TestNetwork waits for what it waits for: generous for a busy
// machine of two cores, a limit where the test gives up and not a measure of speed.
const netDeadline = 4 * time.Minute

// netCut is how long madrid is cut off from the broker.
const netCut = 60 * time.Second

// TestNetwork runs the network end to end: a real PostgreSQL, a real Mosquitto with a user per
// daemon and an ACL, the hub and three site daemons on simulated floors, each site reaching
// the broker through a proxy of its own. A batch of 300 orders imported at the hub is routed
// as the hand-made expectation of netplan_test.go says; madrid is cut off for a minute while it
// works and keeps making, and its progress reaches the hub when it comes back; the hub is
// killed with SIGKILL meanwhile and started again on the same data directory and database; at
// the end every order is done once, at one site, and the hub's book agrees with every site's.
//
// It is not parallel to the daemon's other long tests: it cuts madrid off while madrid is
// making its share of the batch, a window of seconds on the simulated floor, which the test
// missed when three such tests ran beside it.
func TestNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub, three site daemons, PostgreSQL and Mosquitto through 300 orders")
	}
	began := time.Now()
	n := startNetwork(t)
	n.waitOnline(t, "at start")
	n.preloadPorto(t)
	want := n.importBatch(t)
	n.checkFirstRoutes(t, want)
	n.cutMadrid(t, want)
	n.waitAllDone(t, want)
	n.checkBooksAgree(t, want)
	t.Logf("the network made %d orders in %v of wall time", len(want), time.Since(began).Round(100*time.Millisecond))
}

// logs returns the tail of every daemon's log, for a failure's message.
func (n *netNetwork) logs() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- hub\n%s\n", tail(n.hub.logs(), 3000))
	for _, s := range netSites {
		fmt.Fprintf(&b, "--- %s\n%s\n", s.id, tail(n.sites[s.id].logs(), 2000))
	}
	return b.String()
}

// wait polls cond every netPollEvery until it holds, or fails the test after netDeadline with
// what more says, if given, and the daemons' logs. The pause between polls spares the busy
// machine the daemons share.
func (n *netNetwork) wait(t *testing.T, what string, cond func() bool, more ...func() string) {
	t.Helper()
	deadline := time.Now().Add(netDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			for _, m := range more {
				what += "\n" + m()
			}
			t.Fatalf("timed out after %s waiting for %s\n%s", netDeadline, what, n.logs())
		}
		time.Sleep(netPollEvery)
	}
}

// netPollEvery is the pause between two polls of TestNetwork.
const netPollEvery = 250 * time.Millisecond

// hubSites returns the sites as the hub's API lists them, by id; nil when the hub does not
// answer (it is being started again).
func (n *netNetwork) hubSites() map[string]netLastWord {
	var page struct {
		Sites []netLastWord `json:"sites"`
	}
	if code, err := request(context.Background(), "GET", n.hub.url+"/api/v1/network/sites", netHubToken, "", nil, &page); err != nil || code != http.StatusOK {
		return nil
	}
	out := make(map[string]netLastWord, len(page.Sites))
	for _, s := range page.Sites {
		out[s.ID] = s
	}
	return out
}

// waitOnline waits until the hub has heard from every site within its online_within.
func (n *netNetwork) waitOnline(t *testing.T, when string) {
	t.Helper()
	n.wait(t, "every site online at the hub "+when, func() bool {
		sites := n.hubSites()
		for _, s := range netSites {
			if !sites[s.id].Online {
				return false
			}
		}
		return sites != nil
	})
}

// preloadPorto imports porto's local batch through its own API and waits until every loom of
// porto weaves it: porto's promises are then late for what is due soon.
func (n *netNetwork) preloadPorto(t *testing.T) {
	t.Helper()
	porto := n.sites["porto"]
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity\n")
	for i := range netPreloadOrders {
		fmt.Fprintf(&csv, "porto-local-%d,%s,%d\n", i+1, netPreloadSKU, netPreloadUnits)
	}
	importNetBatch(t, porto, netSites[0], csv.String(), "porto-preload", http.StatusCreated)
	n.wait(t, "porto's looms weaving its preload", func() bool {
		running := 0
		for _, wo := range listWorkOrders(t, porto) {
			if !strings.HasPrefix(wo.OrderID, "porto-local-") {
				continue
			}
			var w book.WorkOrderDetail
			porto.get(t, "/api/v1/work-orders/"+strconv.FormatInt(wo.ID, 10), &w)
			if len(w.Operations) == 1 && w.Operations[0].State == book.Running {
				running++
			}
		}
		return running == netPreloadOrders
	})
}

// importBatch imports the hub's batch through its API and returns the expectation.
func (n *netNetwork) importBatch(t *testing.T) map[string]netExpected {
	t.Helper()
	csv, want := netBatch(netGroups, time.Now())
	var res struct {
		Orders int `json:"orders"`
	}
	code, err := request(context.Background(), "POST", n.hub.url+"/api/v1/network/drops/net-drop/orders", netHubToken, "text/csv", []byte(csv), &res)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("importing the batch at the hub: %d %v\n%s", code, err, n.logs())
	}
	return want
}

// hubOrders returns every order of the hub's book by id, reading the API a page at a time; nil
// when the hub does not answer.
func (n *netNetwork) hubOrders() map[string]network.Order {
	out := map[string]network.Order{}
	for after := ""; ; {
		var page struct {
			Orders []network.Order `json:"orders"`
			Next   string          `json:"next"`
		}
		path := "/api/v1/network/orders?limit=1000&after=" + url.QueryEscape(after)
		if code, err := request(context.Background(), "GET", n.hub.url+path, netHubToken, "", nil, &page); err != nil || code != http.StatusOK {
			return nil
		}
		for _, o := range page.Orders {
			out[o.OrderID] = o
		}
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

// checkFirstRoutes waits until the hub has routed every order of the batch and checks each
// one's first route against the expectation.
func (n *netNetwork) checkFirstRoutes(t *testing.T, want map[string]netExpected) {
	t.Helper()
	n.wait(t, "every order of the batch routed", func() bool {
		orders := n.hubOrders()
		for id := range want {
			if o, ok := orders[id]; !ok || o.State == network.Waiting {
				return false
			}
		}
		return true
	})
	failed := 0
	for id, e := range want {
		var view struct {
			Order  network.Order   `json:"order"`
			Routes []network.Route `json:"routes"`
		}
		n.hub.get(t, "/api/v1/network/orders/"+url.PathEscape(id), &view)
		if bad := checkFirstRoute(e, view.Order, view.Routes); len(bad) > 0 {
			failed++
			t.Errorf("order %s (group %s: %s, want %s): %s", id, e.group.name, e.group.rule, e.group.want, strings.Join(bad, "; "))
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d orders not routed first as expected", failed, len(want))
	}
}

// siteUnits returns the units of the site's done work orders of the network's batch (its own
// API's view of what it made), and whether every work order of the batch it holds is done.
func (n *netNetwork) siteUnits(t *testing.T, site string, want map[string]netExpected) (units int, allDone bool) {
	allDone = true
	for _, wo := range listWorkOrders(t, n.sites[site]) {
		if _, ok := want[wo.OrderID]; !ok {
			continue
		}
		switch wo.State {
		case book.WorkDone:
			units += wo.Quantity
		case book.WorkOrderState("withdrawn"):
		default:
			allDone = false
		}
	}
	return units, allDone
}

// hubMade returns the units the hub holds made at site, over the orders of the batch.
func hubMade(orders map[string]network.Order, site string) int {
	made := 0
	for _, o := range orders {
		if o.Site == site {
			made += o.Made
		}
	}
	return made
}

// netJSON is json.Marshal for a failure's message.
func netJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
