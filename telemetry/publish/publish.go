// Package publish publishes the floor's telemetry over MQTT with store-and-forward: every
// message goes first to an on-disk queue (telemetry/buffer), and leaves it only once the broker
// has acknowledged it. While the broker is unreachable messages wait on disk, bounded by size
// and age; on reconnect they are replayed oldest first, interleaved with live messages so that
// live data is not held up behind the backlog.
//
// It imports the telemetry model, its buffer, the MQTT client library and the standard library.
package publish

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// Config is what a Publisher needs.
type Config struct {
	// Broker is the broker's URL: tcp://host:port, or ssl://host:port with TLS.
	Broker string
	// ClientID identifies the session at the broker; it must stay the same across restarts
	// for the persistent session to resume.
	ClientID string
	Site     string
	// QoS is 0 or 1.
	QoS                byte
	Username, Password string
	TLS                *tls.Config
	// Queue holds messages until the broker acknowledges them.
	Queue *buffer.Queue
	// Batch is how long points of one series gather into one message (default 100ms).
	Batch time.Duration
	// MaxInflight bounds the messages sent and not yet acknowledged (default 1000).
	MaxInflight int
	// Timeout bounds connecting and each acknowledgement (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Stats are the publisher's counters.
type Stats struct {
	Connected bool
	// Since is when the connection was last made or lost (or the publisher made).
	Since     time.Time
	Published uint64 // messages the broker acknowledged (or sent, at QoS 0)
	Replayed  uint64 // of those, messages from the backlog of an outage
	Points    uint64 // points handed to Publish
	Refused   uint64 // points Publish refused as invalid
}

// Publisher publishes series and retained messages. It is safe for concurrent use.
type Publisher struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]*batch // by topic
	flushed chan struct{}

	connected           atomic.Bool
	since               atomic.Int64 // unix nanos
	published, replayed atomic.Uint64
	points, refused     atomic.Uint64
}

type batch struct {
	series telemetry.Series
	points []telemetry.Point
}

