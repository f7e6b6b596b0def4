package network

import (
	"math"
	"time"
)

// Point is a place on Earth in decimal degrees (WGS 84).
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Valid reports whether p is a place: a latitude in [-90, 90] and a longitude in [-180, 180].
func (p Point) Valid() bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// earthRadiusKm is the mean radius of the Earth.
const earthRadiusKm = 6371.0088

// DistanceKm is the great-circle distance between a and b in kilometres (the haversine
// formula on a sphere of the Earth's mean radius).
func DistanceKm(a, b Point) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Site is a site of the network as the hub knows it: from the hub's file (its id, name,
// location and key) and from what it last said (its drops, load, last word).
type Site struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Location Point  `json:"location"`
	// Gone is set when a person marked the site gone: nothing is routed to it, and its orders
	// that had not started were routed again.
	Gone   bool      `json:"gone"`
	GoneAt time.Time `json:"gone_at,omitzero"`
	// Makes is what the site said it can make: for each drop it sells, the SKUs (from its last
	// Hello). Empty until it first spoke.
	Makes map[string][]string `json:"makes"`
	// Repairs is the kinds of items the site said it repairs (from its last Hello); empty
	// until it said.
	Repairs []string `json:"repairs,omitempty"`
	// Load is the site's last reported load.
	Load Load `json:"load"`
	// LastWord is when the hub last heard from the site (any message); zero when never.
	LastWord time.Time `json:"last_word,omitzero"`
}

// Online reports whether the site spoke within within of now.
func (s Site) Online(now time.Time, within time.Duration) bool {
	return !s.LastWord.IsZero() && now.Sub(s.LastWord) <= within
}

// CanMake reports whether the site said it makes sku in drop.
func (s Site) CanMake(drop, sku string) bool {
	for _, k := range s.Makes[drop] {
		if k == sku {
			return true
		}
	}
	return false
}

// CanRepair reports whether the site said it repairs items of kind.
func (s Site) CanRepair(kind string) bool {
	for _, k := range s.Repairs {
		if k == kind {
			return true
		}
	}
	return false
}

// Load is how busy a site is, as it reports it.
type Load struct {
	// OpenWorkOrders counts the work orders not done at the site (every order, not only the
	// network's).
	OpenWorkOrders int `json:"open_work_orders"`
	// Hours is the work planned at the site's cells that is not done, in cell hours.
	Hours float64 `json:"hours"`
	// Cells counts the site's cells; Hours/Cells is the site's backlog per cell.
	Cells int `json:"cells"`
	// PlanEnd is when the site's plan ends; zero when nothing is planned.
	PlanEnd time.Time `json:"plan_end,omitzero"`
	// At is when the site measured it.
	At time.Time `json:"at,omitzero"`
}

// PerCell is the site's backlog per cell in hours: how the router compares loads.
func (l Load) PerCell() float64 {
	if l.Cells <= 0 {
		return l.Hours
	}
	return l.Hours / float64(l.Cells)
}

// OrderState is where a network order stands, as the hub knows it.
type OrderState string

// Network order states. An order is waiting until it is routed to a site, routed until the site
// acknowledges it, accepted until the site starts it, started until the site reports it done.
const (
	Waiting  OrderState = "waiting"
	Routed   OrderState = "routed"
	Accepted OrderState = "accepted"
	Started  OrderState = "started"
	Done     OrderState = "done"
)

// Moveable reports whether an order in state s may still go to another site: it has not
// started.
func (s OrderState) Moveable() bool { return s == Waiting || s == Routed || s == Accepted }

// Order is an order of the network: a row of a batch that came in at the hub, the site it is
// routed to and its state there.
type Order struct {
	OrderID  string    `json:"order_id"`
	Drop     string    `json:"drop"`
	SKU      string    `json:"sku"`
	Quantity int       `json:"quantity"`
	Customer string    `json:"customer,omitempty"`
	Priority int       `json:"priority"`
	Due      time.Time `json:"due"` // the row's due date, or the drop's date
	Notes    string    `json:"notes,omitempty"`
	// Location is the customer's place, where the order ships.
	Location Point `json:"location"`
	// Hash identifies the row's content: a re-sent row with the same hash is the same order.
	Hash  string `json:"-"`
	Batch string `json:"batch"`

	State OrderState `json:"state"`
	// Site is the site the order is routed to; empty while waiting.
	Site string `json:"site,omitempty"`
	// Route counts the routes the order has had (1 after the first); each is a Route record.
	Route int `json:"route"`
	// AckBy is when the site must have acknowledged the order (state routed).
	AckBy time.Time `json:"ack_by,omitzero"`
	// Promise is the completion the site promised when it was chosen.
	Promise time.Time `json:"promise,omitzero"`
	// Made and Good are the units the site reports made and good.
	Made int `json:"made"`
	Good int `json:"good"`
	// Version is the site's version of its report that the hub holds (Progress.Version): a
	// report of a lower one changes nothing.
	Version int64 `json:"-"`
	// DoneAt is when the site reported the order done.
	DoneAt    time.Time `json:"done_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Route is one routing of an order to a site, with the ranking that chose it.
type Route struct {
	OrderID string    `json:"order_id"`
	N       int       `json:"n"` // 1 for the first route of the order
	Site    string    `json:"site"`
	At      time.Time `json:"at"`
	// Cause says why the order was routed: "new", "ack timeout", "moved by NAME", "site gone".
	Cause string `json:"cause"`
	// Why says in a sentence why this site won.
	Why     string   `json:"why"`
	Ranking []Choice `json:"ranking"`
	// Ended is when the order left this site again (timeout, move, gone); zero while it stays.
	Ended    time.Time `json:"ended,omitzero"`
	EndCause string    `json:"end_cause,omitempty"`
}

// Choice is one site as the router ranked it for an order.
type Choice struct {
	Site string `json:"site"`
	// Rank is 1 for the chosen site.
	Rank int `json:"rank"`
	// Promise is the site's predicted completion of the order; zero when it gave none.
	Promise time.Time `json:"promise,omitzero"`
	OnTime  bool      `json:"on_time"`
	// DistanceKm is from the site to the customer.
	DistanceKm float64 `json:"distance_km"`
	// LoadHours is the site's backlog per cell when it was ranked.
	LoadHours float64 `json:"load_hours"`
	// Excluded, when set, says why the site could not take the order (it does not make the
	// SKU, it is gone, it gave no promise in time, it let the order time out).
	Excluded string `json:"excluded,omitempty"`
}
