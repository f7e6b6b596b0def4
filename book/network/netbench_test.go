package network_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// The benchmarks' sizes; scripts/bench.sh network runs them as they are.
var (
	nbOrders = flag.Int("netbench.orders", 10000, "orders of BenchmarkNetworkRouting's batch")
	nbEvents = flag.Int("netbench.events", 300, "events measured by BenchmarkNetworkEventDelay")
)

// BenchmarkNetworkRouting routes a batch across the ten sites of nbStart: the batch imported at
// the hub, the promises asked of every site that makes some of it in parallel, the orders
// routed, taken into the sites' books and acknowledged. The peer computes the same promises
// with the sites' planners directly, in parallel, without the hub or the broker.
func BenchmarkNetworkRouting(b *testing.B) {
	b.Run("network", func(b *testing.B) {
		n := nbStart(b)
		var sum nbTimes
		b.ResetTimer()
		for i := range b.N {
			t := n.importAndRoute(b, nbBatch(fmt.Sprintf("r%d-", i), *nbOrders, uint64(i)))
			sum.imp, sum.round, sum.answers, sum.total = sum.imp+t.imp, sum.round+t.round, sum.answers+t.answers, sum.total+t.total
		}
		b.StopTimer()
		n.check(b)
		nbReportRate(b, sum.total)
		per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
		b.ReportMetric(per(sum.imp), "import-s")
		b.ReportMetric(per(sum.round), "round-s")
		b.ReportMetric(per(sum.answers), "answers-s")
		b.ReportMetric(per(sum.total-sum.imp-sum.round), "acks-s")
	})
	b.Run("peer-planners", func(b *testing.B) {
		var sites []*nbBook
		for _, s := range nbSpecs() {
			sites = append(sites, nbOpenBook(b, s))
		}
		var total time.Duration
		b.ResetTimer()
		for i := range b.N {
			start := time.Now()
			nbPromiseDirectly(b, sites, nbBatch(fmt.Sprintf("r%d-", i), *nbOrders, uint64(i)))
			total += time.Since(start)
		}
		b.StopTimer()
		nbReportRate(b, total)
		b.ReportMetric(total.Seconds()/float64(b.N), "round-s")
	})
}

func nbReportRate(b *testing.B, total time.Duration) {
	b.ReportMetric(float64(b.N**nbOrders)/total.Seconds(), "orders/s")
}

// nbPromiseDirectly asks every site's planner, in parallel, when it would finish the orders of
// the batch it makes, as its uplink does for a promise request: the orders previewed by the
// book, then planned with the open work.
func nbPromiseDirectly(b *testing.B, sites []*nbBook, orders []nbOrder) {
	var wg sync.WaitGroup
	errs := make(chan error, len(sites))
	for _, s := range sites {
		mine := slices.DeleteFunc(slices.Clone(orders), func(o nbOrder) bool { return !slices.Contains(s.spec.makes, o.sku) })
		rows := nbRows(b, mine, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			cands, err := s.book.PreviewImport(ctx, book.ImportRequest{Drop: nbDrop, Rows: rows,
				Actor: "bench", MaxRows: len(mine)})
			if err != nil {
				errs <- fmt.Errorf("previewing %d orders at %s: %w", len(mine), s.spec.id, err)
				return
			}
			promised, err := s.planner.PromiseOrders(ctx, cands)
			if err == nil && len(promised) != len(mine) {
				err = fmt.Errorf("%d promises for %d orders", len(promised), len(mine))
			}
			if err != nil {
				errs <- fmt.Errorf("promising at %s: %w", s.spec.id, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkNetworkEventDelay measures the delay from an operation completed at a site to the
// hub's book showing it (the site's event followed by its uplink, queued and published by its
// link, verified, applied to the hub's book on PostgreSQL and recorded by the hub's link),
// order by order, over a batch routed across the ten sites of nbStart. The peer, through the
// same broker: a message of the size of the sites' progress reports published by one MQTT client
// (QoS 1) until another receives it.
func BenchmarkNetworkEventDelay(b *testing.B) {
	n := nbStart(b)
	sizes := nbSniff(b, n.mq)
	var delays []time.Duration
	for i := range b.N {
		orders := nbBatch(fmt.Sprintf("e%d-", i), *nbEvents, uint64(100+i))
		n.importAndRoute(b, orders)
		for _, o := range orders {
			delays = append(delays, n.completeFirst(b, o))
		}
	}
	n.check(b)
	size := sizes.median(b)
	peer := nbPublishDelays(b, n.mq, size, len(delays))
	b.ReportMetric(nbMillis(nbQuantile(delays, 0.5)), "event-p50-ms")
	b.ReportMetric(nbMillis(nbQuantile(delays, 0.99)), "event-p99-ms")
	b.ReportMetric(nbMillis(nbQuantile(peer, 0.5)), "peer-p50-ms")
	b.ReportMetric(nbMillis(nbQuantile(peer, 0.99)), "peer-p99-ms")
	b.ReportMetric(float64(size), "msg-bytes")
	b.ReportMetric(float64(len(delays)), "events")
}

func nbMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// nbQuantile is the q quantile of ds by the nearest rank.
func nbQuantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// completeFirst starts the first operation of an order at its site and waits until the hub
// shows it started; then it completes the operation and returns how long the hub took to show
// that report.
func (n *nbNet) completeFirst(b *testing.B, o nbOrder) time.Duration {
	b.Helper()
	ctx := context.Background()
	at, _, err := n.rules.Order(ctx, o.id)
	if err != nil {
		b.Fatal(err)
	}
	site := n.sites[at.Site]
	_, wo, err := site.book.Order(ctx, o.id)
	if err != nil {
		b.Fatalf("order %s at %s: %v", o.id, at.Site, err)
	}
	d, err := site.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		b.Fatal(err)
	}
	versions := n.watch.progress(o.id)
	n.act(b, site, d.Operations[0].ID, book.ActionStart, versions)
	start := time.Now()
	version := n.act(b, site, d.Operations[0].ID, book.ActionComplete, versions)
	delay := time.Since(start)
	got, _, err := n.rules.Order(ctx, o.id)
	if err != nil {
		b.Fatal(err)
	}
	if got.State != network.Started || got.Version < version {
		b.Fatalf("the hub's order %s is %s at version %d; want started at version %d", o.id, got.State, got.Version, version)
	}
	return delay
}

// act applies an action to an operation at a site and waits until the hub has applied the
// site's report of it; it returns the report's version.
func (n *nbNet) act(b *testing.B, site *nbBook, op int64, a book.Action, versions <-chan int64) int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := site.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "ana"}); err != nil {
		b.Fatalf("%s operation %d at %s: %v", a, op, site.spec.id, err)
	}
	want, err := site.book.LastEventID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case v := <-versions:
			if v >= want {
				return v
			}
		case <-timeout:
			n.check(b)
			b.Fatalf("the hub did not apply %s's report of %s of operation %d (event %d) within a minute", site.spec.id, a, op, want)
		}
	}
}

