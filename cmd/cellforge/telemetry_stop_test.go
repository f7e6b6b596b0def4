package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/bridge"
	"github.com/cellforge/cellforge/telemetry/buffer"
)

// unreachableInflux is an InfluxDB address nothing answers on: the bridge keeps every point on
// its queue.
const unreachableInflux = "http://127.0.0.1:1"

// telemetryFactory is the crash test's factory with telemetry through an embedded broker on a
// free loopback port, into the InfluxDB at influx.
func telemetryFactory(t *testing.T, influx string) *configs.Factory {
	t.Helper()
	raw, err := os.ReadFile("testdata/crash.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw = fmt.Appendf(raw, "\ntelemetry:\n  mqtt:\n    listen: 127.0.0.1:0\n    client_id: stop-test\n  influxdb:\n    url: %s\n", influx)
	return booktest.Parse(t, "telemetry.yaml", raw)
}

// newTestTelemetry builds the daemon's telemetry for f, with its book, in dir; the test closes
// it.
func newTestTelemetry(t *testing.T, f *configs.Factory, dir string, logger *slog.Logger) *telemetryStack {
	t.Helper()
	st := booktest.Open(t, filepath.Join(dir, "cellforge.db"))
	b := book.New(book.Config{Store: st, Factory: f})
	tel, err := newTelemetry(f, dir, "", b, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	return tel
}

// TestTelemetryCloseReleasesTheBroker: a daemon that fails after building its telemetry and
// before running it (tel.close, deferred in serve) leaves the embedded broker's port free.
func TestTelemetryCloseReleasesTheBroker(t *testing.T) {
	tel := newTestTelemetry(t, telemetryFactory(t, unreachableInflux), t.TempDir(), slog.New(slog.DiscardHandler))
	addr := tel.broker.Addr()
	tel.close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the embedded broker still holds %s after close: %v", addr, err)
	}
	ln.Close()
}

// TestStopLetsTheBridgeTakeWhatTheBrokerHolds stops the daemon's telemetry (its stages, as serve
// runs them) while the embedded broker holds messages it acknowledged to the publisher and has
// not delivered to the bridge yet (the bridge reaches the broker through a proxy that holds what
// the broker sends it). The embedded broker keeps them in memory only, and the publisher forgot
// them when the broker acknowledged them: the bridge must take them before the broker closes,
// and they must be on the bridge's queue on disk after the stop.
func TestStopLetsTheBridgeTakeWhatTheBrokerHolds(t *testing.T) {
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := telemetryFactory(t, unreachableInflux)
	dir := t.TempDir()
	tel := newTestTelemetry(t, f, dir, logger)
	var closeOnce sync.Once
	closeTel := func() { closeOnce.Do(tel.close) }
	t.Cleanup(closeTel)

	proxy := startGatedProxy(t, tel.broker.Addr())
	bridgeID := f.Telemetry.MQTT.ClientID + "-bridge"
	var err error
	tel.bridge, err = bridge.New(bridge.Config{
		Broker: "tcp://" + proxy.addr(), ClientID: bridgeID, InfluxURL: unreachableInflux,
		Bucket: "cellforge/autogen", Queue: tel.queues["bridge"], Timeout: 2 * time.Second, Logger: logger.With("component", "influx-bridge"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	stages := tel.stages()
	bridgeReturned := make(chan struct{})
	for _, st := range stages {
		for i, p := range st {
			if p.name == "influx-bridge" {
				run := p.run
				st[i].run = func(ctx context.Context) error {
					defer close(bridgeReturned)
					return run(ctx)
				}
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runParts(ctx, logger, 10*time.Millisecond, stages...) }()
	t.Cleanup(func() {
		cancel()
		proxy.resume()
		<-done
	})

	waitFor(t, 30*time.Second, "the publisher and the bridge connected", func() bool {
		return tel.publisher.Stats().Connected && tel.bridge.Stats().Connected
	})
	proxy.hold()
	const messages = 20
	s := telemetry.Series{Site: f.Site, Kind: telemetry.KindDevice, Cell: "weave-1", Device: "probe", Metric: "held"}
	base := time.Now().Truncate(time.Second)
	for i := range messages {
		topic, body, err := telemetry.Encode(s, []telemetry.Point{{Time: base.Add(time.Duration(i) * time.Millisecond), Fields: map[string]any{"value": float64(i)}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tel.publisher.Enqueue(topic, body, false); err != nil {
			t.Fatal(err)
		}
	}
	// Acknowledged by the broker: gone from the publisher's queue, held for the bridge.
	waitFor(t, 30*time.Second, "the broker acknowledging every message", func() bool {
		return tel.queues["publish"].Stats().Records == 0 && tel.broker.Pending(bridgeID) >= messages
	})

	cancel()
	// The bridge, told to stop, waits for what the broker holds for it: let it through then.
	waitFor(t, 60*time.Second, "the bridge stopping or taking what the broker holds for it", func() bool {
		select {
		case <-bridgeReturned:
			return true
		default:
			return strings.Contains(logs.String(), "the bridge takes what the embedded broker holds for it")
		}
	})
	proxy.resume()
	select {
	case err := <-done:
		done <- err // for the clean-up
		if err != nil {
			t.Fatalf("runParts: %v\n%s", err, logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the telemetry did not stop:\n%s", logs)
	}
	closeTel()

	q, err := buffer.Open(filepath.Join(dir, "telemetry", "bridge"), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	queued := 0
	for from := q.Oldest(); ; {
		recs, err := q.Read(from, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			queued += strings.Count(string(r.Data), " held=")
		}
		from = recs[len(recs)-1].Seq + 1
	}
	if queued != messages {
		t.Errorf("%d of the %d messages the broker acknowledged are on the bridge's queue after the stop: the rest was lost with the broker\n%s",
			queued, messages, logs)
	}
}

// gatedProxy forwards TCP connections to a target. What the target sends back waits while the
// gate is held.
type gatedProxy struct {
	ln     net.Listener
	target string
	done   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	open  chan struct{} // closed while the gate is open
	conns []net.Conn
}

func startGatedProxy(t *testing.T, target string) *gatedProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &gatedProxy{ln: ln, target: target, done: make(chan struct{}), open: make(chan struct{})}
	close(p.open)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *gatedProxy) addr() string { return p.ln.Addr().String() }

func (p *gatedProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(up, c)
			up.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.copyGated(c, up)
			c.Close()
		}()
	}
}

// copyGated copies src to dst, each chunk once the gate is open.
func (p *gatedProxy) copyGated(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			open := p.open
			p.mu.Unlock()
			select {
			case <-open:
			case <-p.done:
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold holds what the target sends until resume.
func (p *gatedProxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default:
	}
}

// resume sends on what the target sent.
func (p *gatedProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

func (p *gatedProxy) close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
