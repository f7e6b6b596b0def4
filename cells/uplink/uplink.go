package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/cells/planner"
)

// Promiser predicts when candidate orders would be done at the site and the cell time each
// would take; *planner.Planner is one.
type Promiser interface {
	PromiseOrders(ctx context.Context, cands []book.Candidate) (map[string]planner.OrderPromise, error)
}

var _ Promiser = (*planner.Planner)(nil)

// planHolder is the optional ability of a Promiser to tell its current plan, for the end of
// the site's plan in its load.
type planHolder interface {
	Current() *planner.Plan
}

var _ planHolder = (*planner.Planner)(nil)

// Sender sends a message to the hub; telemetry/link's *Link is one. Send returns once the
// message is durable (in the link's outbound queue).
type Sender interface {
	Send(to, kind string, body any) error
}

// Message is a message from the hub, verified by the link: its sender, kind and JSON body.
type Message struct {
	From, Kind string
	Body       []byte
}

// Config is what an Uplink needs.
type Config struct {
	// Site is the site's id on the network.
	Site    string
	Book    *book.Book
	Planner Promiser
	Link    Sender
	// Dir holds the uplink's own state; it is created when missing.
	Dir string
	// Margin is taken off a routed order's AckBy for the difference between the hub's clock
	// and the site's (default 10s).
	Margin time.Duration
	// StatusEvery is how often Run reports the site's load (default 30s).
	StatusEvery time.Duration
	// Now returns the current time; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Actor is the actor of the book's changes the uplink makes: the network's imports and
// withdrawals.
const Actor book.Actor = "network"

// Default values of Config.
const (
	DefaultMargin      = 10 * time.Second
	DefaultStatusEvery = 30 * time.Second
)

// Uplink is a site's side of the network. Receive handles the hub's messages, Run reports the
// site's state; both may run at once.
type Uplink struct {
	cfg Config
	log *slog.Logger

	// mu serializes the changes of the state and what is sent from it: taking orders,
	// withdrawing them and reporting their progress.
	mu sync.Mutex
	st state

	// greet carries Connected's requests to Run: one pending stands for any number.
	greet chan struct{}
}

// New checks cfg, reads the uplink's state from cfg.Dir (creating the directory when missing)
// and returns the Uplink. On its first start the uplink follows the book's events from the
// latest one: nothing before it was the network's.
func New(cfg Config) (*Uplink, error) {
	switch {
	case cfg.Site == "":
		return nil, errors.New("uplink: Site is empty")
	case cfg.Site == network.Hub:
		return nil, fmt.Errorf("uplink: Site %q is the hub's id", cfg.Site)
	case cfg.Book == nil:
		return nil, errors.New("uplink: Book is nil")
	case cfg.Planner == nil:
		return nil, errors.New("uplink: Planner is nil")
	case cfg.Link == nil:
		return nil, errors.New("uplink: Link is nil")
	case cfg.Dir == "":
		return nil, errors.New("uplink: Dir is empty")
	case cfg.Margin < 0:
		return nil, fmt.Errorf("uplink: Margin %s is negative", cfg.Margin)
	case cfg.StatusEvery < 0:
		return nil, fmt.Errorf("uplink: StatusEvery %s is negative", cfg.StatusEvery)
	}
	if cfg.Margin == 0 {
		cfg.Margin = DefaultMargin
	}
	if cfg.StatusEvery == 0 {
		cfg.StatusEvery = DefaultStatusEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("uplink: Dir: %w", err)
	}
	st, found, err := loadState(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("uplink: %w", err)
	}
	u := &Uplink{cfg: cfg, log: cfg.Logger.With("component", "uplink", "site", cfg.Site), st: st,
		greet: make(chan struct{}, 1)}
	if !found {
		last, err := cfg.Book.LastEventID(context.Background())
		if err != nil {
			return nil, fmt.Errorf("uplink: reading the book's latest event: %w", err)
		}
		u.st.Cursor = last
		if err := saveState(cfg.Dir, u.st); err != nil {
			return nil, fmt.Errorf("uplink: %w", err)
		}
	}
	return u, nil
}

// Receive handles a message from the hub; it is the link's handler. It returns an error only
// when the message could not be handled for now (the book's database away, the state or the
// link's queue not writable): the link then hands it over again, and handling it again changes
// nothing that was done. A message that can never be handled (not from the hub, of an unknown
// kind, a body that does not decode) is logged with the reason and dropped.
func (u *Uplink) Receive(ctx context.Context, m Message) error {
	if m.From != network.Hub {
		u.refuse(m, fmt.Errorf("a site takes messages from %q only, not from %q", network.Hub, m.From))
		return nil
	}
	var err error
	switch m.Kind {
	case network.KindRoute:
		var body network.RouteOrders
		if err = decode(m, &body); err == nil {
			return u.route(ctx, body)
		}
	case network.KindWithdraw:
		var body network.WithdrawOrders
		if err = decode(m, &body); err == nil {
			return u.withdraw(ctx, body)
		}
	case network.KindRouteRepairs:
		var body network.RouteRepairs
		if err = decode(m, &body); err == nil {
			return u.routeRepairs(ctx, body)
		}
	case network.KindWithdrawRepair:
		var body network.WithdrawRepairs
		if err = decode(m, &body); err == nil {
			return u.withdrawRepairs(ctx, body)
		}
	case network.KindPromiseRequest:
		var body network.PromiseRequest
		if err = decode(m, &body); err == nil {
			return u.promise(ctx, body)
		}
	default:
		err = fmt.Errorf("unknown kind %q", m.Kind)
	}
	u.refuse(m, err)
	return nil
}

// decode decodes a message's body. Fields it does not know are ignored: the hub may be newer.
func decode(m Message, v any) error {
	if err := json.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("the body of the %s message does not decode: %w", m.Kind, err)
	}
	return nil
}

// refuse logs a message that is dropped, and why.
func (u *Uplink) refuse(m Message, err error) {
	u.log.Error("message from the hub refused", "from", m.From, "kind", m.Kind, "err", err)
}

// send sends a message to the hub.
func (u *Uplink) send(kind string, body any) error {
	if err := u.cfg.Link.Send(network.Hub, kind, body); err != nil {
		return fmt.Errorf("sending %s to the hub: %w", kind, err)
	}
	return nil
}

// save stores the state; under mu.
func (u *Uplink) save() error { return saveState(u.cfg.Dir, u.st) }

// record stores the orders changed in the state, or, when it cannot, leaves the state as it
// was, so that what the uplink holds in memory is what its file says; under mu.
func (u *Uplink) record(changed map[string]held) error {
	if len(changed) == 0 {
		return nil
	}
	before := make(map[string]held, len(changed))
	for id, h := range changed {
		if old, ok := u.st.Orders[id]; ok {
			before[id] = old
		}
		u.st.Orders[id] = h
	}
	err := u.save()
	if err == nil {
		return nil
	}
	for id := range changed {
		if old, ok := before[id]; ok {
			u.st.Orders[id] = old
		} else {
			delete(u.st.Orders, id)
		}
	}
	return err
}