// nbSizes keeps the sizes of the progress reports the sites publish to the hub, as a third MQTT
// client subscribed to the hub's topics sees them on the wire (envelope and signature).
type nbSizes struct {
	mu    sync.Mutex
	sizes []int
}

func nbSniff(b *testing.B, mq *peertest.Mosquitto) *nbSizes {
	s := &nbSizes{}
	c := nbClient(b, mq, "netbench-sniffer")
	tok := c.Subscribe("cellforge/net/v1/to/hub/from/+", 0, func(_ paho.Client, m paho.Message) {
		p := m.Payload()
		var env struct{ Kind string }
		if len(p) > 64 && json.Unmarshal(p[:len(p)-64], &env) == nil && env.Kind == network.KindProgress {
			s.mu.Lock()
			s.sizes = append(s.sizes, len(p))
			s.mu.Unlock()
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribing to the hub's topics: %v", tok.Error())
	}
	return s
}

func (s *nbSizes) median(b *testing.B) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sizes) == 0 {
		b.Fatal("no progress report seen on the wire")
	}
	sorted := slices.Clone(s.sizes)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// nbClient connects an MQTT client to the broker; it disconnects when the benchmark ends.
func nbClient(b *testing.B, mq *peertest.Mosquitto, id string) paho.Client {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(mq.URL()).SetClientID(id).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("connecting %s to %s: %v", id, mq.URL(), tok.Error())
	}
	b.Cleanup(func() { c.Disconnect(100) })
	return c
}

// nbPublishDelays publishes n messages of size bytes with QoS 1 from one client to another
// through the broker, one at a time, and returns the time from each publish to its delivery.
func nbPublishDelays(b *testing.B, mq *peertest.Mosquitto, size, n int) []time.Duration {
	const topic = "netbench/peer"
	got := make(chan struct{}, 1)
	sub := nbClient(b, mq, "netbench-peer-sub")
	if tok := sub.Subscribe(topic, 1, func(paho.Client, paho.Message) {
		select {
		case got <- struct{}{}:
		default:
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribing to %s: %v", topic, tok.Error())
	}
	pub := nbClient(b, mq, "netbench-peer-pub")
	payload := make([]byte, size)
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		tok := pub.Publish(topic, 1, false, payload)
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			b.Fatal("a message published to the peer was not delivered within 10 s")
		}
		out = append(out, time.Since(start))
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("publishing to %s: %v", topic, tok.Error())
		}
	}
	return out
}
