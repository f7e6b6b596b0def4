package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/telemetry"
)

// handLeases gives the leases of cells to the daemon that will run on dataDir, for an hour,
// before it starts: that daemon then drives them from its start (it renews what it holds),
// while the first daemon to start takes the rest and the site.
func handLeases(tb testing.TB, url, dataDir string, cells []string) {
	tb.Helper()
	holder, release, err := claimDataDir(dataDir)
	if err != nil {
		tb.Fatal(err)
	}
	release()
	st := openTwinStore(tb, url)
	for _, cell := range cells {
		if held, _, err := st.AcquireLease(context.Background(), "cells:"+cell, holder, time.Hour); err != nil || !held {
			tb.Fatalf("handing the lease of %s to %s: held %v, %v", cell, holder, held, err)
		}
	}
}

// openTwinStore opens the twins' database for the test to read; closed when the test ends.
func openTwinStore(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	st, err := postgres.Open(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// watch is an MQTT subscriber to every telemetry topic: it keeps the times of the points
// published to each topic, to the millisecond.
type watch struct {
	mu     sync.Mutex
	points map[string]map[int64]bool // by topic, unix milliseconds
	bad    []string
}

// watchTelemetry subscribes to the broker at url; it disconnects when the test ends.
func watchTelemetry(tb testing.TB, url string) *watch {
	tb.Helper()
	w := &watch{points: map[string]map[int64]bool{}}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID("failover-watch").SetProtocolVersion(4).
		SetConnectTimeout(10 * time.Second)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		tb.Fatalf("connecting to the broker: %v", tok.Error())
	}
	tb.Cleanup(func() { c.Disconnect(250) })
	handle := func(_ mqtt.Client, m mqtt.Message) {
		if telemetry.IsRetainedState(m.Topic()) || m.Topic() == telemetry.StatusTopic("twin-floor") {
			return
		}
		_, pts, err := telemetry.Decode(m.Topic(), m.Payload())
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			w.bad = append(w.bad, m.Topic()+": "+err.Error())
			return
		}
		if w.points[m.Topic()] == nil {
			w.points[m.Topic()] = map[int64]bool{}
		}
		for _, p := range pts {
			w.points[m.Topic()][p.Time.UnixMilli()] = true
		}
	}
	if tok := c.Subscribe("cellforge/v1/#", 1, handle); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		tb.Fatalf("subscribing: %v", tok.Error())
	}
	return w
}

// after reports whether a point later than t reached a topic starting with prefix.
func (w *watch) after(prefix string, t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for topic, times := range w.points {
		if !strings.HasPrefix(topic, prefix) {
			continue
		}
		for ms := range times {
			if ms > t.UnixMilli() {
				return true
			}
		}
	}
	return false
}

// has reports whether a point at t reached topic.
func (w *watch) has(topic string, t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.points[topic][t.UnixMilli()]
}

// undecoded returns the messages that did not decode, with their topics and errors.
func (w *watch) undecoded() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.bad)
}

// telemetryCursorOf returns where the telemetry of the book's events stands in the database.
func telemetryCursorOf(tb testing.TB, st *postgres.Store) int64 {
	tb.Helper()
	var after int64
	var ok bool
	err := st.Read(context.Background(), func(tx book.ReadTx) (err error) {
		after, ok, err = tx.Cursor(telemetryCursor)
		return err
	})
	if err != nil || !ok {
		tb.Fatalf("the telemetry's cursor: %d, %v, %v", after, ok, err)
	}
	return after
}

// unitsAfter returns the events of units made after event id, by id.
func unitsAfter(tb testing.TB, st *postgres.Store, id int64) []book.Event {
	tb.Helper()
	var out []book.Event
	err := st.Read(context.Background(), func(tx book.ReadTx) (err error) {
		out, err = tx.Events(book.EventFilter{AfterID: id, Kinds: []string{book.EventOperationProgress}})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkDevicesPublished waits until the devices of every cell publish values later than since:
// each daemon publishes the devices of the cells it drives, whether or not it holds the site.
func (tw *twins) checkDevicesPublished(tb testing.TB, w *watch, since time.Time, logs func() string) {
	tb.Helper()
	for i := range twinCells {
		prefix := "cellforge/v1/twin-floor/devices/weave-" + string(rune('1'+i)) + "/"
		poll(tb, 20*time.Second, "device values published under "+prefix, logs, func() bool { return w.after(prefix, since) })
	}
}

// checkGapPublished waits until the units made after the cursor the site's last holder left
// (from) are published, each on its cell's units topic at its time: the events of the
// takeover's gap are not lost.
func checkGapPublished(tb testing.TB, w *watch, st *postgres.Store, from int64, logs func() string) {
	tb.Helper()
	gap := unitsAfter(tb, st, from)
	if len(gap) == 0 {
		tb.Fatalf("no units were made after event %d: the test shows nothing", from)
	}
	for _, e := range gap {
		if e.Cell == "" {
			continue
		}
		topic := "cellforge/v1/twin-floor/cells/" + e.Cell + "/units"
		poll(tb, 20*time.Second, "the units of event "+e.At.Format(time.RFC3339Nano)+" on "+topic, logs,
			func() bool { return w.has(topic, e.At) })
	}
	tb.Logf("%d events of units after the cursor %d were published by the daemon taking the site over", len(gap), from)
}
