package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/bridge"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/publish"
)

// pipeline is a publisher and a bridge between a real Mosquitto and a real InfluxDB.
type pipeline struct {
	mqtt   *peertest.Mosquitto
	influx *peertest.InfluxDB
	pub    *publish.Publisher
	bridge *bridge.Bridge
	db     string
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func newPipeline(t testing.TB) *pipeline {
	t.Helper()
	p := &pipeline{mqtt: peertest.StartMosquitto(t, peertest.MosquittoOptions{}), influx: peertest.StartInfluxDB(t), db: "cellforge"}
	p.influx.CreateDatabase(t, p.db)
	open := func(name string) *buffer.Queue {
		q, err := buffer.Open(t.TempDir()+"/"+name, buffer.Options{SyncEvery: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	}
	var err error
	p.pub, err = publish.New(publish.Config{Broker: p.mqtt.URL(), ClientID: "test-publisher", Site: "test", QoS: 1,
		Queue: open("publish"), Batch: 20 * time.Millisecond, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p.bridge, err = bridge.New(bridge.Config{Broker: p.mqtt.URL(), ClientID: "test-bridge", InfluxURL: p.influx.URL(),
		Bucket: p.db + "/autogen", Queue: open("bridge"), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, run := range []func(context.Context) error{p.pub.Run, p.bridge.Run} {
		p.done.Add(1)
		go func() {
			defer p.done.Done()
			if err := run(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	t.Cleanup(p.stop)
	// A message published before the bridge's first subscription is not the bridge's: the
	// broker keeps only what is sent once the session exists. Tests start publishing after it.
	deadline := time.Now().Add(30 * time.Second)
	for !p.bridge.Stats().Connected || !p.pub.Stats().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("not connected to the broker after 30s: publisher %+v, bridge %+v", p.pub.Stats(), p.bridge.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

func (p *pipeline) stop() {
	p.cancel()
	p.done.Wait()
}

// count returns the number of points of a measurement in InfluxDB, and their sum of value.
func (p *pipeline) count(t testing.TB, measurement, field string) (n int, sum float64) {
	t.Helper()
	client := influxdb2.NewClient(p.influx.URL(), "")
	defer client.Close()
	q := fmt.Sprintf(`from(bucket:"%s/autogen") |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == %q and r._field == %q)`, p.db, measurement, field)
	res, err := client.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatalf("flux query: %v\n%s", err, p.influx.Log())
	}
	for res.Next() {
		n++
		if v, ok := res.Record().Value().(float64); ok {
			sum += v
		}
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	return n, sum
}

// waitCount waits until InfluxDB holds want points of the field, and fails if it ever holds
// more, or does not get there in time.
func (p *pipeline) waitCount(t *testing.T, measurement, field string, want int, wantSum float64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, sum := p.count(t, measurement, field)
		if n > want {
			t.Fatalf("InfluxDB holds %d points of %s, more than the %d published", n, field, want)
		}
		if n == want {
			if sum != wantSum {
				t.Fatalf("%d points of %s with sum %v, want %v", n, field, sum, wantSum)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d points of %s in InfluxDB after %s; publisher %+v, bridge %+v", n, want, field, within, p.pub.Stats(), p.bridge.Stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var base = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// load publishes points of one device series, one per millisecond of measurement time, each
// value its index, until stop; it returns how many and their sum through the pointers.
func load(t *testing.T, p *publish.Publisher, metric string, rate time.Duration, stop <-chan struct{}, n *atomic.Int64) {
	t.Helper()
	s := telemetry.Series{Site: "test", Kind: telemetry.KindDevice, Cell: "dye-1", Device: "vat-a", Metric: metric}
	tick := time.NewTicker(rate)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for range 10 {
			i := n.Load()
			if err := p.Publish(s, telemetry.Point{Time: base.Add(time.Duration(i) * time.Millisecond), Fields: map[string]any{"value": float64(i)}}); err != nil {
				t.Error(err)
				return
			}
			n.Add(1)
		}
	}
}

func sumTo(n int64) float64 { return float64(n*(n-1)) / 2 }

// TestPointsFlowExactlyOnce: points published by the daemon's publisher arrive in InfluxDB
// through Mosquitto and the bridge, each exactly once.
func TestPointsFlowExactlyOnce(t *testing.T) {
	p := newPipeline(t)
	const n = 3000
	s := telemetry.Series{Site: "test", Kind: telemetry.KindDevice, Cell: "dye-1", Device: "vat-a", Metric: "temperature"}
	for i := range n {
		if err := p.pub.Publish(s, telemetry.Point{Time: base.Add(time.Duration(i) * time.Millisecond), Fields: map[string]any{"value": float64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	p.waitCount(t, "device", "temperature", n, sumTo(n), 30*time.Second)
	// A replay of the same points (a restart that re-sends what it was not sure of) changes
	// nothing in InfluxDB.
	for i := range 100 {
		if err := p.pub.Publish(s, telemetry.Point{Time: base.Add(time.Duration(i) * time.Millisecond), Fields: map[string]any{"value": float64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// Once the bridge has written the replayed points too, InfluxDB still holds n.
	deadline := time.Now().Add(10 * time.Second)
	for p.bridge.Stats().Written < n+100 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if w := p.bridge.Stats().Written; w < n+100 {
		t.Fatalf("the bridge wrote %d points, want the %d published and replayed", w, n+100)
	}
	p.waitCount(t, "device", "temperature", n, sumTo(n), time.Second)
}

// outage stops a peer for the given time under steady load, starts it again, and checks that
// every point arrives exactly once.
func outage(t *testing.T, stopPeer, startPeer func(p *pipeline), metric string) {
	p := newPipeline(t)
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		load(t, p.pub, metric, 10*time.Millisecond, stop, &n) // 1,000 points/s
	}()
	time.Sleep(2 * time.Second)
	stopPeer(p)
	time.Sleep(30 * time.Second)
	startPeer(p)
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	total := n.Load()
	p.waitCount(t, "device", metric, int(total), sumTo(total), 60*time.Second)
	t.Logf("%d points, publisher %+v, bridge %+v", total, p.pub.Stats(), p.bridge.Stats())
}

func TestBrokerOutage(t *testing.T) {
	outage(t, func(p *pipeline) { p.mqtt.Stop() }, func(p *pipeline) { p.mqtt.Start() }, "ph")
}

func TestInfluxDBOutage(t *testing.T) {
	outage(t, func(p *pipeline) { p.influx.Stop() }, func(p *pipeline) { p.influx.Start() }, "level")
}

// TestBadPayloadsAreRejected: malformed, mistyped and huge messages on the telemetry topics
// are counted and dropped; good messages around them, and a point InfluxDB itself refuses (a
// field changing type), do not poison anything.
func TestBadPayloadsAreRejected(t *testing.T) {
	p := newPipeline(t)
	opts := paho.NewClientOptions().AddBroker(p.mqtt.URL()).SetClientID("test-rogue")
	rogue := paho.NewClient(opts)
	if tok := rogue.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer rogue.Disconnect(0)
	ts := base.UnixNano()
	good := func(i int) string {
		return fmt.Sprintf(`{"v":1,"points":[{"ts":%d,"fields":{"value":%d}}]}`, ts+int64(i), i)
	}
	dev := "cellforge/v1/test/devices/c/d/"
	bad := []struct{ topic, body string }{
		{dev + "speed", `{"v":1,"points":[`},
		{dev + "speed", `not json at all`},
		{dev + "speed", `{"v":1,"points":[{"ts":"yesterday","fields":{"value":1}}]}`},
		{dev + "speed", `{"v":1,"points":[{"ts":1,"fields":{"value":1}}]}`},
		{dev + "speed", `{"v":2,"points":[{"ts":` + fmt.Sprint(ts) + `,"fields":{"value":1}}]}`},
		{dev + "speed", `{"v":1,"points":[{"ts":` + fmt.Sprint(ts) + `,"fields":{"value":[1,2]}}]}`},
		{dev + "speed", `{"v":1,"points":[` + strings.Repeat(`{"ts":1,"fields":{"value":1}},`, 50000) + `{"ts":1,"fields":{"value":1}}]}`},
		{"cellforge/v1/test/gadgets/x", good(0)},
	}
	publishRaw := func(topic, body string) {
		tok := rogue.Publish(topic, 1, false, body)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	for i := range 10 {
		publishRaw(dev+"speed", good(i))
		if i < len(bad) {
			publishRaw(bad[i].topic, bad[i].body)
		}
	}
	// "speed" becomes a string at a new timestamp: valid JSON, refused by InfluxDB (a field
	// type conflict). Only that point is dropped.
	publishRaw(dev+"speed", fmt.Sprintf(`{"v":1,"points":[{"ts":%d,"fields":{"value":"fast"}},{"ts":%d,"fields":{"value":10}}]}`, ts+100, ts+10))
	p.waitCount(t, "device", "speed", 11, 55, 30*time.Second)
	st := p.bridge.Stats()
	if st.Rejected != uint64(len(bad)) {
		t.Errorf("bridge rejected %d messages, want %d", st.Rejected, len(bad))
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.bridge.Stats().Dropped < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d := p.bridge.Stats().Dropped; d != 1 {
		t.Errorf("bridge dropped %d points InfluxDB refused, want 1", d)
	}
}
