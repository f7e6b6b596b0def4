package sparkplug

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// Namespace is the first segment of every Sparkplug B topic.
const Namespace = "spBv1.0"

// The node's own metrics, with the aliases they always have; the machines' values take the
// aliases after them.
const (
	// BdSeqMetric is the birth/death sequence number, in the NBIRTH and the NDEATH.
	BdSeqMetric = "bdSeq"
	// RebirthMetric is the command that asks the node for a new birth, true in an NCMD.
	RebirthMetric = "Node Control/Rebirth"

	bdSeqAlias   = 1
	rebirthAlias = 2
	firstAlias   = 3
)

// Floor is what the node reads of the machines the daemon drives.
type Floor interface {
	// Machines returns the machines the daemon drives now, with whether each answers and its
	// latest values.
	Machines() []Machine
}

// Machine is a machine the daemon drives: a device of the edge node.
type Machine struct {
	// ID is the machine's id, the device id in its topics.
	ID string
	// Online is false while the machine does not answer: it is lost.
	Online bool
	Values []Value
}

// Value is a machine's latest reading of one of its values.
type Value struct {
	Name  string
	Value float64
	Time  time.Time
}

// Config is what a Node needs.
type Config struct {
	// Broker is the broker's URL: tcp://host:port, or ssl://host:port with TLS.
	Broker             string
	ClientID           string
	Username, Password string
	TLS                *tls.Config
	// Group and Node are the Sparkplug group id and edge node id of the node's topics.
	Group, Node string
	// StateFile is the file that keeps the next session's bdSeq across restarts.
	StateFile string
	Floor     Floor
	// Interval is how often the machines are read for DDATA, DBIRTH and DDEATH (default 1s).
	Interval time.Duration
	// Timeout bounds connecting and each publish (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Stats are the node's counters.
type Stats struct {
	// Connected is true while a session is open; BdSeq is the last session's.
	Connected bool
	// Since is when the session was last born or lost (or the node made).
	Since time.Time
	BdSeq uint64
	// Sessions counts the sessions opened, Births the NBIRTHs published (rebirths included).
	Sessions, Births uint64
	// BadCommands counts the NCMD payloads that did not decode and were ignored.
	BadCommands uint64
}

// Node is a Sparkplug B edge node. Run connects and publishes.
type Node struct {
	cfg   Config
	log   *slog.Logger
	seqs  bdSeqStore
	cmds  chan []byte
	topic topics

	aliasMu   sync.Mutex
	aliases   map[[2]string]uint64 // by machine and value name
	nextAlias uint64

	connected                 atomic.Bool
	since                     atomic.Int64 // unix nanos
	bdSeq                     atomic.Uint64
	sessions, births, badCmds atomic.Uint64
}

// New checks cfg and returns a Node.
func New(cfg Config) (*Node, error) {
	switch {
	case cfg.Broker == "":
		return nil, errors.New("sparkplug: no broker")
	case !validID(cfg.Group):
		return nil, fmt.Errorf("sparkplug: group id %q: want 1 to 64 of letters, digits, '-', '_' and '.'", cfg.Group)
	case !validID(cfg.Node):
		return nil, fmt.Errorf("sparkplug: edge node id %q: want 1 to 64 of letters, digits, '-', '_' and '.'", cfg.Node)
	case cfg.StateFile == "":
		return nil, errors.New("sparkplug: no state file for the bdSeq")
	case cfg.Floor == nil:
		return nil, errors.New("sparkplug: no floor")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "cellforge-sparkplug-" + cfg.Node
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger, seqs: bdSeqStore{cfg.StateFile}, cmds: make(chan []byte, 16),
		topic: topics{group: cfg.Group, node: cfg.Node}, aliases: make(map[[2]string]uint64), nextAlias: firstAlias,
	}
	n.since.Store(time.Now().UnixNano())
	return n, nil
}

// validID reports whether s is an id the node puts in a topic: no MQTT separator or wildcard,
// nothing a host would have to escape.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// topics makes the node's topics.
type topics struct{ group, node string }

func (t topics) ofNode(kind string) string {
	return Namespace + "/" + t.group + "/" + kind + "/" + t.node
}
func (t topics) device(kind, id string) string {
	return Namespace + "/" + t.group + "/" + kind + "/" + t.node + "/" + id
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	return Stats{Connected: n.connected.Load(), Since: time.Unix(0, n.since.Load()), BdSeq: n.bdSeq.Load(), Sessions: n.sessions.Load(),
		Births: n.births.Load(), BadCommands: n.badCmds.Load()}
}

// Run opens a session and keeps it until ctx ends, opening a new one (with the next bdSeq)
// whenever the connection is lost, with backoff. On the way out it publishes the NDEATH of its
// session and disconnects, so that the broker does not publish the will. It blocks until ctx
// ends and returns nil then; it returns an error only when the bdSeq cannot be kept.
func (n *Node) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		up, err := n.session(ctx)
		var keep *keepError
		if errors.As(err, &keep) {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if up {
			backoff = 100 * time.Millisecond
		}
		n.log.Warn("sparkplug session ended: a new one starts", "broker", n.cfg.Broker, "err", err)
		backoff = session.Pause(ctx, backoff)
	}
	return nil
}

