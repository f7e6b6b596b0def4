package main

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// This file holds TestNetwork's later phases: madrid cut off and the hub killed meanwhile, then
// the wait for every order to be done and the comparison of the hub's book with the sites'.

// netCutAge is the age of madrid's last word the hub must show during the cut: more than a
// site that is heard from ever shows (it says its status every 30 s), less than the cut.
const netCutAge = 45

// cutMadrid waits until madrid works on its share of the batch, cuts its proxy for netCut and
// checks that its floor keeps making (its own API) while the hub shows the age of its last word
// growing; a third into the cut the hub is killed with SIGKILL and started again. Once madrid
// is back, its progress must reach the hub.
func (n *netNetwork) cutMadrid(t *testing.T, want map[string]netExpected) {
	t.Helper()
	var before int
	n.wait(t, "madrid making its share of the batch", func() bool {
		units, done := n.siteUnits(t, "madrid", want)
		before = units
		return units > 0 && !done
	})
	n.proxies["madrid"].Cut()
	cutAt, after, killed := time.Now(), before, false
	var ages []int64
	others := map[string]int64{} // the oldest last word of each other site during the cut
	for time.Since(cutAt) < netCut {
		after, _ = n.siteUnits(t, "madrid", want)
		for id, s := range n.hubSites() {
			switch {
			case s.AgeS == nil:
			case id == "madrid":
				ages = append(ages, *s.AgeS)
			default:
				others[id] = max(others[id], *s.AgeS)
			}
		}
		if !killed && time.Since(cutAt) > netCut/3 {
			n.killHub(t)
			killed = true
		}
		for _, d := range n.sites {
			daemonAlive(t, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
	n.proxies["madrid"].Restore()
	if after <= before {
		t.Errorf("madrid made %d units of the batch when cut off and %d a minute later: its floor stopped", before, after)
	}
	if len(ages) < 2 || ages[len(ages)-1] < netCutAge || ages[len(ages)-1] <= ages[0] {
		t.Errorf("the hub showed madrid's last word %v seconds old during the cut; want it growing past %d", ages, netCutAge)
	}
	for id, age := range others {
		if age >= netCutAge {
			t.Errorf("the hub showed %s's last word %d s old while only madrid was cut off", id, age)
		}
	}
	n.wait(t, "madrid heard from again at the hub", func() bool {
		s, ok := n.hubSites()["madrid"]
		return ok && s.Online && s.AgeS != nil && *s.AgeS < netCutAge
	})
	n.wait(t, "madrid's progress of the cut at the hub", func() bool {
		orders := n.hubOrders()
		return orders != nil && hubMade(orders, "madrid") >= after
	})
}

// killHub kills the hub with SIGKILL while the sites work, and starts it again on the same
// data directory and database.
func (n *netNetwork) killHub(t *testing.T) {
	t.Helper()
	orders := n.hubOrders()
	done := 0
	for _, o := range orders {
		if o.State == network.Done {
			done++
		}
	}
	if orders == nil || done == len(orders) {
		t.Fatalf("the hub should be killed mid-run: %d of %d orders are done\n%s", done, len(orders), n.logs())
	}
	n.hub.kill()
	t.Logf("the hub was killed with SIGKILL with %d of %d orders done", done, len(orders))
	n.startHub(t)
}

// waitAllDone waits until the hub holds every order of the batch done.
func (n *netNetwork) waitAllDone(t *testing.T, want map[string]netExpected) {
	t.Helper()
	var orders map[string]network.Order
	summary := func() string {
		states := map[string]int{}
		for _, o := range orders {
			states[o.Site+" "+string(o.State)]++
		}
		return "orders by site and state at the hub: " + netJSON(states)
	}
	n.wait(t, "every order of the batch done at the hub", func() bool {
		if orders = n.hubOrders(); orders == nil {
			return false
		}
		for id := range want {
			if orders[id].State != network.Done {
				return false
			}
		}
		return true
	}, summary)
}

// checkBooksAgree checks every order of the batch in the hub's book against the sites' books:
// done at the site the hub names, with the units that site's book says, and at no other site
// except withdrawn.
func (n *netNetwork) checkBooksAgree(t *testing.T, want map[string]netExpected) {
	t.Helper()
	orders := n.hubOrders()
	at := map[string]map[string]netSiteOrder{}
	for _, s := range netSites {
		for id, o := range n.siteOrders(t, s.id, want) {
			if at[id] == nil {
				at[id] = map[string]netSiteOrder{}
			}
			at[id][s.id] = o
		}
	}
	for id := range want {
		if bad := checkAtTheEnd(orders[id], at[id]); len(bad) > 0 {
			t.Errorf("order %s: %s", id, strings.Join(bad, "; "))
		}
	}
	if len(orders) != len(want) {
		t.Errorf("the hub holds %d orders, the batch had %d", len(orders), len(want))
	}
}

// siteOrders reads, through the site's API, every order of the batch its book holds.
func (n *netNetwork) siteOrders(t *testing.T, site string, want map[string]netExpected) map[string]netSiteOrder {
	t.Helper()
	d := n.sites[site]
	out := map[string]netSiteOrder{}
	for _, wo := range listWorkOrders(t, d) {
		if _, ok := want[wo.OrderID]; !ok {
			continue
		}
		if _, seen := out[wo.OrderID]; !seen {
			var detail struct {
				Order struct {
					Withdrawn any `json:"withdrawn"`
				} `json:"order"`
				State     string         `json:"state"`
				Shortfall book.Shortfall `json:"shortfall"`
			}
			d.get(t, "/api/v1/orders/"+url.PathEscape(wo.OrderID), &detail)
			out[wo.OrderID] = netSiteOrder{State: detail.State, Good: detail.Shortfall.Good,
				Withdrawn: detail.State == "withdrawn" || detail.Order.Withdrawn != nil}
		}
		var w book.WorkOrderDetail
		d.get(t, "/api/v1/work-orders/"+strconv.FormatInt(wo.ID, 10), &w)
		var last book.Operation
		for _, op := range w.Operations {
			if op.Seq >= last.Seq {
				last = op
			}
		}
		o := out[wo.OrderID]
		o.Made += last.UnitsDone
		out[wo.OrderID] = o
	}
	return out
}
