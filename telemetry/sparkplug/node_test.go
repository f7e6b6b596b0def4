package sparkplug_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/sparkplug"
	"github.com/cellforge/cellforge/telemetry/sparkplug/sparkplugtest"
)

// testFloor is the machines a test drives: each answers with a new reading of its values at
// every read unless the test has lost it.
type testFloor struct {
	mu    sync.Mutex
	lost  map[string]bool
	order []string
	reads int
}

func newTestFloor(ids ...string) *testFloor {
	return &testFloor{lost: make(map[string]bool), order: ids}
}

func (f *testFloor) Machines() []sparkplug.Machine {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	now := time.Now()
	var out []sparkplug.Machine
	for _, id := range f.order {
		m := sparkplug.Machine{ID: id, Online: !f.lost[id]}
		if m.Online {
			m.Values = []sparkplug.Value{
				{Name: "state", Value: 2, Time: now},
				{Name: "units", Value: float64(f.reads), Time: now},
			}
		}
		out = append(out, m)
	}
	return out
}

func (f *testFloor) setLost(id string, lost bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lost[id] = lost
}

const group, nodeID = "studio", "loft"

// runNode runs a node against brokerAddr until the returned stop is called; stop waits for
// Run and fails the test when it returned an error.
func runNode(t *testing.T, brokerAddr, stateFile string, fl sparkplug.Floor) (*sparkplug.Node, func()) {
	t.Helper()
	n, err := sparkplug.New(sparkplug.Config{
		Broker: "tcp://" + brokerAddr, ClientID: "node-" + t.Name(), Group: group, Node: nodeID,
		StateFile: stateFile, Floor: fl, Interval: 50 * time.Millisecond, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(sparkplugtest.WaitTimeout):
				t.Errorf("Run did not return within %v of its context's end", sparkplugtest.WaitTimeout)
			}
		})
	}
	t.Cleanup(stop)
	return n, stop
}

// waitBirth waits for an NBIRTH and the DBIRTH of each machine after it, and returns the
// NBIRTH's bdSeq.
func waitBirth(t *testing.T, h *sparkplugtest.Host, machines ...string) int {
	t.Helper()
	bd := sparkplugtest.BdSeq(t, h.WaitFor("an NBIRTH", sparkplugtest.Is("NBIRTH", "")))
	for _, m := range machines {
		h.WaitFor("the DBIRTH of "+m, sparkplugtest.Is("DBIRTH", m))
	}
	return bd
}

// TestSessionToCleanStop follows a session from its birth to a clean stop, and the next
// session after a restart of the daemon: births, data by alias, the node's own NDEATH with the
// session's bdSeq, and the bdSeq moved on in the next session.
func TestSessionToCleanStop(t *testing.T) {
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	h := sparkplugtest.StartHost(t, broker.Addr())
	state := filepath.Join(t.TempDir(), "sparkplug", "bdseq")
	fl := newTestFloor("loom-1", "vat-a")

	_, stop := runNode(t, broker.Addr(), state, fl)
	bd := waitBirth(t, h, "loom-1", "vat-a")
	if bd != 0 {
		t.Errorf("the first session's bdSeq is %d, want 0", bd)
	}
	h.WaitFor("DDATA of loom-1", sparkplugtest.Is("DDATA", "loom-1"))
	h.WaitFor("DDATA of vat-a", sparkplugtest.Is("DDATA", "vat-a"))
	stop()
	if got := sparkplugtest.BdSeq(t, h.WaitFor("the NDEATH", sparkplugtest.Is("NDEATH", ""))); got != bd {
		t.Errorf("NDEATH of bdSeq %d after the NBIRTH of bdSeq %d", got, bd)
	}

	// The daemon starts again: a new session, with the next bdSeq read from its file.
	_, stop = runNode(t, broker.Addr(), state, fl)
	if got := waitBirth(t, h, "loom-1", "vat-a"); got != bd+1 {
		t.Errorf("the session after a restart has bdSeq %d, want %d", got, bd+1)
	}
	h.WaitFor("DDATA of loom-1", sparkplugtest.Is("DDATA", "loom-1"))
	stop()
	h.WaitFor("the second NDEATH", sparkplugtest.Is("NDEATH", ""))
	h.CheckRules()
}

// TestConnectionCut cuts the node's connection: the broker publishes its will, an NDEATH with
// the session's bdSeq, and the node comes back with a new birth whose bdSeq has moved on.
func TestConnectionCut(t *testing.T) {
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	proxy := peertest.StartProxy(t, broker.Addr())
	h := sparkplugtest.StartHost(t, broker.Addr())
	fl := newTestFloor("loom-1")
	n, _ := runNode(t, proxy.Addr(), filepath.Join(t.TempDir(), "bdseq"), fl)

	bd := waitBirth(t, h, "loom-1")
	h.WaitFor("DDATA of loom-1", sparkplugtest.Is("DDATA", "loom-1"))
	proxy.Cut()
	if got := sparkplugtest.BdSeq(t, h.WaitFor("the will's NDEATH", sparkplugtest.Is("NDEATH", ""))); got != bd {
		t.Errorf("the will's NDEATH has bdSeq %d, the session's NBIRTH had %d", got, bd)
	}
	// The node tries again while the path is cut: a connection refused takes no bdSeq.
	deadline := time.Now().Add(sparkplugtest.WaitTimeout)
	for proxy.Refused() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the node did not try to connect again while cut (%d refused)", proxy.Refused())
		}
		time.Sleep(20 * time.Millisecond)
	}
	proxy.Restore()
	if got := waitBirth(t, h, "loom-1"); got != (bd+1)%256 {
		t.Errorf("the birth after the cut has bdSeq %d, want %d", got, (bd+1)%256)
	}
	h.WaitFor("DDATA of loom-1 after the cut", sparkplugtest.Is("DDATA", "loom-1"))
	if st := n.Stats(); st.Sessions < 2 || !st.Connected {
		t.Errorf("after the cut the node's stats are %+v, want a second session, connected", st)
	}
	h.CheckRules()
}

