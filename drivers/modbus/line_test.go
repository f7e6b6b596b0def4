package modbus

import (
	"context"
	"errors"
	"testing"
	"time"

	sim "github.com/cellforge/cellforge/firmware-sim/modbus"
)

// A request served on its caller's goroutine, because the line was idle,
// still ends when the line stops, not when its timeout runs out.
func TestLineStopEndsRequestInFlight(t *testing.T) {
	bank := loomBank()
	arrived := make(chan struct{}, 1)
	bank.OnWrite(func(sim.Write) {
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	srv := newServer(t, bank)
	srv.SetFaults(sim.Faults{Drop: true}) // writes are applied, never answered
	addr, _ := serveTCP(t, srv, "127.0.0.1:0")
	l, err := NewTCPLine(TCPConfig{Address: addr, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDevice(t, l, "loom-1", 1, loomProfile(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- l.Run(ctx) }()
	cmd := make(chan error, 1)
	go func() { cmd <- d.Command(t.Context(), "set", map[string]float64{"v": 5}) }()
	select {
	case <-arrived:
	case err := <-cmd:
		t.Fatalf("command ended before its write arrived: %v", err)
	}
	cancel()
	if err := <-cmd; !errors.Is(err, ErrClosed) {
		t.Errorf("command in flight when the line stopped: %v, want ErrClosed", err)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// Requests queued while one is served on its caller's goroutine are served
// by Run after it, writes first.
func TestLineServesQueueAfterDirectRequest(t *testing.T) {
	srv := newServer(t, loomBank())
	srv.SetFaults(sim.Faults{Delay: 50 * time.Millisecond})
	addr, _ := serveTCP(t, srv, "127.0.0.1:0")
	l := tcpLine(t, addr, 5*time.Second)
	d, _ := newDevice(t, l, "loom-1", 1, loomProfile(), nil)

	first := make(chan Reading, 1)
	go func() {
		rd, _ := d.Poll(t.Context(), "speed")
		first <- rd
	}()
	eventually(t, "the first poll to be in flight", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.busy
	})
	polled := make(chan Reading, 1)
	go func() {
		rd, _ := d.Poll(t.Context(), "setpoint")
		polled <- rd
	}()
	eventually(t, "the second poll to be queued", func() bool { _, p := l.Queued(); return p == 1 })
	if err := d.Command(t.Context(), "set", map[string]float64{"v": 9}); err != nil {
		t.Fatal(err)
	}
	if rd := <-first; rd.Err != nil || rd.Values["speed"] != 23.5 {
		t.Errorf("first poll: %v %v", rd.Values, rd.Err)
	}
	rd := <-polled
	if rd.Err != nil || rd.Values["setpoint"] != 9 {
		t.Errorf("queued poll read %v (%v), want setpoint 9: the write queued after it goes first", rd.Values, rd.Err)
	}
}
