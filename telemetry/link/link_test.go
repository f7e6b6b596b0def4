package link

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	n := newNetwork(t)
	hub, porto, lisbon := n.open(Hub, "").start(), n.open("porto", "").start(), n.open("lisbon", "").start()

	sendAll(t, porto, Hub, "progress", 1, 3)
	sendAll(t, lisbon, Hub, "hello", 1, 2)
	sendAll(t, hub, "porto", "route", 1, 2)
	waitFor(t, "the hub has 5 messages and porto 2", func() bool { return len(hub.received()) == 5 && len(porto.received()) == 2 })

	got := hub.received()
	if ns := bodies(t, got, "porto"); !reflect.DeepEqual(ns, seq(1, 3)) {
		t.Errorf("the hub got %v from porto, want %v", ns, seq(1, 3))
	}
	if ns := bodies(t, got, "lisbon"); !reflect.DeepEqual(ns, seq(1, 2)) {
		t.Errorf("the hub got %v from lisbon, want %v", ns, seq(1, 2))
	}
	for _, m := range got {
		want := map[string]string{"porto": "progress", "lisbon": "hello"}[m.From]
		if m.Kind != want || m.At.IsZero() {
			t.Errorf("message %d from %s: kind %q, at %v; want kind %q and a time", m.Seq, m.From, m.Kind, m.At, want)
		}
	}
	wantSeqs := func(e *end, from string, want []uint64) {
		t.Helper()
		var seqs []uint64
		for _, m := range e.received() {
			if m.From == from {
				seqs = append(seqs, m.Seq)
				if m.Epoch != n.epoch(from) {
					t.Errorf("message %d from %s: epoch %d, want %d", m.Seq, from, m.Epoch, n.epoch(from))
				}
			}
		}
		if !reflect.DeepEqual(seqs, want) {
			t.Errorf("sequence numbers from %s: %v, want %v", from, seqs, want)
		}
	}
	wantSeqs(hub, "porto", []uint64{1, 2, 3})
	wantSeqs(hub, "lisbon", []uint64{1, 2})
	wantSeqs(porto, Hub, []uint64{1, 2})
	if ns := bodies(t, porto.received(), Hub); !reflect.DeepEqual(ns, seq(1, 2)) {
		t.Errorf("porto got %v, want %v", ns, seq(1, 2))
	}

	waitFor(t, "porto's queue is empty and its messages applied", func() bool {
		return porto.link.Status().Queued == 0 && porto.link.Status().Applied == 2 && hub.link.Status().Applied == 5
	})
	st := porto.link.Status()
	if !st.Connected || st.Sent != 3 || st.Applied != 2 || len(st.Refused) != 0 {
		t.Errorf("porto's status %+v, want connected, 3 sent, 2 applied, none refused", st)
	}
	if hs := hub.link.Status(); hs.Applied != 5 {
		t.Errorf("the hub's status %+v, want 5 applied", hs)
	}

	if err := porto.link.Send("lisbon", "hello", 1); !errors.Is(err, ErrUnknownPeer) {
		t.Errorf("porto sending to lisbon: %v, want ErrUnknownPeer", err)
	}
	if err := hub.link.Send("madrid", "route", 1); !errors.Is(err, ErrUnknownPeer) {
		t.Errorf("the hub sending to madrid: %v, want ErrUnknownPeer", err)
	}
	if err := hub.link.Run(t.Context(), func(context.Context, Message) error { return nil }); err == nil {
		t.Error("a second Run of a running link started")
	}
	if err := hub.link.Send("porto", "route", func() {}); err == nil {
		t.Error("Send of a body that is not JSON succeeded")
	}
}

// epoch reads the epoch a site's state directory holds.
func (n *network) epoch(id string) int64 {
	s, err := loadSendState(n.dirs[id], time.Time{})
	if err != nil {
		n.t.Fatal(err)
	}
	return s.Epoch
}

// TestBrokerRestartKeepsOrder sends while the broker is down and while the receiver is away:
// everything arrives once, in order, after the outage.
func TestBrokerRestartKeepsOrder(t *testing.T) {
	n := newNetwork(t)
	hub, porto := n.open(Hub, "").start(), n.open("porto", "").start()
	sendAll(t, porto, Hub, "progress", 1, 5)
	waitFor(t, "the hub has 5 messages", func() bool { return len(hub.received()) == 5 })

	n.mq.Stop()
	waitFor(t, "porto sees the broker gone", func() bool { return !porto.link.Status().Connected })
	sendAll(t, porto, Hub, "progress", 6, 15)
	if q := porto.link.Status().Queued; q != 15 {
		t.Errorf("porto's queue holds %d messages during the outage, want 15", q)
	}
	hub.stop() // the hub is away too: the broker keeps porto's messages for the hub's session
	n.mq.Start()
	waitFor(t, "porto has published its queue", func() bool { return porto.link.Status().Queued == 0 })
	sendAll(t, porto, Hub, "progress", 21, 5)
	hub.start()
	waitFor(t, "the hub has applied 25 messages", func() bool { return hub.link.Status().Applied == 25 })
	if ns := bodies(t, hub.received(), "porto"); !reflect.DeepEqual(ns, seq(1, 25)) {
		t.Fatalf("the hub got %v, want 1..25 once each in order", ns)
	}
}

