// Package bridge carries telemetry from MQTT into InfluxDB: it subscribes to the telemetry
// topics with a persistent session, checks every message (a bad one is counted, logged and
// dropped, never written), queues the points as line protocol on disk (telemetry/buffer), and
// writes them to InfluxDB in batches. While InfluxDB is unreachable the points wait on disk,
// bounded by size and age, and are written oldest first when it is back, interleaved with live
// points. Writes are idempotent: InfluxDB identifies a point by measurement, tags and timestamp,
// so a point written twice after a crash or a replay is stored once.
//
// The broker must keep what arrives for the bridge's session while the bridge reconnects (after
// a broker restart the publishers may be back first): with Mosquitto, raise max_queued_messages
// (1,000 by default; 0 keeps everything) to what an outage can pile up.
//
// It runs inside the daemon, or on its own (cellforge bridge) at a central site gathering
// several micro-factories. It imports the telemetry model, its buffer, the MQTT and InfluxDB
// client libraries and the standard library.
package bridge

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// Config is what a Bridge needs.
type Config struct {
	// Broker is the broker's URL: tcp://host:port, or ssl://host:port with TLS.
	Broker string
	// ClientID identifies the bridge's persistent session at the broker; keep it across
	// restarts, so that messages sent while the bridge was down are delivered when it is back.
	ClientID           string
	Username, Password string
	TLS                *tls.Config
	// InfluxURL, Token, Org and Bucket address the database. For InfluxDB 1.8 the bucket is
	// "database/retention-policy" and the token "user:password" or empty.
	InfluxURL, Token, Org, Bucket string
	// Queue holds points until InfluxDB has them.
	Queue *buffer.Queue
	// BatchLines is the most points per write (default 5,000).
	BatchLines int
	// Linger is the least time between two writes that are not full (default 100ms): at a low
	// rate a point is written as soon as it arrives, at a high rate the points of a Linger go
	// in one write, which costs InfluxDB far less than many small ones.
	Linger time.Duration
	// GzipLevel compresses the writes at this gzip level, 1 to 9; 0 (the default) sends them
	// as they are, which on loopback or a LAN costs both sides less CPU.
	GzipLevel int
	// Timeout bounds connecting and each write (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Stats are the bridge's counters.
type Stats struct {
	Connected bool   // to the broker
	Writing   bool   // the last write to InfluxDB succeeded
	Messages  uint64 // messages accepted
	Rejected  uint64 // messages refused as invalid
	Points    uint64 // points accepted
	Written   uint64 // points InfluxDB took
	Dropped   uint64 // points InfluxDB refused as invalid (a type conflict, say), dropped alone
	Replayed  uint64 // points written from the backlog of an outage
}

// Bridge subscribes to telemetry and writes it to InfluxDB.
type Bridge struct {
	cfg Config
	log *slog.Logger
	w   *influxWriter

	mu    sync.Mutex // handle's, should the client call it from two goroutines
	dec   telemetry.LineDecoder
	lines []byte

	connected, writing         atomic.Bool
	messages, rejected, points atomic.Uint64
	written, dropped, replayed atomic.Uint64
	lastReject                 atomic.Int64 // unix nanos of the last rejection logged
}

// New returns a Bridge; Run subscribes and writes.
func New(cfg Config) (*Bridge, error) {
	if cfg.Queue == nil {
		return nil, errors.New("bridge: no queue")
	}
	if cfg.BatchLines <= 0 {
		cfg.BatchLines = 5000
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 100 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w, err := newInfluxWriter(cfg)
	if err != nil {
		return nil, err
	}
	return &Bridge{cfg: cfg, log: cfg.Logger, w: w}, nil
}

// Stats returns the bridge's counters.
func (b *Bridge) Stats() Stats {
	return Stats{
		Connected: b.connected.Load(), Writing: b.writing.Load(),
		Messages: b.messages.Load(), Rejected: b.rejected.Load(), Points: b.points.Load(),
		Written: b.written.Load(), Dropped: b.dropped.Load(), Replayed: b.replayed.Load(),
	}
}

// Run subscribes and writes until ctx ends, reconnecting to the broker and retrying InfluxDB
// with backoff. It returns nil once ctx ends; what is not written yet stays on disk.
func (b *Bridge) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.write(ctx)
	}()
	defer func() {
		wg.Wait()
		b.w.close()
	}()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		client, err := b.subscribe(ctx)
		if err != nil {
			b.log.Warn("telemetry broker unreachable", "broker", b.cfg.Broker, "err", err)
			backoff = session.Pause(ctx, backoff)
			continue
		}
		backoff = 100 * time.Millisecond
		b.connected.Store(true)
		for ctx.Err() == nil && client.IsConnectionOpen() {
			session.Pause(ctx, 250*time.Millisecond)
		}
		b.connected.Store(false)
		client.Disconnect(250)
		if ctx.Err() == nil {
			b.log.Warn("telemetry connection lost: the broker keeps messages for the bridge's session", "broker", b.cfg.Broker)
		}
	}
	return nil
}

