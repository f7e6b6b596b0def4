package network

import (
	"errors"
	"time"
)

// Repair is a repair request of the network: what came in at the hub, the site it is routed
// to and its state there. Its states are the orders' (OrderState): waiting, routed, accepted
// (the site opened it), started (diagnosed), done (returned to the customer).
type Repair struct {
	ID          string `json:"id"`
	Serial      string `json:"serial,omitempty"`
	Item        string `json:"item,omitempty"`
	Kind        string `json:"kind"`
	Customer    string `json:"customer"`
	Contact     string `json:"contact,omitempty"`
	Description string `json:"description,omitempty"`
	// Location is the customer's place.
	Location Point `json:"location"`
	// Due is when the customer needs the diagnosis; zero when they gave no date.
	Due time.Time `json:"due,omitzero"`
	// Hash identifies the request's content: the same id with the same hash is the same
	// request.
	Hash string `json:"-"`

	State   OrderState `json:"state"`
	Site    string     `json:"site,omitempty"`
	Route   int        `json:"route"`
	AckBy   time.Time  `json:"ack_by,omitzero"`
	Promise time.Time  `json:"promise,omitzero"`
	// SiteRepair is the site's id of the repair once it opened it; SiteState its state there.
	SiteRepair string `json:"site_repair,omitempty"`
	SiteState  string `json:"site_state,omitempty"`
	// Version is the site's version of the report the hub holds (RepairProgress.Version).
	Version   int64     `json:"-"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RepairFilter selects repairs. Zero fields select everything; AfterID and Limit page through
// them by id.
type RepairFilter struct {
	Site   string
	States []OrderState
	// AckBefore, when set, selects the routed repairs whose acknowledgement was due before it.
	AckBefore time.Time
	AfterID   string
	Limit     int
}

// Errors of the repairs' rules.
var (
	ErrUnknownRepair = errors.New("unknown repair")
	// ErrRepairConflict refuses a repair request whose id the hub holds with other content.
	ErrRepairConflict = errors.New("the repair id is another request's")
	// ErrCannotRepair refuses to move a repair to a site that does not repair its kind.
	ErrCannotRepair = errors.New("the site does not repair the repair's kind")
	// ErrRepairOpened refuses to move a repair its site has opened: a site's book cannot
	// undo a repair it opened.
	ErrRepairOpened = errors.New("the repair is opened at its site")
)