// TestConnectionCut cuts the hub's network path several times while porto sends: every message
// is applied once, in order.
func TestConnectionCut(t *testing.T) {
	n := newNetwork(t)
	p := peertest.StartProxy(t, n.mq.Addr())
	hub, porto := n.open(Hub, "tcp://"+p.Addr()).start(), n.open("porto", "").start()
	sent := 0
	for round := range 4 {
		sendAll(t, porto, Hub, "progress", sent+1, 10)
		sent += 10
		if round%2 == 0 {
			p.Cut()
			waitFor(t, "the hub sees its connection cut", func() bool { return !hub.link.Status().Connected })
			sendAll(t, hub, "porto", "route", round+1, 1) // queued on the hub while cut off
			p.Restore()
			waitFor(t, "the hub reconnects", func() bool { return hub.link.Status().Connected })
		}
	}
	waitFor(t, fmt.Sprintf("the hub has %d messages", sent), func() bool { return len(bodies(t, hub.received(), "porto")) >= sent })
	if ns := bodies(t, hub.received(), "porto"); !reflect.DeepEqual(ns, seq(1, sent)) {
		t.Fatalf("the hub got %v, want 1..%d once each in order", ns, sent)
	}
	waitFor(t, "porto has the hub's 2 messages", func() bool { return len(porto.received()) >= 2 })
	if ns := bodies(t, porto.received(), Hub); !reflect.DeepEqual(ns, []int{1, 3}) {
		t.Fatalf("porto got %v from the hub, want [1 3]", ns)
	}
}

// TestHandlerErrorRetriedInOrder makes the handler fail twice on the first message: it is
// handed again until it succeeds, and the later messages wait for it.
func TestHandlerErrorRetriedInOrder(t *testing.T) {
	n := newNetwork(t)
	hub := n.open(Hub, "")
	failures := 0
	hub.fail = func(m Message) error {
		if m.Seq == 1 && failures < 2 {
			failures++
			return errors.New("the book is busy")
		}
		return nil
	}
	hub.start()
	porto := n.open("porto", "").start()
	sendAll(t, porto, Hub, "ack", 1, 3)
	waitFor(t, "the hub has handled 3 messages", func() bool { return hub.link.Status().Applied == 3 })
	var seqs []uint64
	for _, m := range hub.received() {
		seqs = append(seqs, m.Seq)
	}
	if want := []uint64{1, 1, 1, 2, 3}; !reflect.DeepEqual(seqs, want) {
		t.Fatalf("the handler saw %v, want %v", seqs, want)
	}
}

// TestUnrecordedMessageRedelivered stops the hub while its handler keeps failing (as a crash
// between the handler and the ledger would): the message was not acknowledged, and the hub
// reopened gets it again.
func TestUnrecordedMessageRedelivered(t *testing.T) {
	n := newNetwork(t)
	hub := n.open(Hub, "")
	hub.fail = func(Message) error { return errors.New("down") }
	hub.start()
	porto := n.open("porto", "").start()
	sendAll(t, porto, Hub, "ack", 1, 2)
	waitFor(t, "the handler has seen the first message", func() bool { return len(hub.received()) > 0 })
	hub.close()
	if l, _ := loadLedger(n.dirs[Hub]); len(l) != 0 {
		t.Fatalf("the ledger records %v before any handler succeeded", l)
	}

	again := n.open(Hub, "").start()
	waitFor(t, "the reopened hub has 2 messages", func() bool { return len(again.received()) == 2 })
	if ns := bodies(t, again.received(), "porto"); !reflect.DeepEqual(ns, []int{1, 2}) {
		t.Fatalf("the reopened hub got %v, want [1 2]", ns)
	}
	waitFor(t, "the ledger records both", func() bool {
		l, _ := loadLedger(n.dirs[Hub])
		return l["porto"].Seq == 2
	})
}

// TestReopenGoesOn reopens both ends: the sender goes on with its epoch and sequence, the
// receiver's ledger refuses what it applied before.
func TestReopenGoesOn(t *testing.T) {
	n := newNetwork(t)
	hub, porto := n.open(Hub, "").start(), n.open("porto", "").start()
	sendAll(t, porto, Hub, "progress", 1, 2)
	waitFor(t, "the hub has 2 messages", func() bool { return len(hub.received()) == 2 })
	epoch := porto.link.sent.Epoch
	porto.close()
	hub.close()

	hub, porto = n.open(Hub, "").start(), n.open("porto", "").start()
	sendAll(t, porto, Hub, "progress", 3, 1)
	waitFor(t, "the reopened hub has a message", func() bool { return len(hub.received()) == 1 })
	if m := hub.received()[0]; m.Epoch != epoch || m.Seq != 3 {
		t.Fatalf("after reopening, porto's message has (epoch %d, seq %d), want (%d, 3)", m.Epoch, m.Seq, epoch)
	}

	// The broker may hand the reopened hub message 2 again when its acknowledgement was cut
	// off by the close: that is refused as a replay too, so count from here.
	before := hub.link.Status().Refused[RefusedReplay]
	replay := n.sealed("porto", Hub, epoch, 2)
	raw := rawClient(t, n.mq.URL())
	publishRaw(t, raw, Topic(Hub, "porto"), replay)
	waitFor(t, "the hub refuses the replay", func() bool { return hub.link.Status().Refused[RefusedReplay] > before })
	if len(hub.received()) != 1 {
		t.Fatalf("the replayed message reached the handler: %v", hub.received())
	}
}