// subscribe connects with a persistent session and subscribes to every series.
func (b *Bridge) subscribe(ctx context.Context) (paho.Client, error) {
	opts := session.Options(session.Config{Broker: b.cfg.Broker, ClientID: b.cfg.ClientID,
		Username: b.cfg.Username, Password: b.cfg.Password, TLS: b.cfg.TLS, Timeout: b.cfg.Timeout}).
		SetOrderMatters(true).
		SetAutoAckDisabled(true)
	// Messages queued for the session arrive as soon as it resumes, before Subscribe returns.
	opts.SetDefaultPublishHandler(b.handle)
	client, err := session.Connect(ctx, opts, b.cfg.Timeout)
	if err != nil {
		return nil, err
	}
	if err := session.Wait(ctx, client.Subscribe(telemetry.Subscription, 1, b.handle), b.cfg.Timeout); err != nil {
		client.Disconnect(0)
		return nil, err
	}
	return client, nil
}

// handle checks a message and queues its points. The broker's acknowledgement is sent once the
// points are written to the queue's file: a crash of the bridge loses none, a crash of the
// machine at most the queue's last sync interval.
func (b *Bridge) handle(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	if telemetry.IsRetainedState(topic) {
		m.Ack()
		return
	}
	b.mu.Lock()
	lines, n, err := b.dec.Append(b.lines[:0], topic, m.Payload())
	b.lines = lines
	if err != nil {
		b.mu.Unlock()
		b.reject(topic, err)
		m.Ack()
		return
	}
	_, err = b.cfg.Queue.Append(lines)
	b.mu.Unlock()
	if err != nil {
		// Not acknowledged: the broker delivers it again when the session resumes.
		b.log.Error("queueing telemetry", "topic", topic, "err", err)
		return
	}
	b.messages.Add(1)
	b.points.Add(uint64(n))
	m.Ack()
}

// reject counts a refused message and logs it, at most once a second.
func (b *Bridge) reject(topic string, err error) {
	b.rejected.Add(1)
	now := time.Now().UnixNano()
	if last := b.lastReject.Load(); now-last > int64(time.Second) && b.lastReject.CompareAndSwap(last, now) {
		b.log.Warn("rejected a telemetry message", "topic", topic, "err", err, "rejected_total", b.rejected.Load())
	}
}

// batch is what the writer has read from the queue and not written yet.
type batch struct {
	lines    []byte // whole lines, each ending in '\n'
	n        int    // lines
	replayed int    // of them from the backlog of an outage
	seqs     []uint64
}

func (bt *batch) reset() {
	bt.lines, bt.n, bt.replayed, bt.seqs = bt.lines[:0], 0, 0, bt.seqs[:0]
	if cap(bt.lines) > 16<<20 {
		bt.lines = nil // an outsized batch must not pin its buffer
	}
}

// writeState is the writer's position in the queue.
type writeState struct {
	lanes         *buffer.Lanes
	bt            batch
	carry         []buffer.Record // read and not yet in a batch
	carryReplayed bool
	lastWrite     time.Time
}

