package modbus

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
	sim "github.com/cellforge/cellforge/firmware-sim/modbus"
)

func TestRTUPollingAndCommands(t *testing.T) {
	for _, baud := range []int{115200, 19200} {
		t.Run(fmt.Sprint(baud), func(t *testing.T) {
			b1, b2 := loomBank(), loomBank()
			b2.SetHolding(0, 500)
			var writes []sim.Write
			done := make(chan struct{}, 3)
			b2.OnWrite(func(w sim.Write) { writes = append(writes, w); done <- struct{}{} })
			path := serveRTU(t, newServer(t, b1, b2), baud)
			l := rtuLine(t, path, baud, 500*time.Millisecond)
			d1, h1 := newDevice(t, l, "loom-1", 1, loomProfile(), nil)
			d2, _ := newDevice(t, l, "loom-2", 2, loomProfile(), nil)

			rd, err := d1.Poll(t.Context(), "fast")
			if err != nil || rd.Err != nil {
				t.Fatalf("poll: %v, %v", err, rd.Err)
			}
			checkValues(t, rd.Values, loomValues)
			rd, _ = d2.Poll(t.Context(), "speed")
			if rd.Err != nil || rd.Values["speed"] != 50 {
				t.Fatalf("unit 2 read speed %v, %v; want 50", rd.Values["speed"], rd.Err)
			}
			if s := h1.Snapshot(); s.Requests != 4 || len(s.Errors) != 0 || !s.Connected {
				t.Errorf("health of unit 1: %+v, want 4 answered requests", s)
			}

			if err := d2.Command(t.Context(), "start", map[string]float64{"rpm": 80, "temp": -1.5}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				<-done
			}
			want := []sim.Write{{Table: sim.HoldingRegisters, Addr: 10, Quantity: 1}, {Table: sim.HoldingRegisters, Addr: 11, Quantity: 2}, {Table: sim.Coils, Addr: 0, Quantity: 1}}
			if !slices.Equal(writes, want) {
				t.Errorf("writes %v, want %v", writes, want)
			}
			// -1.5 = 0xBFC0_0000, low word first.
			if b2.Holding(10) != 80 || b2.Holding(11) != 0 || b2.Holding(12) != 0xBFC0 || !b2.Coil(0) || b1.Coil(0) {
				t.Errorf("after start: unit 2 setpoint %d target %04x %04x run %v; unit 1 run %v",
					b2.Holding(10), b2.Holding(11), b2.Holding(12), b2.Coil(0), b1.Coil(0))
			}
		})
	}
}

func TestRTUExceptionAndPolling(t *testing.T) {
	srv := newServer(t, loomBank())
	path := serveRTU(t, srv, 115200)
	var got readings
	d, h := newDevice(t, rtuLine(t, path, 115200, 500*time.Millisecond), "loom-1", 1, loomProfile(), got.add)
	runDevice(t, d)
	eventually(t, "readings", func() bool { return got.ok() >= 3 })

	srv.SetFaults(sim.Faults{Exception: sim.ServerDeviceFailure})
	eventually(t, "an exception reading", func() bool {
		rs := got.snapshot()
		var ex *ExceptionError
		return errors.As(rs[len(rs)-1].Err, &ex) && ex.Code == ServerDeviceFailure
	})
	if h.Snapshot().Errors[health.KindException] == 0 {
		t.Error("health counted no exception")
	}
	srv.SetFaults(sim.Faults{})
	n := got.ok()
	eventually(t, "polling again", func() bool { return got.ok() > n })
}

