package network

import "time"

// The kinds of the messages of the network's repairs. Like the orders' messages, each says
// what is, so that applying it twice changes nothing. A repair's promise is asked in a
// PromiseRequest (its Repairs) and answered in Promises (its Repairs).
const (
	// From the hub to a site.
	KindRouteRepairs   = "repair.route"    // RouteRepairs: open these repairs
	KindWithdrawRepair = "repair.withdraw" // WithdrawRepairs: give these repairs up, if the book can

	// From a site to the hub.
	KindRepairAck      = "repair.ack"      // RepairAcks: repairs opened or declined
	KindRepairProgress = "repair.progress" // RepairProgresses: repairs' states at the site
)

// RouteRepairs gives a site repairs to open. A site opens a repair it receives before AckBy
// (by its own clock, less a margin) as a counter repair of its book, keyed by the network's
// repair id, and acknowledges it with its own repair id; past AckBy, or for a kind it does not
// repair, it declines it. Opening a repair the site holds already changes nothing and
// acknowledges it again.
type RouteRepairs struct {
	Repairs []RoutedRepair `json:"repairs"`
}

// RoutedRepair is one repair routed to a site: the request as it came in at the hub, the
// route's number and the acknowledgement's deadline.
type RoutedRepair struct {
	RepairID string `json:"repair_id"`
	// Serial is the unit's serial when the customer gave one; Item describes an item without
	// one. Kind is the kind of item (configs.ItemKind) either way.
	Serial      string    `json:"serial,omitempty"`
	Item        string    `json:"item,omitempty"`
	Kind        string    `json:"kind"`
	Customer    string    `json:"customer"`
	Contact     string    `json:"contact,omitempty"`
	Description string    `json:"description,omitempty"`
	Due         time.Time `json:"due,omitzero"`
	Route       int       `json:"route"`
	AckBy       time.Time `json:"ack_by"`
}

// WithdrawRepairs takes repairs back from a site. A site's book cannot undo a repair it has
// opened (it is received at the counter with its diagnosis work order): a site that holds
// the repair keeps it and reports it (RepairProgress with its state), one that does not hold it
// forgets the route.
type WithdrawRepairs struct {
	Repairs []RepairWithdrawal `json:"repairs"`
}

// RepairWithdrawal is one repair taken back, with the route it ends and why.
type RepairWithdrawal struct {
	RepairID string `json:"repair_id"`
	Route    int    `json:"route"`
	Reason   string `json:"reason"`
}

// RepairAcks answers RouteRepairs: each repair opened, or declined with a reason.
type RepairAcks struct {
	Repairs []RepairAck `json:"repairs"`
}

// RepairAck is a site's answer for one routed repair.
type RepairAck struct {
	RepairID string `json:"repair_id"`
	Route    int    `json:"route"`
	Taken    bool   `json:"taken"`
	// SiteRepair is the site's id of the repair it opened ("R-000042"), when taken. The
	// customer's link is never sent: the site's staff give it from the repair's page.
	SiteRepair string `json:"site_repair,omitempty"`
	// Reason says why a repair was declined (its deadline passed, the site does not repair
	// its kind, the site's book refused it).
	Reason string `json:"reason,omitempty"`
}

// RepairProgresses reports the states of repairs at a site.
type RepairProgresses struct {
	Repairs []RepairProgress `json:"repairs"`
}

// RepairProgress is where one network repair stands at its site.
type RepairProgress struct {
	RepairID string `json:"repair_id"`
	Route    int    `json:"route"`
	// State is accepted (received, not diagnosed), started (diagnosed and on) or done
	// (returned to the customer).
	State OrderState `json:"state"`
	// SiteState is the repair's state in the site's book (book.RepairState); SiteRepair its
	// id there.
	SiteState  string `json:"site_state"`
	SiteRepair string `json:"site_repair"`
	// Version grows with every change of the repair at the site (the site's event id).
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
}
