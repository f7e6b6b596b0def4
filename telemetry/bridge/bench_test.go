package bridge_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/publish"
)

// benchPoints is the number of points per message in the publishing benchmarks: a device's
// values over a batch interval.
const benchPoints = 10

func benchSeries(i int) telemetry.Series {
	return telemetry.Series{Site: "bench", Kind: telemetry.KindDevice, Cell: fmt.Sprintf("cell-%d", i%40), Device: fmt.Sprintf("dev-%d", i), Metric: "value"}
}

// BenchmarkPublish measures messages per second into a real Mosquitto at QoS 0 and 1: through
// the publisher (every message through the on-disk queue until the broker acknowledges it),
// beside the MQTT client library publishing the same messages directly, as the peer.
func BenchmarkPublish(b *testing.B) {
	mq := peertest.StartMosquitto(b, peertest.MosquittoOptions{})
	const messages = 50000
	// The same messages for both: 5,000 series, 10 messages of 10 points each.
	type msg struct {
		topic string
		body  []byte
	}
	base := time.Now().Add(-time.Hour)
	var msgs []msg
	for m := range messages / 5000 {
		for i := range 5000 {
			pts := make([]telemetry.Point, benchPoints)
			for k := range pts {
				pts[k] = telemetry.Point{Time: base.Add(time.Duration(m*benchPoints+k) * time.Millisecond), Fields: map[string]any{"value": float64(k)}}
			}
			topic, body, err := telemetry.Encode(benchSeries(i), pts)
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, msg{topic, body})
		}
	}
	for _, qos := range []byte{0, 1} {
		b.Run(fmt.Sprintf("ours-qos%d", qos), func(b *testing.B) {
			for n := 0; b.Loop(); n++ {
				q, err := buffer.Open(b.TempDir(), buffer.Options{})
				if err != nil {
					b.Fatal(err)
				}
				p, err := publish.New(publish.Config{Broker: mq.URL(), ClientID: fmt.Sprintf("bench-ours-%d-%d", qos, n), Site: "bench", QoS: qos, Queue: q, MaxInflight: 2000})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { defer wg.Done(); p.Run(ctx) }()
				for !p.Stats().Connected {
					time.Sleep(time.Millisecond)
				}
				start := time.Now()
				for _, m := range msgs {
					if err := p.Enqueue(m.topic, m.body, false); err != nil {
						b.Fatal(err)
					}
				}
				for p.Stats().Published < messages {
					time.Sleep(time.Millisecond)
				}
				b.ReportMetric(messages/time.Since(start).Seconds(), "msgs/s")
				cancel()
				wg.Wait()
				q.Close()
			}
		})
		b.Run(fmt.Sprintf("paho-qos%d", qos), func(b *testing.B) {
			for n := 0; b.Loop(); n++ {
				c := paho.NewClient(paho.NewClientOptions().AddBroker(mq.URL()).SetClientID(fmt.Sprintf("bench-paho-%d-%d", qos, n)).SetOrderMatters(false))
				if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
					b.Fatal(tok.Error())
				}
				start := time.Now()
				tokens := make(chan paho.Token, 2000)
				done := make(chan struct{})
				go func() {
					for t := range tokens {
						t.Wait()
					}
					close(done)
				}()
				for _, m := range msgs {
					tokens <- c.Publish(m.topic, qos, false, m.body)
				}
				close(tokens)
				<-done
				b.ReportMetric(messages/time.Since(start).Seconds(), "msgs/s")
				c.Disconnect(100)
			}
		})
	}
}

// BenchmarkEndToEnd publishes points at a steady rate for 10 s through the publisher, a real
// Mosquitto, the bridge and a real InfluxDB, and measures the points per second InfluxDB takes
// and the lag from a point's measurement to its being queryable: every 100 ms the newest
// timestamp InfluxDB holds is read, and the lag is the wall clock minus that timestamp.
func BenchmarkEndToEnd(b *testing.B) {
	for _, rate := range []int{50000, 100000} {
		b.Run(fmt.Sprintf("rate-%d", rate), func(b *testing.B) {
			for b.Loop() {
				endToEnd(b, rate, 10*time.Second)
			}
		})
	}
}

func endToEnd(b *testing.B, rate int, duration time.Duration) {
	p := newPipeline(b)
	defer p.stop()
	const series = 100 // 100 devices, each with rate/100 points a second
	client := influxdb2.NewClient(p.influx.URL(), "")
	defer client.Close()
	query := client.QueryAPI("")
	newest := func() (time.Time, error) {
		res, err := query.Query(context.Background(), fmt.Sprintf(`from(bucket:"%s/autogen") |> range(start: -1m) |> filter(fn: (r) => r._measurement == "device" and r.device == "dev-0") |> last()`, p.db))
		if err != nil {
			return time.Time{}, err
		}
		var t time.Time
		for res.Next() {
			t = res.Record().Time()
		}
		return t, res.Err()
	}
	stop := make(chan struct{})
	var lags []time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // lag sampler
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				if t, err := newest(); err == nil && !t.IsZero() {
					lags = append(lags, now.Sub(t))
				}
			}
		}
	}()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	perTick := rate / 100 / series
	sent := 0
	for time.Since(start) < duration {
		now := <-tick.C
		for i := range series {
			pts := make([]telemetry.Point, perTick)
			for k := range pts {
				pts[k] = telemetry.Point{Time: now.Add(time.Duration(k) * time.Microsecond), Fields: map[string]any{"value": float64(k)}}
			}
			if err := p.pub.Publish(benchSeries(i), pts...); err != nil {
				b.Fatal(err)
			}
			sent += perTick
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	// Catch up: wait until InfluxDB has every point.
	deadline := time.Now().Add(60 * time.Second)
	for p.bridge.Stats().Written < uint64(sent) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	total := time.Since(start)
	st := p.bridge.Stats()
	if st.Written < uint64(sent) {
		b.Fatalf("%d of %d points written", st.Written, sent)
	}
	slices.Sort(lags)
	pct := func(q float64) float64 {
		if len(lags) == 0 {
			return 0
		}
		return lags[min(len(lags)-1, int(q*float64(len(lags))))].Seconds() * 1000
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "offered-points/s")
	b.ReportMetric(float64(st.Written)/total.Seconds(), "written-points/s")
	b.ReportMetric(pct(0.5), "lag-p50-ms")
	b.ReportMetric(pct(0.99), "lag-p99-ms")
	b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
}