// Answers with a bad CRC are frame errors, each retried once; once the
// line is clean again, polls succeed.
func TestRTUCorruptCRC(t *testing.T) {
	bank := loomBank()
	srv := newServer(t, bank)
	path := serveRTU(t, srv, 115200)
	d, h := newDevice(t, rtuLine(t, path, 115200, 500*time.Millisecond), "loom-1", 1, loomProfile(), nil)

	srv.SetFaults(sim.Faults{CorruptCRC: true})
	rd, err := d.Poll(t.Context(), "speed")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rd.Err, ErrFrame) || errors.Is(rd.Err, ErrTimeout) {
		t.Fatalf("poll with corrupt CRCs: %v, want a frame error", rd.Err)
	}
	if s := h.Snapshot(); s.Errors[health.KindFrame] != 2 || s.Requests != 2 {
		t.Errorf("health %+v, want two frame errors: the request and its retry", s)
	}

	srv.SetFaults(sim.Faults{})
	bank.SetHolding(0, 42)
	rd, err = d.Poll(t.Context(), "speed")
	if err != nil {
		t.Fatal(err)
	}
	if rd.Err != nil || rd.Values["speed"] != 4.2 {
		t.Fatalf("poll after the fault cleared: %v, %v", rd.Values, rd.Err)
	}
	if !h.Snapshot().Connected {
		t.Error("health not connected after recovery")
	}
}

// Two live slaves and a dead one share a line: the live ones keep their
// rate, the dead one costs one timeout per poll until it is backed off, then
// one per probe. When it comes to life it polls at its rate again.
func TestRTUDeadSlave(t *testing.T) {
	const (
		interval = 100 * time.Millisecond
		timeout  = 100 * time.Millisecond
		window   = 2500 * time.Millisecond
	)
	srv := newServer(t, loomBank(), loomBank())
	path := serveRTU(t, srv, 115200)
	l := rtuLine(t, path, 115200, timeout)
	p := loomProfile()
	p.Groups = []Group{{Name: "fast", Interval: interval, Registers: []string{"speed", "tension"}}}

	var live [2]readings
	for i := range live {
		d, _ := newDevice(t, l, fmt.Sprintf("loom-%d", i+1), byte(i+1), p, live[i].add)
		runDevice(t, d)
	}
	var dead readings
	dh := (*health.Metrics)(nil).Device("loom-3", "modbus")
	d3, err := NewDevice(l, DeviceConfig{Name: "loom-3", UnitID: 3, Profile: p, Health: dh, OnReading: dead.add,
		BackoffMin: 200 * time.Millisecond, BackoffMax: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runDevice(t, d3)
	<-time.After(window) // a measurement window, not a wait for a condition

	// 25 ticks in the window; the dead one's few timeouts cost a few.
	for i := range live {
		if n := live[i].ok(); n < 15 {
			t.Errorf("live device %d: %d good readings in %v at a %v interval, want about 25", i+1, n, window, interval)
		}
	}
	// Three timeouts in the first three polls, then probes after 200, 400,
	// 800 ms...: about 6 in the window. Without backoff there would be 25,
	// without skipping 50.
	timeouts := dh.Snapshot().Errors[health.KindTimeout]
	if timeouts < 3 || timeouts > 8 {
		t.Errorf("dead device charged %d timeouts in %v, want 3..8", timeouts, window)
	}
	var skipped, backedOff int
	for _, rd := range dead.snapshot() {
		if errors.Is(rd.Err, ErrTimeout) && !errors.Is(rd.Err, ErrSkipped) {
			t.Errorf("a timed out poll did not skip its second request: %v", rd.Err)
		}
		if errors.Is(rd.Err, ErrSkipped) {
			skipped++
		}
		if errors.Is(rd.Err, ErrBackoff) {
			backedOff++
		}
	}
	if skipped != int(timeouts) || backedOff < 10 {
		t.Errorf("dead device: %d polls skipped a request, %d backed off; want %d and most of the rest", skipped, backedOff, timeouts)
	}

	// It comes to life: the next probe finds it and the backoff ends.
	if err := srv.AddUnit(3, loomBank()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revived device answering", func() bool { return dead.ok() > 0 })
	n := dead.ok()
	revived := time.Now()
	eventually(t, "the revived device polling at its rate", func() bool { return dead.ok() >= n+5 })
	if el := time.Since(revived); el > 1500*time.Millisecond {
		t.Errorf("5 polls took %v after revival at a %v interval: still backed off", el, interval)
	}
}
