package link

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// TestKilledSenderKeepsWhatSendReturned kills a process (kill -9) right after its Sends
// returned, without Close: the messages go out when the link is opened again, and the numbering
// goes on after them.
func TestKilledSenderKeepsWhatSendReturned(t *testing.T) {
	if os.Getenv("LINK_CRASH_DIR") != "" {
		crashingSender(t)
		return
	}
	n := newNetwork(t)
	hub := n.open(Hub, "").start()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledSenderKeepsWhatSendReturned$")
	cmd.Env = append(os.Environ(), "LINK_CRASH_DIR="+n.dirs["porto"], "LINK_CRASH_BROKER="+n.mq.URL(),
		"LINK_CRASH_KEY="+hex.EncodeToString(n.keys["porto"].Seed()), "LINK_CRASH_HUB="+hex.EncodeToString(n.pub(Hub)))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "sent") {
	}
	cmd.Process.Kill()
	cmd.Wait()

	porto := n.open("porto", "").start()
	sendAll(t, porto, Hub, "progress", 6, 1)
	waitFor(t, "the hub has applied 6 messages", func() bool { return hub.link.Status().Applied == 6 })
	if ns := bodies(t, hub.received(), "porto"); !reflect.DeepEqual(ns, seq(1, 6)) {
		t.Fatalf("the hub got %v, want 1..6", ns)
	}
	if last := hub.received()[5]; last.Seq != 6 {
		t.Fatalf("the message sent after the restart has seq %d, want 6", last.Seq)
	}
}

// crashingSender is the process TestKilledSenderKeepsWhatSendReturned kills: it sends five
// messages with no broker reachable, says so and waits.
func crashingSender(t *testing.T) {
	seed, _ := hex.DecodeString(os.Getenv("LINK_CRASH_KEY"))
	hub, _ := hex.DecodeString(os.Getenv("LINK_CRASH_HUB"))
	l, err := Open(Config{Self: "porto", Key: ed25519.NewKeyFromSeed(seed), Peers: map[string]ed25519.PublicKey{Hub: hub},
		Broker: os.Getenv("LINK_CRASH_BROKER"), Dir: os.Getenv("LINK_CRASH_DIR")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := l.Send(Hub, "progress", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	os.Stdout.WriteString("sent\n")
	select {} // killed here
}