// New returns a Publisher; Run connects and sends.
func New(cfg Config) (*Publisher, error) {
	if cfg.Queue == nil {
		return nil, errors.New("publish: no queue")
	}
	if cfg.QoS > 1 {
		return nil, fmt.Errorf("publish: QoS %d: want 0 or 1", cfg.QoS)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100 * time.Millisecond
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{cfg: cfg, log: cfg.Logger, pending: make(map[string]*batch), flushed: make(chan struct{}, 1)}
	p.since.Store(time.Now().UnixNano())
	return p, nil
}

// Publish queues points of a series. Points of a series gather for up to Config.Batch into one
// message (at most telemetry.MaxPoints each). An invalid series or point is refused.
func (p *Publisher) Publish(s telemetry.Series, points ...telemetry.Point) error {
	if err := telemetry.Check(s, points); err != nil {
		p.refused.Add(uint64(len(points)))
		return err
	}
	p.points.Add(uint64(len(points)))
	topic := s.Topic()
	p.mu.Lock()
	b := p.pending[topic]
	if b == nil {
		b = &batch{series: s}
		p.pending[topic] = b
	}
	b.points = append(b.points, points...)
	full := len(b.points) >= telemetry.MaxPoints/10
	p.mu.Unlock()
	if full {
		select {
		case p.flushed <- struct{}{}:
		default:
		}
	}
	return nil
}

// Retain queues a retained message, such as a cell's current state: the broker keeps the last
// one for every new subscriber.
func (p *Publisher) Retain(topic string, body []byte) error { return p.Enqueue(topic, body, true) }

// Enqueue queues a message that is already encoded, as it is.
func (p *Publisher) Enqueue(topic string, body []byte, retained bool) error {
	_, err := p.cfg.Queue.Append(record(topic, body, retained))
	return err
}

// flush encodes the pending batches into messages on the queue.
func (p *Publisher) flush() error {
	p.mu.Lock()
	pending := p.pending
	p.pending = make(map[string]*batch, len(pending))
	p.mu.Unlock()
	var recs [][]byte
	for _, b := range pending {
		for start := 0; start < len(b.points); start += telemetry.MaxPoints / 10 {
			end := min(start+telemetry.MaxPoints/10, len(b.points))
			topic, body, err := telemetry.Encode(b.series, b.points[start:end])
			if err != nil {
				// Publish checked every point; a batch too large for one payload is split
				// further.
				if end-start > 1 {
					mid := start + (end-start)/2
					for _, part := range [][]telemetry.Point{b.points[start:mid], b.points[mid:end]} {
						if t, body, err := telemetry.Encode(b.series, part); err == nil {
							recs = append(recs, record(t, body, false))
						}
					}
					continue
				}
				p.log.Warn("dropping a point that does not encode", "topic", b.series.Topic(), "err", err)
				continue
			}
			recs = append(recs, record(topic, body, false))
		}
	}
	if len(recs) == 0 {
		return nil
	}
	_, err := p.cfg.Queue.Append(recs...)
	return err
}

// record frames a message for the queue: a flags byte (1: retained), the topic's length, the
// topic, the payload.
func record(topic string, body []byte, retained bool) []byte {
	r := make([]byte, 0, 3+len(topic)+len(body))
	var flags byte
	if retained {
		flags = 1
	}
	r = append(r, flags)
	r = binary.BigEndian.AppendUint16(r, uint16(len(topic)))
	r = append(r, topic...)
	return append(r, body...)
}

// ParseRecord reads a message as the publisher keeps it on its queue: its topic, its payload
// and whether it is retained; ok is false for a damaged record.
func ParseRecord(r []byte) (topic string, body []byte, retained bool, ok bool) {
	if len(r) < 3 {
		return "", nil, false, false
	}
	n := int(binary.BigEndian.Uint16(r[1:3]))
	if len(r) < 3+n {
		return "", nil, false, false
	}
	return string(r[3 : 3+n]), r[3+n:], r[0]&1 == 1, true
}

// Stats returns the publisher's counters.
func (p *Publisher) Stats() Stats {
	return Stats{
		Connected: p.connected.Load(), Since: time.Unix(0, p.since.Load()), Published: p.published.Load(), Replayed: p.replayed.Load(),
		Points: p.points.Load(), Refused: p.refused.Load(),
	}
}

// Run gathers published points into messages and sends them to the broker until ctx ends,
// reconnecting with backoff whenever the connection is lost. Messages not acknowledged stay
// on the queue for the next connection or the next start. On the way out it queues what is
// pending, marks the daemon offline and disconnects. It returns nil once ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.batcher(ctx)
	}()
	defer wg.Wait()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		client, err := p.connect(ctx)
		if err != nil {
			p.log.Warn("telemetry broker unreachable: messages wait on disk", "broker", p.cfg.Broker, "err", err,
				"queued", p.cfg.Queue.Stats().Records)
			backoff = session.Pause(ctx, backoff)
			continue
		}
		backoff = 100 * time.Millisecond
		p.setConnected(true)
		err = p.send(ctx, client)
		p.setConnected(false)
		if ctx.Err() != nil {
			// A clean stop: the daemon says it is going offline (its will would say so too).
			t := client.Publish(telemetry.StatusTopic(p.cfg.Site), 1, true, "offline")
			t.WaitTimeout(p.cfg.Timeout)
			client.Disconnect(250)
			return nil
		}
		client.Disconnect(0)
		p.log.Warn("telemetry connection lost: messages wait on disk until it is back", "broker", p.cfg.Broker, "err", err)
	}
	return nil
}

func (p *Publisher) setConnected(c bool) {
	p.connected.Store(c)
	p.since.Store(time.Now().UnixNano())
}

