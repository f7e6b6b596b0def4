package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// The load of BenchmarkBesideTelegraf.
const (
	tgDevices   = 100
	drainPoints = 500_000
	steadyRate  = 50_000
	steadyFor   = 20 * time.Second
	outageLead  = 5 * time.Second
	outageFor   = 20 * time.Second
	outageTail  = 10 * time.Second
	// catchupBound bounds the wait for a consumer to catch up after the outage.
	catchupBound = 3 * time.Minute
	tgRounds     = 2
)

// BenchmarkBesideTelegraf runs `cellforge bridge` (CELLFORGE_BIN, or built from ../../cmd/cellforge)
// and Telegraf (TELEGRAF_BIN, or GOPATH/bin/telegraf from scripts/deps.sh telegraf), one after
// the other, against the same real Mosquitto and InfluxDB 1.8 on loopback, with the same points
// (100 devices, 10 points a message, QoS 1): drain, a backlog of 500,000 points queued in the
// broker for the consumer's persistent session while it was stopped; steady, 50,000 points/s for
// 20 s; outage, the same rate with InfluxDB cut off for 20 s after 5 s and for 10 s after its
// return, and the time from its return until InfluxDB has what was sent before it. Each consumer writes to a database of its own, where
// every point is counted. CPU and peak memory are the consumer process's and InfluxDB's, from
// /proc. Run it with -benchtime 1x: each of the tgRounds rounds runs every scenario with one
// consumer, then the other.
func BenchmarkBesideTelegraf(b *testing.B) {
	p := startTGPeers(b)
	for round := 1; round <= tgRounds; round++ {
		for _, sc := range []struct {
			name string
			run  func(*testing.B, *tgPeers, string, string)
		}{{"drain", tgDrain}, {"steady", tgSteady}, {"outage", tgOutage}} {
			for _, kind := range []string{consumerOurs, consumerTelegraf} {
				b.Run(fmt.Sprintf("%s/%s/round-%d", sc.name, kind, round), func(b *testing.B) {
					for b.Loop() {
						db := fmt.Sprintf("%s_%s_%d", sc.name, kind, time.Now().UnixNano())
						p.influx.CreateDatabase(b, db)
						sc.run(b, p, kind, db)
						p.endSession(b, db)
					}
				})
			}
		}
	}
}

// waitProbe publishes ten points of device "probe" every second until InfluxDB has some: the
// consumer has subscribed and writes. Probes sent before the subscription are lost, so the
// probe's points are not counted with the load's.
func (p *tgPeers) waitProbe(b *testing.B, c *child, db string, g *loadGen) {
	deadline := time.Now().Add(60 * time.Second)
	for last := (time.Time{}); p.count(b, db, "probe") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%s: no probe stored within 60s\n%s", db, c.logTail())
		}
		if time.Since(last) > time.Second {
			g.publish(b, "probe")
			last = time.Now()
		}
	}
	g.finish(b)
}

// tgReport reports the figures of a run: cpu and influxCPU spent on the points sent, of which
// InfluxDB stored stored, the last after elapsed.
func tgReport(b *testing.B, c *child, cpu, influxCPU time.Duration, sent int, elapsed time.Duration, stored int) {
	b.ReportMetric(float64(cpu.Microseconds())/float64(stored), "cpu-us/point")
	b.ReportMetric(float64(influxCPU.Microseconds())/float64(stored), "influx-cpu-us/point")
	b.ReportMetric(float64(stored)/elapsed.Seconds(), "points/s")
	b.ReportMetric(float64(sent), "sent-points")
	b.ReportMetric(peakRSS(b, c.cmd.Process.Pid), "peak-rss-MiB")
	b.ReportMetric(float64(stored), "stored-points")
}