// keepError is a failure to keep the bdSeq, which ends Run: a session without a bdSeq of its
// own would confuse the hosts.
type keepError struct{ err error }

func (e *keepError) Error() string { return e.err.Error() }
func (e *keepError) Unwrap() error { return e.err }

// session runs one MQTT session: connect with the NDEATH as will, subscribe to NCMD, birth,
// then data until the connection fails or ctx ends. up reports whether the session was born.
func (n *Node) session(ctx context.Context) (up bool, err error) {
	bd, err := n.seqs.current()
	if err != nil {
		return false, &keepError{err}
	}
	will, err := deathPayload(bd)
	if err != nil {
		return false, err
	}
	opts := session.Options(session.Config{Broker: n.cfg.Broker, ClientID: n.cfg.ClientID,
		Username: n.cfg.Username, Password: n.cfg.Password, TLS: n.cfg.TLS, Timeout: n.cfg.Timeout}).
		SetCleanSession(true).
		SetBinaryWill(n.topic.ofNode("NDEATH"), will, 1, false)
	client, err := session.Connect(ctx, opts, n.cfg.Timeout)
	if err != nil {
		return false, err
	}
	if err := n.seqs.advance(bd); err != nil {
		client.Disconnect(0)
		return false, &keepError{err}
	}
	s := &live{n: n, client: client, bdSeq: bd, born: make(map[string]*machineState)}
	defer func() {
		n.setConnected(false)
		if ctx.Err() != nil {
			s.die()
			return
		}
		client.Disconnect(0)
	}()
	sub := client.Subscribe(n.topic.ofNode("NCMD"), 1, func(_ paho.Client, m paho.Message) {
		select {
		case n.cmds <- m.Payload():
		default:
			n.log.Warn("sparkplug: commands come faster than they are handled: one dropped")
		}
	})
	if err := session.Wait(ctx, sub, n.cfg.Timeout); err != nil {
		return false, fmt.Errorf("subscribing to NCMD: %w", err)
	}
	n.sessions.Add(1)
	n.bdSeq.Store(bd)
	if err := s.birth(ctx); err != nil {
		return false, err
	}
	n.setConnected(true)
	n.log.Info("sparkplug node born", "group", n.cfg.Group, "node", n.cfg.Node, "bdSeq", bd)
	return true, s.run(ctx)
}

// deathPayload is the NDEATH of the session bd: its bdSeq, and no seq.
func deathPayload(bd uint64) ([]byte, error) {
	p := Payload{Timestamp: millis(time.Now()), Metrics: []Metric{
		{Name: BdSeqMetric, HasName: true, DataType: Int64, Value: int64(bd)},
	}}
	return p.Marshal()
}

// alias returns the alias of a machine's value, the same for the node's life.
func (n *Node) alias(machine, name string) uint64 {
	n.aliasMu.Lock()
	defer n.aliasMu.Unlock()
	k := [2]string{machine, name}
	a, ok := n.aliases[k]
	if !ok {
		a = n.nextAlias
		n.nextAlias++
		n.aliases[k] = a
	}
	return a
}

func (n *Node) setConnected(c bool) {
	if n.connected.Swap(c) != c {
		n.since.Store(time.Now().UnixNano())
	}
}

func millis(t time.Time) uint64 { return uint64(t.UnixMilli()) }
