package link

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// TestOnConnect: OnConnect is called after the first connection and after each one that
// follows a loss, so that a site can greet the hub again; while it runs the connection goes on
// (porto's link takes the hub's messages and publishes its own).
func TestOnConnect(t *testing.T) {
	n := newNetwork(t)
	p := peertest.StartProxy(t, n.mq.Addr())
	hub := n.open(Hub, "").start()

	var calls atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	let := func() { releaseOnce.Do(func() { close(release) }) }
	cfg := n.config("porto", "tcp://"+p.Addr())
	var porto *end
	cfg.OnConnect = func() {
		k := calls.Add(1)
		if err := porto.link.Send(Hub, "hello", map[string]int{"n": int(k)}); err != nil {
			t.Errorf("sending the greeting: %v", err)
		}
		if k == 1 {
			<-release
		}
	}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	porto = &end{t: t, link: l}
	t.Cleanup(porto.close)
	t.Cleanup(let) // before porto is closed: Run waits for OnConnect
	porto.start()
	waitFor(t, "OnConnect is called once", func() bool { return calls.Load() == 1 })

	// The first call has not returned: the connection still works both ways.
	sendAll(t, hub, "porto", "route", 1, 2)
	waitFor(t, "porto has the hub's 2 messages", func() bool { return len(porto.received()) == 2 })
	waitFor(t, "the hub has porto's greeting", func() bool { return len(hub.received()) == 1 })
	let()

	p.Cut()
	waitFor(t, "porto sees its connection cut", func() bool { return !porto.link.Status().Connected })
	if c := calls.Load(); c != 1 {
		t.Fatalf("OnConnect called %d times before porto reconnected, want 1", c)
	}
	p.Restore()
	waitFor(t, "OnConnect is called again after the reconnection", func() bool { return calls.Load() == 2 })
	waitFor(t, "the hub has porto's 2 greetings", func() bool { return len(hub.received()) == 2 })
	if ns := bodies(t, hub.received(), "porto"); !reflect.DeepEqual(ns, []int{1, 2}) {
		t.Fatalf("the hub got greetings %v, want [1 2]", ns)
	}
}