// sealed returns a message from one end to another as its link would send it.
func (n *network) sealed(from, to string, epoch int64, seq uint64) []byte {
	n.t.Helper()
	p, err := seal(Envelope{V: Version, From: from, To: to, Epoch: epoch, Seq: seq, Kind: "progress", Body: []byte(`{"n":99}`)}, n.keys[from])
	if err != nil {
		n.t.Fatal(err)
	}
	return p
}

// TestRefusals publishes what a link must refuse, each followed by a good message: the bad ones
// are counted by reason and never handled, and the good ones go on.
func TestRefusals(t *testing.T) {
	n := newNetwork(t)
	hub := n.open(Hub, "").start()
	raw := rawClient(t, n.mq.URL())
	const epoch = 1795334400000000
	forged := n.sealed("porto", Hub, epoch, 3)
	copy(forged[len(forged)-64:], n.sealed("lisbon", Hub, epoch, 3)[len(forged)-64:])
	mallory := n.sealed("porto", Hub, epoch, 3)
	lisbonAsPorto := n.sealed("lisbon", Hub, epoch, 1)
	lisbonAsPorto = mustReseal(t, lisbonAsPorto, n, func(e *Envelope) { e.From = "porto" })
	toPorto := mustReseal(t, n.sealed("lisbon", Hub, epoch, 1), n, func(e *Envelope) { e.To = "porto" })
	bad := []struct {
		topic   string
		payload []byte
	}{
		{Topic(Hub, "mallory"), mallory},
		{Topic(Hub, "porto"), []byte("short")},
		{Topic(Hub, "porto"), append([]byte("{not json"), make([]byte, 64)...)},
		{Topic(Hub, "porto"), forged},
		{Topic(Hub, "lisbon"), lisbonAsPorto},
		{Topic(Hub, "lisbon"), toPorto},
		{Topic(Hub, "porto"), n.sealed("porto", Hub, epoch, 1)},   // replay of the first good one
		{Topic(Hub, "porto"), n.sealed("porto", Hub, epoch-1, 9)}, // an older epoch
	}
	publishRaw(t, raw, Topic(Hub, "porto"), n.sealed("porto", Hub, epoch, 1))
	for i, b := range bad {
		publishRaw(t, raw, b.topic, b.payload)
		publishRaw(t, raw, Topic(Hub, "porto"), n.sealed("porto", Hub, epoch, uint64(2+i)))
	}
	waitFor(t, "the hub has applied 9 messages", func() bool { return hub.link.Status().Applied == 9 })
	want := map[string]uint64{RefusedUnknownSender: 1, RefusedMalformed: 2, RefusedSignature: 1, RefusedTopic: 2, RefusedReplay: 2}
	if got := hub.link.Status().Refused; !reflect.DeepEqual(got, want) {
		t.Errorf("refused %v, want %v", got, want)
	}
	var seqs []uint64
	for _, m := range hub.received() {
		seqs = append(seqs, m.Seq)
	}
	if want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(seqs, want) {
		t.Errorf("handled %v, want %v", seqs, want)
	}
	// A larger epoch starts again from its sequence number.
	publishRaw(t, raw, Topic(Hub, "porto"), n.sealed("porto", Hub, epoch+1, 1))
	waitFor(t, "the hub applies porto's new epoch", func() bool { return hub.link.Status().Applied == 10 })
}

// mustReseal changes a sealed envelope and signs it again with its own sender's key.
func mustReseal(t *testing.T, payload []byte, n *network, change func(*Envelope)) []byte {
	t.Helper()
	env, err := unseal(payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := n.keys[env.From]
	change(&env)
	p, err := seal(env, signer)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCredentials: a link reaches a broker that wants a user and password with them, and
// stays disconnected with a wrong password.
func TestCredentials(t *testing.T) {
	n := newNetwork(t)
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{Username: "porto", Password: "s3cret"})
	cfg := n.config("porto", mq.URL())
	cfg.Username, cfg.Password = "porto", "wrong"
	wrong, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = wrong.Run(ctx, func(context.Context, Message) error { return nil }) }()
	waitFor(t, "the broker refuses porto's wrong password", func() bool { return strings.Contains(mq.Log(), "not authorised") })
	if wrong.Status().Connected {
		t.Error("connected with a wrong password")
	}
	cancel()
	<-done
	wrong.Close()

	cfg.Password = "s3cret"
	right, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &end{t: t, link: right}
	t.Cleanup(e.close)
	e.start()
	if err := right.Send(Hub, "hello", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broker acknowledges porto's message", func() bool { return right.Status().Sent == 1 })
}