// TestBrokerRestart restarts the broker under the node and the host: the host hears the node's
// NDEATH, then a new birth whose bdSeq has moved on.
func TestBrokerRestart(t *testing.T) {
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	h := sparkplugtest.StartHost(t, broker.Addr())
	fl := newTestFloor("loom-1")
	runNode(t, broker.Addr(), filepath.Join(t.TempDir(), "bdseq"), fl)

	bd := waitBirth(t, h, "loom-1")
	broker.Stop()
	broker.Start()
	// Mosquitto publishes the wills of its clients as it shuts down, and keeps the NDEATH
	// (QoS 1) for the host's persistent session.
	if got := sparkplugtest.BdSeq(t, h.WaitFor("the will's NDEATH", sparkplugtest.Is("NDEATH", ""))); got != bd {
		t.Errorf("the will's NDEATH has bdSeq %d, the session's NBIRTH had %d", got, bd)
	}
	// The node may be back before the host: the host then asks it for a birth, which carries
	// the new session's bdSeq all the same.
	if got := waitBirth(t, h, "loom-1"); got != (bd+1)%256 {
		t.Errorf("the birth after the broker's restart has bdSeq %d, want %d", got, (bd+1)%256)
	}
	h.WaitFor("DDATA of loom-1 after the restart", sparkplugtest.Is("DDATA", "loom-1"))
	h.CheckRules()
}

// TestRebirthCommand asks the node for a rebirth from the host, after a command that is not a
// Sparkplug payload at all: the bad one is ignored, the rebirth answered with a new NBIRTH (seq
// 0, the same session's bdSeq) and the machines' DBIRTHs.
func TestRebirthCommand(t *testing.T) {
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	h := sparkplugtest.StartHost(t, broker.Addr())
	fl := newTestFloor("loom-1", "vat-a")
	n, _ := runNode(t, broker.Addr(), filepath.Join(t.TempDir(), "bdseq"), fl)

	bd := waitBirth(t, h, "loom-1", "vat-a")
	h.Send("garbage " + group + " " + nodeID)
	h.WaitFor("the bad command sent", func(e sparkplugtest.Event) bool { return e.Kind == "sent" && e.What == "garbage" })
	h.Send("rebirth " + group + " " + nodeID)
	h.WaitFor("the rebirth sent", func(e sparkplugtest.Event) bool { return e.Kind == "sent" && e.What == "rebirth" })
	if got := waitBirth(t, h, "loom-1", "vat-a"); got != bd {
		t.Errorf("the rebirth has bdSeq %d, want the session's %d", got, bd)
	}
	h.WaitFor("DDATA after the rebirth", sparkplugtest.Is("DDATA", "vat-a"))
	st := n.Stats()
	if st.BadCommands != 1 || st.Births != 2 || st.Sessions != 1 {
		t.Errorf("stats %+v: want 1 bad command ignored, 2 births in 1 session", st)
	}
	h.CheckRules()
}

// TestDeviceLost loses a machine: its DDEATH, no data of it while it is lost, and a DBIRTH
// when it answers again; the session goes on past seq 255.
func TestDeviceLost(t *testing.T) {
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	h := sparkplugtest.StartHost(t, broker.Addr())
	fl := newTestFloor("loom-1", "vat-a")
	runNode(t, broker.Addr(), filepath.Join(t.TempDir(), "bdseq"), fl)

	waitBirth(t, h, "loom-1", "vat-a")
	fl.setLost("vat-a", true)
	h.WaitFor("the DDEATH of vat-a", sparkplugtest.Is("DDEATH", "vat-a"))
	h.WaitFor("DDATA of loom-1 while vat-a is lost", sparkplugtest.Is("DDATA", "loom-1"))
	fl.setLost("vat-a", false)
	h.WaitFor("the DBIRTH of vat-a back", sparkplugtest.Is("DBIRTH", "vat-a"))
	h.WaitFor("DDATA of vat-a back", sparkplugtest.Is("DDATA", "vat-a"))

	// seq goes on past 255 to 0 in the same session (the host checks each step).
	seq := func(n int) func(sparkplugtest.Event) bool {
		return func(e sparkplugtest.Event) bool {
			return e.Kind == "message" && e.Type != "NBIRTH" && e.Seq != nil && *e.Seq == n
		}
	}
	h.WaitFor("a message of seq 255", seq(255))
	h.WaitFor("the message of seq 0 after it", seq(0))
	h.CheckRules()
}
