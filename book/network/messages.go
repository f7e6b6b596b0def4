package network

import "time"

// The kinds of the messages between the hub and a site. telemetry/link carries each in a
// signed envelope with its sender's sequence number; the body is the JSON of the type below.
// Every message says what is, not what changed, so that applying it twice changes nothing.
const (
	// From the hub to a site.
	KindRoute          = "route"           // RouteOrders: take these orders
	KindWithdraw       = "withdraw"        // WithdrawOrders: give these orders up, if not started
	KindPromiseRequest = "promise.request" // PromiseRequest: when could you make these?

	// From a site to the hub.
	KindHello    = "hello"    // Hello: what the site makes; sent at start and on every reconnection
	KindStatus   = "status"   // Status: the site's load, every minute
	KindAck      = "ack"      // Acks: orders taken or declined
	KindPromise  = "promise"  // Promises: the answer to a PromiseRequest
	KindProgress = "progress" // Progresses: orders' states at the site
)

// Hub is the sender and receiver id of the hub on the links.
const Hub = "hub"

// RouteOrders gives a site orders to make. A site takes an order it receives before AckBy (by
// its own clock, less a margin for the clocks' difference) and acknowledges it; past AckBy it
// declines it, since the hub has routed it elsewhere meanwhile. Taking an order the site already
// holds as it is changes nothing and acknowledges it again.
type RouteOrders struct {
	Orders []RoutedOrder `json:"orders"`
}

// RoutedOrder is one order routed to a site: the row as the planner gave it, the route's number
// and the acknowledgement's deadline.
type RoutedOrder struct {
	OrderID  string    `json:"order_id"`
	Drop     string    `json:"drop"`
	SKU      string    `json:"sku"`
	Quantity int       `json:"quantity"`
	Customer string    `json:"customer,omitempty"`
	Priority int       `json:"priority,omitempty"`
	Due      time.Time `json:"due"`
	Notes    string    `json:"notes,omitempty"`
	Route    int       `json:"route"`
	AckBy    time.Time `json:"ack_by"`
}

// WithdrawOrders takes orders back from a site: each that has not started there is withdrawn
// from its book; one that has started is kept and reported (Progress with its state).
type WithdrawOrders struct {
	Orders []Withdrawal `json:"orders"`
}

// Withdrawal is one order taken back, with the route it ends and why.
type Withdrawal struct {
	OrderID string `json:"order_id"`
	Route   int    `json:"route"`
	Reason  string `json:"reason"`
}

// PromiseRequest asks a site when it would finish orders if it took them all, planned with its
// own open work (a promise check: nothing is stored). A site answers a request received after
// Expires with nothing.
type PromiseRequest struct {
	ID      string        `json:"id"`
	Expires time.Time     `json:"expires"`
	Orders  []RoutedOrder `json:"orders"`
	// Repairs asks for the standard date of each repair's diagnosis, as the site would
	// promise it (answered in Promises.Repairs).
	Repairs []RoutedRepair `json:"repairs,omitempty"`
}

// Hello says what a site makes: for each drop of its file, the SKUs it sells. Cells counts its
// cells.
type Hello struct {
	Makes map[string][]string `json:"makes"`
	// Repairs is the kinds of items the site repairs (its aftercare section); a Hello without
	// it says the site repairs nothing.
	Repairs []string `json:"repairs,omitempty"`
	Cells   int      `json:"cells"`
	Version string   `json:"version,omitempty"`
}

// Status is a site's load.
type Status struct {
	Load Load `json:"load"`
}

// Acks answers RouteOrders: each order taken, or declined with a reason.
type Acks struct {
	Orders []Ack `json:"orders"`
}

// Ack is a site's answer for one routed order.
type Ack struct {
	OrderID string `json:"order_id"`
	Route   int    `json:"route"`
	Taken   bool   `json:"taken"`
	// Reason says why an order was declined (its deadline passed, the drop or SKU is unknown
	// at the site, its row is refused by the site's book).
	Reason string `json:"reason,omitempty"`
}

// Promises answers a PromiseRequest.
type Promises struct {
	ID     string    `json:"id"`
	Orders []Promise `json:"orders"`
	// Error, when set, says why the site could not plan the request (then Orders is empty).
	Error string `json:"error,omitempty"`
	// Load is the site's load when it planned.
	Load Load `json:"load"`
	// Repairs answers the request's repairs: Promise.OrderID is the network's repair id and
	// End the standard date of its diagnosis.
	Repairs []Promise `json:"repairs,omitempty"`
}

// Promise is a site's predicted completion of one order of a request.
type Promise struct {
	OrderID string    `json:"order_id"`
	End     time.Time `json:"end"`
	// Hours, when the site gives it, is the work the order adds to its cells in cell hours per
	// cell: the hub adds it to the site's load for the rest of the routing round.
	Hours float64 `json:"hours,omitempty"`
}

// Progresses reports the states of orders at a site.
type Progresses struct {
	Orders []Progress `json:"orders"`
}

// Progress is where one network order stands at its site.
type Progress struct {
	OrderID string `json:"order_id"`
	Route   int    `json:"route"`
	// State is accepted, started or done as the hub's OrderState says, or "withdrawn" when the
	// site gave the order up.
	State OrderState `json:"state"`
	Made  int        `json:"made"`
	Good  int        `json:"good"`
	// Version grows with every change of the order at the site (the site's event id): the hub
	// keeps the report of the highest.
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
}

// Withdrawn is the Progress state of an order its site gave up.
const Withdrawn OrderState = "withdrawn"
