package broker

import (
	"context"
	"net"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestEmbeddedBrokerCarriesMessages(t *testing.T) {
	b := runBroker(t)
	connect := func(id string) paho.Client {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetConnectRetry(true).SetConnectRetryInterval(10 * time.Millisecond))
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect %s: %v", id, tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(0) })
		return c
	}
	got := make(chan string, 1)
	sub := connect("sub")
	if tok := sub.Subscribe("cellforge/v1/#", 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	pub := connect("pub")
	if tok := pub.Publish("cellforge/v1/s/status", 1, false, "online"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case m := <-got:
		if m != "online" {
			t.Errorf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message did not arrive")
	}
}

func TestEmbeddedBrokerListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:1883", "192.0.2.1:1883", ":1883", "nonsense"} {
		if b, err := New(Config{Addr: addr}); err == nil {
			b.Close()
			t.Errorf("New(%q) accepted a non-loopback address", addr)
		}
	}
}

// TestCloseReleasesABrokerThatNeverRan: a daemon that fails after making its broker and before
// running it closes the broker, and its address is free again.
func TestCloseReleasesABrokerThatNeverRan(t *testing.T) {
	b, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the address of a closed broker is still taken: %v", err)
	}
	ln.Close()
	if err := b.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if err := b.Run(context.Background()); err == nil {
		t.Error("Run served a closed broker")
	}
}

// TestPendingCountsWhatASessionHasNotAcknowledged: the messages the broker keeps for a
// persistent session while its client is away are counted until the client is back and
// acknowledges them.
func TestPendingCountsWhatASessionHasNotAcknowledged(t *testing.T) {
	b := runBroker(t)
	wait := func(what string, tok paho.Token) {
		t.Helper()
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s: %v", what, tok.Error())
		}
	}
	got := make(chan string, 10)
	subscriber := func() paho.Client {
		opts := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("away").SetCleanSession(false).
			SetConnectRetry(true).SetConnectRetryInterval(10 * time.Millisecond)
		opts.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) })
		c := paho.NewClient(opts)
		wait("connect the subscriber", c.Connect())
		return c
	}
	sub := subscriber()
	wait("subscribe", sub.Subscribe("cellforge/v1/#", 1, nil))
	sub.Disconnect(250)
	// The broker learns of the disconnection after the client has sent it: a message published
	// before would still go to the connection, not wait in the session.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cl, ok := b.server.Clients.Get("away"); ok && cl.Closed() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the broker did not see the subscriber go")
		}
		time.Sleep(5 * time.Millisecond)
	}

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("pub"))
	wait("connect the publisher", pub.Connect())
	defer pub.Disconnect(0)
	for _, m := range []string{"a", "b", "c"} {
		wait("publish", pub.Publish("cellforge/v1/s/x", 1, false, m))
	}
	// The broker acknowledges a publish before it hands the message to the sessions.
	deadline = time.Now().Add(10 * time.Second)
	for n := b.Pending("away"); n != 3; n = b.Pending("away") {
		if n > 3 || time.Now().After(deadline) {
			t.Fatalf("Pending = %d while the subscriber is away, want the 3 messages kept for it", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.Pending("nobody"); n != 0 {
		t.Errorf("Pending of an unknown client = %d", n)
	}
	sub = subscriber()
	defer sub.Disconnect(0)
	for range 3 {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("the messages kept for the session did not arrive")
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for b.Pending("away") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Pending = %d after the subscriber took every message", b.Pending("away"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runBroker runs a broker on a free loopback port until the test ends.
func runBroker(t *testing.T) *Broker {
	t.Helper()
	b, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return b
}
