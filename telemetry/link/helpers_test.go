package link

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// network is a hub and two sites, porto and lisbon, with their keys and state directories, and
// a real Mosquitto between them.
type network struct {
	t    *testing.T
	mq   *peertest.Mosquitto
	keys map[string]ed25519.PrivateKey
	dirs map[string]string
}

func newNetwork(t *testing.T) *network {
	n := &network{t: t, mq: peertest.StartMosquitto(t, peertest.MosquittoOptions{}),
		keys: make(map[string]ed25519.PrivateKey), dirs: make(map[string]string)}
	for _, id := range []string{Hub, "porto", "lisbon"} {
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		n.keys[id] = key
		n.dirs[id] = filepath.Join(t.TempDir(), id)
	}
	return n
}

func (n *network) pub(id string) ed25519.PublicKey { return n.keys[id].Public().(ed25519.PublicKey) }

// config returns id's link config, through the broker at url ("" for the broker itself).
func (n *network) config(id, url string) Config {
	if url == "" {
		url = n.mq.URL()
	}
	peers := map[string]ed25519.PublicKey{Hub: n.pub(Hub)}
	if id == Hub {
		peers = map[string]ed25519.PublicKey{"porto": n.pub("porto"), "lisbon": n.pub("lisbon")}
	}
	return Config{Self: id, Key: n.keys[id], Peers: peers, Broker: url, Dir: n.dirs[id], Timeout: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(testWriter{n.t}, nil))}
}

// testWriter writes a link's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// end is a running link and what its handler received.
type end struct {
	t      *testing.T
	link   *Link
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	got  []Message
	fail func(Message) error // set before start
}

// open opens id's link; start runs it.
func (n *network) open(id, url string) *end {
	n.t.Helper()
	l, err := Open(n.config(id, url))
	if err != nil {
		n.t.Fatal(err)
	}
	e := &end{t: n.t, link: l}
	n.t.Cleanup(e.close)
	return e
}

// start runs the link and waits until it is subscribed.
func (e *end) start() *end {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		if err := e.link.Run(ctx, e.handle); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	waitFor(e.t, "the link connects", func() bool { return e.link.Status().Connected })
	return e
}

func (e *end) handle(_ context.Context, m Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, m)
	if e.fail != nil {
		return e.fail(m)
	}
	return nil
}

// stop ends Run and waits for it.
func (e *end) stop() {
	if e.cancel != nil {
		e.cancel()
		<-e.done
		e.cancel = nil
	}
}

func (e *end) close() {
	e.stop()
	e.link.Close()
}

func (e *end) received() []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Message(nil), e.got...)
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendAll sends bodies 1..count of a kind from e to a peer.
func sendAll(t *testing.T, e *end, to, kind string, from, count int) {
	t.Helper()
	for i := from; i < from+count; i++ {
		if err := e.link.Send(to, kind, map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
}

// bodies returns the "n" of each message's body, and fails on a message of another sender.
func bodies(t *testing.T, msgs []Message, from string) []int {
	t.Helper()
	var ns []int
	for _, m := range msgs {
		if m.From != from {
			continue
		}
		var b struct{ N int }
		if err := json.Unmarshal(m.Body, &b); err != nil {
			t.Fatalf("body of message %d from %s: %v", m.Seq, from, err)
		}
		ns = append(ns, b.N)
	}
	return ns
}

// rawClient is an MQTT client that publishes payloads as they are, for what a link does not
// send: forgeries, replays, garbage.
func rawClient(t *testing.T, url string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("raw-%d", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("raw client: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publishRaw(t *testing.T, c paho.Client, topic string, payload []byte) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("raw publish on %s: %v", topic, tok.Error())
	}
}