// batcher flushes pending points to the queue every Batch, or sooner when a batch fills, and
// once more when ctx ends.
func (p *Publisher) batcher(ctx context.Context) {
	tick := time.NewTicker(p.cfg.Batch)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := p.flush(); err != nil {
				p.log.Error("queueing telemetry at stop", "err", err)
			}
			if err := p.cfg.Queue.Sync(); err != nil {
				p.log.Error("syncing the telemetry queue at stop", "err", err)
			}
			return
		case <-tick.C:
		case <-p.flushed:
		}
		if err := p.flush(); err != nil {
			p.log.Error("queueing telemetry", "err", err)
		}
	}
}

// connect opens a connection with a persistent session and the daemon's last will, and says
// the daemon is online.
func (p *Publisher) connect(ctx context.Context) (paho.Client, error) {
	opts := session.Options(session.Config{Broker: p.cfg.Broker, ClientID: p.cfg.ClientID,
		Username: p.cfg.Username, Password: p.cfg.Password, TLS: p.cfg.TLS, Timeout: p.cfg.Timeout}).
		SetOrderMatters(false).
		SetBinaryWill(telemetry.StatusTopic(p.cfg.Site), []byte("offline"), 1, true)
	client, err := session.Connect(ctx, opts, p.cfg.Timeout)
	if err != nil {
		return nil, err
	}
	online := client.Publish(telemetry.StatusTopic(p.cfg.Site), 1, true, "online")
	if err := session.Wait(ctx, online, p.cfg.Timeout); err != nil {
		client.Disconnect(0)
		return nil, err
	}
	return client, nil
}

// inflight is a message sent and not yet acknowledged.
type inflight struct {
	seq      uint64
	token    paho.Token
	replayed bool
}

// send sends queued messages until the connection fails or ctx ends. Messages queued before
// the connection (the backlog) and after it (live) are read in two lanes, live first, so that
// a long backlog does not hold up live data.
func (p *Publisher) send(ctx context.Context, client paho.Client) error {
	q := p.cfg.Queue
	lanes := buffer.NewLanes(q)
	acks := make(chan inflight, p.cfg.MaxInflight)
	failed := make(chan error, 1)
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.acknowledge(sendCtx, acks, failed)
	}()
	defer func() {
		close(acks)
		wg.Wait()
	}()
	sendRecs := func(recs []buffer.Record, replayed bool) error {
		for _, r := range recs {
			topic, body, retained, ok := ParseRecord(r.Data)
			if !ok {
				p.log.Error("dropping a damaged telemetry record", "seq", r.Seq)
				q.Ack(r.Seq)
				continue
			}
			t := client.Publish(topic, p.cfg.QoS, retained, body)
			select {
			case acks <- inflight{seq: r.Seq, token: t, replayed: replayed}:
			case err := <-failed:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	for {
		select {
		case err := <-failed:
			return err
		default:
		}
		if !client.IsConnectionOpen() {
			return errors.New("connection closed")
		}
		recs, replayed, err := lanes.Next(500, 4<<20)
		if err != nil {
			return fmt.Errorf("reading the telemetry queue: %w", err)
		}
		if len(recs) > 0 {
			if err := sendRecs(recs, replayed); err != nil {
				return err
			}
			continue
		}
		// A bounded wait, so that a lost connection is noticed without new messages.
		waitCtx, stop := context.WithTimeout(ctx, time.Second)
		_ = lanes.Wait(waitCtx)
		stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// acknowledge waits for the broker's acknowledgements in order and removes acknowledged
// messages from the queue.
func (p *Publisher) acknowledge(ctx context.Context, acks <-chan inflight, failed chan<- error) {
	for in := range acks {
		if err := session.Wait(ctx, in.token, p.cfg.Timeout); err != nil {
			select {
			case failed <- err:
			default:
			}
			// Drain: what is not acknowledged stays queued.
			for range acks {
			}
			return
		}
		p.cfg.Queue.Ack(in.seq)
		p.published.Add(1)
		if in.replayed {
			p.replayed.Add(1)
		}
	}
}
