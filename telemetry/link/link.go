package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellforge/cellforge/telemetry/buffer"
)

// ErrUnknownPeer is returned by Send for a receiver that is not one of Config.Peers.
var ErrUnknownPeer = errors.New("unknown peer")

// ErrQueueFull is returned by Send when Config.MaxQueued bytes already wait for the broker.
var ErrQueueFull = errors.New("the outbound queue is full")

// Handler handles a verified message. It must be idempotent: a message is handed again after a
// crash between the handler and the ledger. An error makes the link call it again with backoff.
type Handler func(ctx context.Context, m Message) error

// Message is a verified message as a Handler gets it.
type Message struct {
	From  string
	Kind  string
	Seq   uint64
	Epoch int64
	At    time.Time // when the sender sent it, by its clock
	Body  []byte    // JSON
}

// The reasons a received message is refused, as Status.Refused counts them.
const (
	RefusedUnknownSender = "unknown sender"
	RefusedMalformed     = "malformed"
	RefusedSignature     = "bad signature"
	RefusedTopic         = "topic mismatch"
	RefusedReplay        = "replayed"
)

// Status is what a link reports of itself.
type Status struct {
	Connected bool
	// Since is when the connection was last made or lost (or the link opened).
	Since time.Time
	// Queued counts the messages sent and not yet acknowledged by the broker.
	Queued int
	// Sent counts the messages the broker acknowledged since Open.
	Sent uint64
	// Applied counts the messages handled and recorded in the ledger since Open.
	Applied uint64
	// Refused counts refused messages since Open by reason (the Refused* constants).
	Refused map[string]uint64
}

// Link is one end of the network's links. Send is safe for concurrent use, also from a
// Handler; Run runs once at a time (a second concurrent Run is an error).
type Link struct {
	cfg   Config
	log   *slog.Logger
	queue *buffer.Queue

	sendMu sync.Mutex
	sent   sendState // guarded by sendMu

	ledgerMu sync.Mutex
	ledger   ledger // guarded by ledgerMu

	running    atomic.Bool
	connected  atomic.Bool
	since      atomic.Int64 // unix nanos
	sentN      atomic.Uint64
	applied    atomic.Uint64
	refusedMu  sync.Mutex
	refused    map[string]uint64 // guarded by refusedMu
	closeOnce  sync.Once
	closeError error
}

// Open checks the config, refusing a bad one with an error naming the field, and opens the
// outbound queue, the sequence numbers and the ledger under Config.Dir (created if missing).
func Open(cfg Config) (*Link, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("link: Dir: %w", err)
	}
	sent, err := loadSendState(cfg.Dir, time.Now())
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	led, err := loadLedger(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	// Messages of the network must not be dropped for age or size: Send refuses beyond
	// MaxQueued instead, below the queue's own bound.
	q, err := buffer.Open(filepath.Join(cfg.Dir, queueDir), buffer.Options{
		MaxBytes: 2*cfg.MaxQueued + 64<<20, MaxAge: 100 * 365 * 24 * time.Hour, SegmentBytes: 4 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("link: opening the outbound queue: %w", err)
	}
	l := &Link{cfg: cfg, log: cfg.Logger.With("link", cfg.Self), queue: q, sent: sent, ledger: led,
		refused: make(map[string]uint64)}
	l.since.Store(time.Now().UnixNano())
	return l, nil
}

// Close closes the outbound queue; call it after Run has returned. What is queued stays on disk
// for the next Open.
func (l *Link) Close() error {
	l.closeOnce.Do(func() { l.closeError = l.queue.Close() })
	return l.closeError
}

// Send queues a message of a kind to a peer, its body encoded as JSON. The message is on disk
// (fsync'd) when Send returns; Run publishes it. A receiver not in Config.Peers is
// ErrUnknownPeer (a site sends only to the hub). When Send fails after the message was appended
// to the queue (its sync failed), the message may still go out: a retried Send then sends it
// twice with two sequence numbers, which idempotent handlers tolerate.
func (l *Link) Send(to, kind string, body any) error {
	if _, ok := l.cfg.Peers[to]; !ok {
		return fmt.Errorf("link: sending %q to %q: %w", kind, to, ErrUnknownPeer)
	}
	if kind == "" {
		return fmt.Errorf("link: sending to %q: no kind", to)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("link: sending %q to %q: encoding the body: %w", kind, to, err)
	}
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if st := l.queue.Stats(); st.Bytes+int64(len(b)) > l.cfg.MaxQueued {
		return fmt.Errorf("link: sending %q to %q: %w (%d messages, %d bytes wait for the broker)",
			kind, to, ErrQueueFull, st.Records, st.Bytes)
	}
	env := Envelope{V: Version, From: l.cfg.Self, To: to, Epoch: l.sent.Epoch, Seq: l.sent.Last[to] + 1,
		Kind: kind, At: time.Now().UTC(), Body: b}
	payload, err := seal(env, l.cfg.Key)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	// The number is taken on disk before the message is queued: a crash in between leaves a
	// gap, which receivers accept, never a number used twice.
	next := sendState{Epoch: l.sent.Epoch, Last: make(map[string]uint64, len(l.sent.Last)+1)}
	for k, v := range l.sent.Last {
		next.Last[k] = v
	}
	next.Last[to] = env.Seq
	if err := writeJSON(l.cfg.Dir, sendFile, next); err != nil {
		return fmt.Errorf("link: sending %q to %q: %w", kind, to, err)
	}
	l.sent = next
	if _, err := l.queue.Append(record(to, payload)); err != nil {
		return fmt.Errorf("link: sending %q to %q: queueing: %w", kind, to, err)
	}
	if err := l.queue.Sync(); err != nil {
		return fmt.Errorf("link: sending %q to %q: syncing the queue: %w", kind, to, err)
	}
	return nil
}

// record frames a queued message: the receiver's id, its length first, then the payload.
func record(to string, payload []byte) []byte {
	r := make([]byte, 0, 1+len(to)+len(payload))
	r = append(r, byte(len(to)))
	r = append(r, to...)
	return append(r, payload...)
}

// parseRecord reads a record framed by record.
func parseRecord(r []byte) (to string, payload []byte, ok bool) {
	if len(r) < 1 || len(r) < 1+int(r[0]) {
		return "", nil, false
	}
	return string(r[1 : 1+r[0]]), r[1+r[0]:], true
}

// Status returns the link's state and counters.
func (l *Link) Status() Status {
	l.refusedMu.Lock()
	refused := make(map[string]uint64, len(l.refused))
	for k, v := range l.refused {
		refused[k] = v
	}
	l.refusedMu.Unlock()
	return Status{
		Connected: l.connected.Load(), Since: time.Unix(0, l.since.Load()),
		Queued: int(l.queue.Stats().Records), Sent: l.sentN.Load(), Applied: l.applied.Load(), Refused: refused,
	}
}

func (l *Link) setConnected(c bool) {
	l.connected.Store(c)
	l.since.Store(time.Now().UnixNano())
}
