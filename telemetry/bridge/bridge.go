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
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	influxapi "github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"

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
	cfg    Config
	log    *slog.Logger
	writer influxapi.WriteAPIBlocking
	client influxdb2.Client

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
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts := influxdb2.DefaultOptions().
		SetUseGZip(true).
		SetHTTPRequestTimeout(uint(cfg.Timeout / time.Second)).
		SetMaxRetries(0) // the queue retries, with what failed still on disk
	client := influxdb2.NewClientWithOptions(cfg.InfluxURL, cfg.Token, opts)
	return &Bridge{cfg: cfg, log: cfg.Logger, client: client, writer: client.WriteAPIBlocking(cfg.Org, cfg.Bucket)}, nil
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
		b.client.Close()
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
// points are on the queue: a crash after that loses at most the queue's last sync interval.
func (b *Bridge) handle(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	if telemetry.IsRetainedState(topic) {
		m.Ack()
		return
	}
	s, points, err := telemetry.Decode(topic, m.Payload())
	if err != nil {
		b.reject(topic, err)
		m.Ack()
		return
	}
	var lines []byte
	for _, p := range points {
		lines = telemetry.AppendLine(lines, s, p)
	}
	if _, err := b.cfg.Queue.Append(lines); err != nil {
		// Not acknowledged: the broker delivers it again when the session resumes.
		b.log.Error("queueing telemetry", "topic", topic, "err", err)
		return
	}
	b.messages.Add(1)
	b.points.Add(uint64(len(points)))
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

// write drains the queue into InfluxDB until ctx ends.
func (b *Bridge) write(ctx context.Context) {
	lanes := buffer.NewLanes(b.cfg.Queue)
	backoff := 100 * time.Millisecond
	var carry []buffer.Record // read and not yet in a batch
	carryReplayed := false
	for ctx.Err() == nil {
		recs, replayed := carry, carryReplayed
		if len(recs) == 0 {
			var err error
			recs, replayed, err = lanes.Next(b.cfg.BatchLines, 8<<20)
			if err != nil {
				b.log.Error("reading the bridge queue", "err", err)
				time.Sleep(backoff)
				continue
			}
		}
		carry = nil
		if len(recs) == 0 {
			waitCtx, stop := context.WithTimeout(ctx, time.Second)
			_ = lanes.Wait(waitCtx)
			stop()
			continue
		}
		// Records hold the lines of one message each: gather up to BatchLines lines, and carry
		// the rest to the next batch.
		var batch []string
		var seqs []uint64
		for i, r := range recs {
			if len(batch) > 0 && len(batch) >= b.cfg.BatchLines {
				carry, carryReplayed = recs[i:], replayed
				break
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(r.Data), "\n"), "\n") {
				if line != "" {
					batch = append(batch, line)
				}
			}
			seqs = append(seqs, r.Seq)
		}
		if err := b.writeLines(ctx, batch); err != nil {
			b.writing.Store(false)
			carry = nil
			lanes.Reset() // read again what was not written
			if ctx.Err() == nil {
				b.log.Warn("InfluxDB unreachable: points wait on disk", "url", b.cfg.InfluxURL, "err", err,
					"queued", b.cfg.Queue.Stats().Records)
				backoff = session.Pause(ctx, backoff)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		b.writing.Store(true)
		b.cfg.Queue.Ack(seqs...)
		if replayed {
			b.replayed.Add(uint64(len(batch)))
		}
	}
}

// writeLines writes a batch. A batch InfluxDB refuses as invalid (4xx) is split until the bad
// lines are alone; they are dropped and counted, and the rest is written. Other failures
// (unreachable, 5xx, timeout) are returned for a retry of the whole batch.
func (b *Bridge) writeLines(ctx context.Context, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	err := b.writer.WriteRecord(wctx, lines...)
	cancel()
	if err == nil {
		b.written.Add(uint64(len(lines)))
		return nil
	}
	var he *influxhttp.Error
	if !errors.As(err, &he) || he.StatusCode < 400 || he.StatusCode >= 500 || he.StatusCode == 429 || he.StatusCode == 408 {
		return err
	}
	if len(lines) == 1 {
		b.dropped.Add(1)
		b.log.Warn("InfluxDB refused a point: dropped", "line", truncate(lines[0], 200), "err", err)
		return nil
	}
	mid := len(lines) / 2
	if err := b.writeLines(ctx, lines[:mid]); err != nil {
		return err
	}
	return b.writeLines(ctx, lines[mid:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
