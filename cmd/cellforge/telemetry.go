package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/bridge"
	"github.com/cellforge/cellforge/telemetry/broker"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/collect"
	"github.com/cellforge/cellforge/telemetry/publish"
	"github.com/cellforge/cellforge/telemetry/sparkplug"
)

// mqttTimeout bounds connecting to the broker and waiting for each of its acknowledgements,
// and the bridge's writes to InfluxDB.
const mqttTimeout = 10 * time.Second

// telemetryStack is the daemon's telemetry: the embedded broker when no broker is configured,
// the publisher with its queue, the bridge into InfluxDB when one is configured, and the
// collectors that measure the floor and the book.
type telemetryStack struct {
	log       *slog.Logger
	broker    *broker.Broker
	publisher *publish.Publisher
	bridge    *bridge.Bridge
	bridgeID  string // the bridge's MQTT client id
	// sparkplug is the Sparkplug B edge node, nil unless the telemetry section has one.
	sparkplug *sparkplug.Node
	// floorPart measures the cells and machines this daemon drives, all along; bookPart
	// measures the book, once for the site (see underSite).
	floorPart, bookPart *collect.Collector
	// collect runs bookPart; nil: bookPart.Run (see underSite).
	collect func(ctx context.Context) error
	queues  map[string]*buffer.Queue // by name: publish, bridge
}

// newTelemetry builds the telemetry of f, keeping its queues under dataDir/telemetry. tag, when
// not empty, tells this daemon from the others sharing its book (see daemonTag): it ends the
// daemon's MQTT client ids. On error what was opened is closed.
func newTelemetry(f *configs.Factory, dataDir, tag string, b *book.Book, fl collect.Floor, logger *slog.Logger) (_ *telemetryStack, err error) {
	cfg := f.Telemetry
	if tag != "" {
		cfg.MQTT.ClientID += "-" + tag
	}
	t := &telemetryStack{log: logger, queues: make(map[string]*buffer.Queue)}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	tlsConfig, err := mqttTLS(cfg.MQTT)
	if err != nil {
		return nil, err
	}
	brokerURL := cfg.MQTT.Broker
	if brokerURL == "" {
		t.broker, err = broker.New(broker.Config{Addr: cfg.MQTT.Listen, Logger: logger})
		if errors.Is(err, syscall.EADDRINUSE) {
			// Another broker holds the port: run on a free one rather than not at all.
			logger.Warn("the embedded MQTT broker's port is taken: listening on a free port instead", "addr", cfg.MQTT.Listen)
			host := cfg.MQTT.Listen[:strings.LastIndex(cfg.MQTT.Listen, ":")]
			t.broker, err = broker.New(broker.Config{Addr: host + ":0", Logger: logger})
		}
		if err != nil {
			return nil, err
		}
		brokerURL = t.broker.URL()
		logger.Info("embedded MQTT broker", "addr", t.broker.Addr())
	}
	queue := func(name string) (*buffer.Queue, error) {
		q, err := buffer.Open(filepath.Join(dataDir, "telemetry", name), buffer.Options{
			MaxBytes: cfg.Buffer.MaxBytes, MaxAge: cfg.Buffer.MaxAge, SyncEvery: cfg.Buffer.SyncEvery,
		})
		if err != nil {
			return nil, fmt.Errorf("opening the telemetry %s queue: %w", name, err)
		}
		t.queues[name] = q
		return q, nil
	}
	pq, err := queue("publish")
	if err != nil {
		return nil, err
	}
	t.publisher, err = publish.New(publish.Config{
		Broker: brokerURL, ClientID: cfg.MQTT.ClientID, Site: f.Site, QoS: cfg.MQTT.QoS,
		Username: cfg.MQTT.Username, Password: cfg.MQTT.Password, TLS: tlsConfig, Queue: pq, Timeout: mqttTimeout,
		Logger: logger.With("component", "mqtt-publisher"),
	})
	if err != nil {
		return nil, err
	}
	if t.sparkplug, err = newSparkplug(f.Telemetry, brokerURL, tlsConfig, dataDir, tag, fl, logger); err != nil {
		return nil, err
	}
	if in := cfg.InfluxDB; in != nil {
		bq, err := queue("bridge")
		if err != nil {
			return nil, err
		}
		t.bridgeID = cfg.MQTT.ClientID + "-bridge"
		t.bridge, err = bridge.New(bridge.Config{
			Broker: brokerURL, ClientID: t.bridgeID, Username: cfg.MQTT.Username, Password: cfg.MQTT.Password,
			TLS: tlsConfig, Timeout: mqttTimeout, InfluxURL: in.URL, Token: in.Token, Org: in.Org, Bucket: in.Bucket, BatchLines: in.Batch,
			Queue: bq, Logger: logger.With("component", "influx-bridge"),
		})
		if err != nil {
			return nil, err
		}
	}
	var cellIDs, drops []string
	for _, c := range f.Cells {
		cellIDs = append(cellIDs, c.ID)
	}
	for _, d := range f.Drops {
		drops = append(drops, d.ID)
	}
	part := func(p collect.Part, name string) *collect.Collector {
		return collect.New(collect.Config{
			Parts: p, Site: f.Site, Book: b, Floor: fl, Publisher: t.publisher, Cells: cellIDs, Drops: drops,
			Interval: cfg.Interval, Repairs: f.Aftercare != nil, Cursor: telemetryCursor,
			Logger: logger.With("component", "telemetry", "part", name),
		})
	}
	t.floorPart, t.bookPart = part(collect.PartFloor, "floor"), part(collect.PartBook, "book")
	return t, nil
}

