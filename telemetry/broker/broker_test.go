package broker

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestEmbeddedBrokerCarriesMessages(t *testing.T) {
	b, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
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
			b.server.Close()
			t.Errorf("New(%q) accepted a non-loopback address", addr)
		}
	}
}