// tgDrain makes the consumer's session, stops the consumer, queues drainPoints in the broker,
// and measures the consumer started again until InfluxDB has them all.
func tgDrain(b *testing.B, p *tgPeers, kind, db string) {
	dir := b.TempDir()
	g := newLoadGen(b, p.mq.URL(), kind, db+"-load")
	c := p.startConsumer(b, kind, db, db, dir, p.influx.URL())
	p.waitProbe(b, c, db, g)
	c.stop(b)
	for i := range drainPoints / benchPoints {
		g.publish(b, fmt.Sprintf("dev-%d", i%tgDevices))
	}
	g.finish(b)
	influx0 := procCPU(b, p.influx.PID())
	start := time.Now()
	c = p.startConsumer(b, kind, db, db, dir, p.influx.URL())
	end, stored := p.waitStored(b, c, db, g, 5*time.Minute)
	cpu, influxCPU := procCPU(b, c.cmd.Process.Pid), procCPU(b, p.influx.PID())-influx0
	tgReport(b, c, cpu, influxCPU, drainPoints, end.Sub(start), stored)
	c.stop(b)
}

// tgSteady measures the consumer while steadyRate points a second arrive for steadyFor, until
// InfluxDB has them all.
func tgSteady(b *testing.B, p *tgPeers, kind, db string) {
	g := newLoadGen(b, p.mq.URL(), kind, db+"-load")
	c := p.startConsumer(b, kind, db, db, b.TempDir(), p.influx.URL())
	p.waitProbe(b, c, db, g)
	pid := c.cmd.Process.Pid
	cpu0, influx0 := procCPU(b, pid), procCPU(b, p.influx.PID())
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), steadyFor)
	g.steady(ctx, b, steadyRate)
	cancel()
	g.finish(b)
	end, stored := p.waitStored(b, c, db, g, 2*time.Minute)
	cpu, influxCPU := procCPU(b, pid)-cpu0, procCPU(b, p.influx.PID())-influx0
	b.ReportMetric(float64(g.sentOf(""))/steadyFor.Seconds(), "offered-points/s")
	tgReport(b, c, cpu, influxCPU, g.sentOf(""), end.Sub(start), stored)
	c.stop(b)
}

// tgOutage sends steadyRate points a second through a consumer whose path to InfluxDB is cut
// for outageFor, and measures the time from its return until InfluxDB has what was sent
// before it (of device dev-0, polled every 50 ms).
func tgOutage(b *testing.B, p *tgPeers, kind, db string) {
	proxy := peertest.StartProxy(b, strings.TrimPrefix(p.influx.URL(), "http://"))
	g := newLoadGen(b, p.mq.URL(), kind, db+"-load")
	c := p.startConsumer(b, kind, db, db, b.TempDir(), "http://"+proxy.Addr())
	p.waitProbe(b, c, db, g)
	pid := c.cmd.Process.Pid
	cpu0, influx0 := procCPU(b, pid), procCPU(b, p.influx.PID())
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.steady(ctx, b, steadyRate)
	}()
	time.Sleep(outageLead)
	proxy.Cut()
	time.Sleep(outageFor)
	proxy.Restore()
	restored, want := time.Now(), g.sentOf("dev-0")
	// The load goes on for outageTail after the return, then stops, so that a consumer slower
	// than the load still catches up, later.
	stopLoad := time.AfterFunc(outageTail, cancel)
	caughtUp := false
	for !caughtUp && time.Since(restored) < catchupBound {
		time.Sleep(50 * time.Millisecond)
		caughtUp = p.count(b, db, "dev-0") >= want
	}
	took := time.Since(restored)
	stopLoad.Stop()
	cancel()
	wg.Wait()
	if !caughtUp {
		// Reported, not failed: a consumer that stalls after an outage is a result.
		b.Logf("%s: not caught up %v after the outage\n%s", db, catchupBound, c.logTail())
		b.ReportMetric(0, "caught-up")
		b.ReportMetric(float64(p.count(b, db, "")), "stored-points")
		c.stop(b)
		return
	}
	b.ReportMetric(1, "caught-up")
	b.ReportMetric(took.Seconds(), "catchup-s")
	g.finish(b)
	end, stored := p.waitStored(b, c, db, g, 3*time.Minute)
	cpu, influxCPU := procCPU(b, pid)-cpu0, procCPU(b, p.influx.PID())-influx0
	tgReport(b, c, cpu, influxCPU, g.sentOf(""), end.Sub(start), stored)
	c.stop(b)
}