// mqttTLS reads the TLS files of the broker connection; nil when TLS is not configured.
func mqttTLS(m configs.MQTT) (*tls.Config, error) {
	if m.CAFile == "" && m.CertFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("telemetry: mqtt.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("telemetry: mqtt.ca_file %s: no PEM certificate in it", m.CAFile)
		}
	}
	if m.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(m.CertFile, m.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("telemetry: mqtt.cert_file and key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// telemetryCursor names the book's cursor where the telemetry of the book's events stands, so
// that a daemon taking the site over from another publishes the events since the other's last
// step, and a daemon started again those since its stop.
const telemetryCursor = "telemetry"

// prime readies the book part to follow the event log from where it stopped.
func (t *telemetryStack) prime(ctx context.Context) error { return t.bookPart.Prime(ctx) }

// stages are the telemetry's parts in the order they stop: the collector first, so that its
// last points reach the publisher; then the publisher, which queues what is pending, says the
// daemon is offline and disconnects, beside the Sparkplug node, which publishes its NDEATH and
// disconnects; then the bridge, once it has taken what the embedded broker holds for it; the
// embedded broker last, so that it is there to acknowledge what they send on their way out.
// What is not delivered stays on disk for the next start; close closes the queues once every
// part has returned.
func (t *telemetryStack) stages() [][]part {
	out := [][]part{
		{{name: "telemetry-collector", run: t.runCollector, bound: quickStopBound}},
		// The publisher waits up to its timeout for the broker to acknowledge "offline".
		{{name: "mqtt-publisher", run: t.publisher.Run, bound: mqttTimeout + quickStopBound}},
	}
	if t.sparkplug != nil {
		// It waits up to its timeout for the broker to acknowledge its NDEATH.
		out[1] = append(out[1], part{name: "sparkplug-node", run: t.sparkplug.Run, bound: mqttTimeout + quickStopBound})
	}
	if t.bridge != nil {
		// It takes what the embedded broker holds for it, for up to bridgeDrain; then a write
		// to InfluxDB under way is cancelled, and it disconnects within 250 ms.
		out = append(out, []part{{name: "influx-bridge", run: t.runBridge, bound: bridgeDrain + quickStopBound}})
	}
	if t.broker != nil {
		out = append(out, []part{{name: "mqtt-broker", run: t.broker.Run, bound: quickStopBound}})
	}
	return out
}

// runCollector runs the collectors until ctx ends: the floor part all along, the book part as
// a site duty when underSite made it one.
func (t *telemetryStack) runCollector(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return t.floorPart.Run(ctx) })
	g.Go(func() error {
		if t.collect != nil {
			return t.collect(ctx)
		}
		return t.bookPart.Run(ctx)
	})
	return g.Wait()
}

// bridgeDrain is how long the bridge, told to stop, goes on taking what the embedded broker
// holds for it.
const bridgeDrain = mqttTimeout

// drainPoll is how often the bridge's stop asks the embedded broker what it still holds.
const drainPoll = 10 * time.Millisecond