// write drains the queue into InfluxDB until ctx ends.
func (b *Bridge) write(ctx context.Context) {
	ws := &writeState{lanes: buffer.NewLanes(b.cfg.Queue)}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if err := b.gather(ctx, ws); err != nil {
			if ctx.Err() == nil {
				b.log.Error("reading the bridge queue", "err", err)
				backoff = session.Pause(ctx, backoff)
			}
			continue
		}
		if ws.bt.n == 0 {
			continue
		}
		ws.lastWrite = time.Now()
		if err := b.writeLines(ctx, ws.bt.lines, ws.bt.n); err != nil {
			b.writing.Store(false)
			ws.bt.reset()
			ws.carry = nil
			ws.lanes.Reset() // read again what was not written
			if ctx.Err() == nil {
				b.log.Warn("InfluxDB unreachable: points wait on disk", "url", b.cfg.InfluxURL, "err", err,
					"queued", b.cfg.Queue.Stats().Records)
				backoff = b.await(ctx, err, backoff)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		b.writing.Store(true)
		b.cfg.Queue.Ack(ws.bt.seqs...)
		b.replayed.Add(uint64(ws.bt.replayed))
		ws.bt.reset()
	}
}

// gather reads the queue into the batch until it holds BatchLines lines, or it holds some and
// Linger has passed since the last write, or ctx ends. Records hold the lines of one message
// each: what does not fit is carried to the next batch.
func (b *Bridge) gather(ctx context.Context, ws *writeState) error {
	bt := &ws.bt
	for ctx.Err() == nil {
		recs, replayed := ws.carry, ws.carryReplayed
		ws.carry = nil
		if len(recs) == 0 {
			var err error
			// at most 1 MiB at a time: a batch of 5,000 points is about a third of that, and
			// what is read beyond the batch waits in memory (8 MiB made the bridge's peak RSS
			// 8 MiB larger in a drain, for no fewer reads)
			if recs, replayed, err = ws.lanes.Next(b.cfg.BatchLines, 1<<20); err != nil {
				return err
			}
		}
		for i, r := range recs {
			if bt.n >= b.cfg.BatchLines {
				ws.carry, ws.carryReplayed = recs[i:], replayed
				return nil
			}
			start := len(bt.lines)
			bt.lines = append(bt.lines, r.Data...)
			if len(r.Data) > 0 && r.Data[len(r.Data)-1] != '\n' {
				bt.lines = append(bt.lines, '\n')
			}
			n := bytes.Count(bt.lines[start:], []byte{'\n'})
			bt.n += n
			if replayed {
				bt.replayed += n
			}
			bt.seqs = append(bt.seqs, r.Seq)
		}
		switch due := ws.lastWrite.Add(b.cfg.Linger); {
		case bt.n >= b.cfg.BatchLines || (bt.n > 0 && !time.Now().Before(due)):
			return nil
		case len(recs) > 0:
			// More may be there already.
		case bt.n > 0:
			// Let points gather rather than wake for each message.
			session.Pause(ctx, time.Until(due))
		default:
			waitCtx, stop := context.WithTimeout(ctx, time.Second)
			_ = ws.lanes.Wait(waitCtx)
			stop()
		}
	}
	return nil
}

// await waits after a failed write before the next: when InfluxDB could not be reached, until
// it answers /ping again, probed every probeInterval, so that the backlog starts to drain as
// soon as it is back; when it answered with an error, for the backoff, which it returns doubled.
func (b *Bridge) await(ctx context.Context, err error, backoff time.Duration) time.Duration {
	var se *statusError
	if errors.As(err, &se) {
		return session.Pause(ctx, backoff)
	}
	for ctx.Err() == nil {
		session.Pause(ctx, probeInterval)
		pctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
		up := b.w.ping(pctx)
		cancel()
		if up {
			break
		}
	}
	return backoff
}

// probeInterval is the pause between two probes of an unreachable InfluxDB.
const probeInterval = 100 * time.Millisecond

// writeLines writes n lines. A batch InfluxDB refuses as invalid (4xx) is split until the bad
// lines are alone; they are dropped and counted, and the rest is written. Other failures
// (unreachable, 5xx, timeout) are returned for a retry of the whole batch.
func (b *Bridge) writeLines(ctx context.Context, lines []byte, n int) error {
	if n == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	err := b.w.write(wctx, lines)
	cancel()
	if err == nil {
		b.written.Add(uint64(n))
		return nil
	}
	var se *statusError
	if !errors.As(err, &se) || !se.invalid() {
		return err
	}
	if n == 1 {
		b.dropped.Add(1)
		b.log.Warn("InfluxDB refused a point: dropped", "line", truncate(string(bytes.TrimSuffix(lines, []byte{'\n'})), 200), "err", err)
		return nil
	}
	mid, cut := n/2, 0
	for range mid {
		cut += bytes.IndexByte(lines[cut:], '\n') + 1
	}
	if err := b.writeLines(ctx, lines[:cut], mid); err != nil {
		return err
	}
	return b.writeLines(ctx, lines[cut:], n-mid)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