// runBridge runs the bridge until ctx ends. With the embedded broker it then lets the bridge
// take what the broker holds for its session, for up to bridgeDrain, before it stops: the
// broker keeps sessions in memory only, and the publisher forgot what the broker acknowledged,
// so what is left there when the broker closes is lost. The publisher has stopped by then (its
// stage comes first), so nothing more arrives. An outside broker keeps the session while the
// bridge is away.
func (t *telemetryStack) runBridge(ctx context.Context) error {
	if t.broker == nil {
		return t.bridge.Run(ctx)
	}
	bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan error, 1)
	go func() { done <- t.bridge.Run(bctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	if n := t.broker.Pending(t.bridgeID); n > 0 {
		t.log.Info("the bridge takes what the embedded broker holds for it before it stops", "messages", n)
		tick := time.NewTicker(drainPoll)
		defer tick.Stop()
		deadline := time.After(bridgeDrain)
	drain:
		for t.broker.Pending(t.bridgeID) > 0 {
			select {
			case err := <-done:
				return err
			case <-deadline:
				t.log.Warn("the embedded broker still holds messages for the bridge: they are lost when it closes",
					"messages", t.broker.Pending(t.bridgeID), "waited", bridgeDrain)
				break drain
			case <-tick.C:
			}
		}
	}
	stop()
	return <-done
}

// close closes the queues, and the embedded broker unless it ran (a daemon that failed before
// it ran its parts).
func (t *telemetryStack) close() {
	if t.broker != nil {
		if err := t.broker.Close(); err != nil {
			t.log.Error("closing the embedded broker", "err", err)
		}
	}
	for name, q := range t.queues {
		if err := q.Close(); err != nil {
			t.log.Error("closing the telemetry queue", "queue", name, "err", err)
		}
	}
}

// healthGrace is how long the broker may be away before the daemon reports itself degraded.
const healthGrace = 5 * time.Second

// Health reports telemetry as degraded while points wait on disk for the broker or InfluxDB.
func (t *telemetryStack) Health() (string, string) {
	var problems []string
	// A connection being made at start, or a blip, is not worth a degraded status.
	if st := t.publisher.Stats(); !st.Connected && time.Since(st.Since) > healthGrace {
		problems = append(problems, fmt.Sprintf("MQTT broker unreachable, %d messages waiting on disk", t.queues["publish"].Stats().Records))
	}
	if !sparkplugHealthy(t.sparkplug) {
		problems = append(problems, "the Sparkplug node has no session with its broker")
	}
	if t.bridge != nil {
		st := t.bridge.Stats()
		if n := t.queues["bridge"].Stats().Records; n > 0 && !st.Writing {
			problems = append(problems, fmt.Sprintf("InfluxDB unreachable, %d messages of points waiting on disk", n))
		}
	}
	return "telemetry", strings.Join(problems, "; ")
}

// register adds the telemetry's counters to the registry.
func (t *telemetryStack) register(reg prometheus.Registerer) error {
	var cs []prometheus.Collector
	for name, q := range t.queues {
		cs = append(cs, queueCollectors(name, q)...)
	}
	p := t.publisher
	cs = append(cs,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cellforge_mqtt_connected", Help: "1 while the publisher is connected to the MQTT broker."},
			func() float64 { return b2f(p.Stats().Connected) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_mqtt_published_total", Help: "Telemetry messages the broker acknowledged."},
			func() float64 { return float64(p.Stats().Published) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_telemetry_points_total", Help: "Telemetry points measured."},
			func() float64 { return float64(p.Stats().Points) }),
	)
	if t.bridge != nil {
		cs = append(cs, bridgeCollectors(t.bridge)...)
	}
	if t.sparkplug != nil {
		cs = append(cs, sparkplugCollectors(t.sparkplug)...)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// queueCollectors are the metrics of a telemetry queue, labelled with its name.
func queueCollectors(name string, q *buffer.Queue) []prometheus.Collector {
	labels := prometheus.Labels{"queue": name}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cellforge_telemetry_buffer_records", Help: "Records waiting in a telemetry store-and-forward queue.", ConstLabels: labels},
			func() float64 { return float64(q.Stats().Records) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cellforge_telemetry_buffer_bytes", Help: "Bytes a telemetry queue holds on disk.", ConstLabels: labels},
			func() float64 { return float64(q.Stats().Bytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_telemetry_buffer_dropped_total", Help: "Records dropped from a full or aged telemetry queue.", ConstLabels: labels},
			func() float64 { return float64(q.Stats().Dropped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_telemetry_buffer_replayed_total", Help: "Records delivered again from a telemetry queue after an outage or a restart.", ConstLabels: labels},
			func() float64 { return float64(q.Stats().Replayed) }),
	}
}

// bridgeCollectors are the metrics of the bridge into InfluxDB.
func bridgeCollectors(br *bridge.Bridge) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_bridge_rejected_total", Help: "Telemetry messages the bridge refused as invalid."},
			func() float64 { return float64(br.Stats().Rejected) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_bridge_written_total", Help: "Points written to InfluxDB."},
			func() float64 { return float64(br.Stats().Written) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_bridge_dropped_total", Help: "Points InfluxDB refused as invalid, dropped alone."},
			func() float64 { return float64(br.Stats().Dropped) }),
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
