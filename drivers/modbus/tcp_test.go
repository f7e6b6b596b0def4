package modbus

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
	sim "github.com/cellforge/cellforge/firmware-sim/modbus"
)

func TestTCPPollingReadsBank(t *testing.T) {
	bank := loomBank()
	addr, _ := serveTCP(t, newServer(t, bank), "127.0.0.1:0")
	var got readings
	d, h := newDevice(t, tcpLine(t, addr, time.Second), "loom-1", 1, loomProfile(), got.add)
	runDevice(t, d)

	// The groups read once an hour answer at start too: wait for one of group fast.
	fast := func() []Reading {
		var out []Reading
		for _, r := range got.snapshot() {
			if r.Group == "fast" && r.Err == nil {
				out = append(out, r)
			}
		}
		return out
	}
	eventually(t, "a reading of group fast", func() bool { return len(fast()) > 0 })
	rd := fast()[0]
	checkValues(t, rd.Values, loomValues)
	if rd.Device != "loom-1" || rd.Time.Before(rd.Scheduled) {
		t.Errorf("reading of %q answered at %v for tick %v", rd.Device, rd.Time, rd.Scheduled)
	}

	// A change in the bank shows in a later poll and in Latest.
	bank.SetHolding(0, 300)
	eventually(t, "speed 30 in Latest", func() bool { return d.Latest()["speed"].Value == 30 })
	if s := h.Snapshot(); !s.Connected || s.Requests == 0 || len(s.Errors) != 0 {
		t.Errorf("health after polling: %+v", s)
	}
	// Group fast keeps its 50 ms rate: its polls belong to ticks 50 ms apart, a poll that came
	// late dropping the ticks it overran rather than shifting the schedule. (The ticks, not a
	// count over a wall-clock second, which a loaded machine would make fail.)
	eventually(t, "ten readings of group fast", func() bool { return len(fast()) >= 10 })
	rs := fast()
	for i := 1; i < len(rs); i++ {
		gap := rs[i].Scheduled.Sub(rs[i-1].Scheduled)
		if gap <= 0 || gap%(50*time.Millisecond) != 0 {
			t.Fatalf("polls of group fast for ticks %v then %v: %v apart, want a multiple of 50ms",
				rs[i-1].Scheduled, rs[i].Scheduled, gap)
		}
	}
	st := d.Stats()[0]
	if st.Group != "fast" || st.Polls == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTCPCommandWritesInOrder(t *testing.T) {
	bank := loomBank()
	type write struct {
		table sim.Table
		addr  uint16
		qty   uint16
	}
	writes := make(chan write, 10)
	bank.OnWrite(func(w sim.Write) { writes <- write{w.Table, w.Addr, w.Quantity} })
	addr, _ := serveTCP(t, newServer(t, bank), "127.0.0.1:0")
	d, h := newDevice(t, tcpLine(t, addr, time.Second), "loom-1", 1, loomProfile(), nil)

	if err := d.Command(t.Context(), "start", map[string]float64{"rpm": 1200, "temp": 60.5}); err != nil {
		t.Fatal(err)
	}
	want := []write{{sim.HoldingRegisters, 10, 1}, {sim.HoldingRegisters, 11, 2}, {sim.Coils, 0, 1}}
	var got []write
	for range want {
		got = append(got, <-writes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("writes %v, want %v", got, want)
	}
	// target is float32 low word first: 60.5 = 0x4272_0000.
	if bank.Holding(10) != 1200 || bank.Holding(11) != 0x0000 || bank.Holding(12) != 0x4272 || !bank.Coil(0) {
		t.Errorf("bank after start: setpoint %d, target %04x %04x, run %v", bank.Holding(10), bank.Holding(11), bank.Holding(12), bank.Coil(0))
	}
	if s := h.Snapshot(); s.Requests != 3 {
		t.Errorf("health counted %d requests, want 3", s.Requests)
	}

	tests := []struct {
		name    string
		command string
		params  map[string]float64
		want    error
	}{
		{name: "unknown command", command: "stop", want: ErrUnknownCommand},
		{name: "missing parameter", command: "start", params: map[string]float64{"rpm": 5}, want: ErrMissingParam},
		{name: "value out of range", command: "start", params: map[string]float64{"rpm": 70000, "temp": 1}, want: ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Command(t.Context(), tt.command, tt.params)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Command = %v, want %v", err, tt.want)
			}
			select {
			case w := <-writes:
				t.Errorf("a refused command wrote %v", w)
			default:
			}
		})
	}
}

func TestTCPExceptions(t *testing.T) {
	tests := []struct {
		name   string
		faults sim.Faults
		// reg is polled; address 100 is past the bank's 20 holding registers.
		reg      Register
		wantCode byte
	}{
		{name: "forced exception", faults: sim.Faults{Exception: sim.ServerDeviceBusy},
			reg: Register{Name: "speed", Table: Holding, Address: 0, Type: Uint16}, wantCode: ServerDeviceBusy},
		{name: "unmapped address", reg: Register{Name: "far", Table: Holding, Address: 100, Type: Uint16}, wantCode: IllegalDataAddress},
		{name: "unmapped coil", reg: Register{Name: "far", Table: Coil, Address: 9, Type: Bool}, wantCode: IllegalDataAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, loomBank())
			srv.SetFaults(tt.faults)
			addr, _ := serveTCP(t, srv, "127.0.0.1:0")
			p := &Profile{Name: "p", Registers: []Register{tt.reg}, Groups: []Group{{Name: "g", Interval: time.Hour, Registers: []string{tt.reg.Name}}}}
			d, h := newDevice(t, tcpLine(t, addr, time.Second), "loom-1", 1, p, nil)
			rd, err := d.Poll(t.Context(), "g")
			if err != nil {
				t.Fatal(err)
			}
			var ex *ExceptionError
			if !errors.As(rd.Err, &ex) {
				t.Fatalf("poll error %v is not an *ExceptionError", rd.Err)
			}
			if ex.Code != tt.wantCode || (ex.Function != 3 && ex.Function != 1) {
				t.Errorf("exception %02x to function %d, want %02x", ex.Code, ex.Function, tt.wantCode)
			}
			if s := h.Snapshot(); s.Errors[health.KindException] != 1 || s.Errors[health.KindFrame] != 0 {
				t.Errorf("health errors %v, want one exception", s.Errors)
			}
			// An exception is an answer: it does not drop the connection, and
			// the next request goes through on it.
			srv.SetFaults(sim.Faults{})
			if tt.wantCode == IllegalDataAddress {
				return
			}
			if rd, _ := d.Poll(t.Context(), "g"); rd.Err != nil {
				t.Errorf("poll after the fault cleared: %v", rd.Err)
			}
		})
	}
}

func TestTCPTimeouts(t *testing.T) {
	tests := []struct {
		name   string
		faults sim.Faults
	}{
		{name: "answer later than the timeout", faults: sim.Faults{Delay: 300 * time.Millisecond}},
		{name: "no answer", faults: sim.Faults{Drop: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, loomBank())
			addr, _ := serveTCP(t, srv, "127.0.0.1:0")
			d, h := newDevice(t, tcpLine(t, addr, 100*time.Millisecond), "loom-1", 1, loomProfile(), nil)
			srv.SetFaults(tt.faults)
			start := time.Now()
			rd, err := d.Poll(t.Context(), "fast")
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(rd.Err, ErrTimeout) {
				t.Fatalf("poll error %v, want ErrTimeout", rd.Err)
			}
			// Group fast has four requests: the first times out, the rest
			// are skipped rather than each costing a timeout.
			if !errors.Is(rd.Err, ErrSkipped) || len(rd.Values) != 0 {
				t.Errorf("poll after a timeout: values %v, error %v; want the rest skipped", rd.Values, rd.Err)
			}
			if el := time.Since(start); el > 250*time.Millisecond {
				t.Errorf("poll with a dead device took %v, want about one 100 ms timeout", el)
			}
			s := h.Snapshot()
			if s.Errors[health.KindTimeout] != 1 || s.Connected {
				t.Errorf("health %+v, want one timeout and disconnected", s)
			}
			srv.SetFaults(sim.Faults{})
			eventually(t, "a poll after the fault cleared", func() bool {
				rd, _ := d.Poll(t.Context(), "fast")
				return rd.Err == nil
			})
			if !h.Snapshot().Connected {
				t.Error("health not connected after recovery")
			}
		})
	}
}

// A late answer must never be taken for a later request: the first poll's
// answer (speed 1.0) arrives after its timeout, while later polls ask again
// with the bank changed; each must read what the bank held when it asked.
func TestTCPLateAnswerNeverTaken(t *testing.T) {
	bank := loomBank()
	srv := newServer(t, bank)
	addr, _ := serveTCP(t, srv, "127.0.0.1:0")
	d, _ := newDevice(t, tcpLine(t, addr, 100*time.Millisecond), "loom-1", 1, loomProfile(), nil)

	bank.SetHolding(0, 10)
	srv.SetFaults(sim.Faults{Delay: 150 * time.Millisecond})
	rd, err := d.Poll(t.Context(), "speed")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rd.Err, ErrTimeout) {
		t.Fatalf("first poll: %v, want a timeout", rd.Err)
	}
	srv.SetFaults(sim.Faults{})
	// Keep asking while the late answer is due and a while after.
	end := time.Now().Add(300 * time.Millisecond)
	for i := 2; time.Now().Before(end); i++ {
		raw := uint16(i % 60000)
		bank.SetHolding(0, raw)
		rd, err := d.Poll(t.Context(), "speed")
		if err != nil {
			t.Fatal(err)
		}
		if rd.Err != nil {
			t.Fatalf("poll %d: %v", i, rd.Err)
		}
		if got, want := rd.Values["speed"], float64(raw)*0.1; math.Abs(got-want) > 1e-6 {
			t.Fatalf("poll %d read speed %v, want %v: an earlier answer was taken", i, got, want)
		}
	}
}

// The simulator goes away and a new one starts on the same port: the device
// shows disconnected, then connected again with the new simulator's values.
func TestTCPReconnect(t *testing.T) {
	addr, stop := serveTCP(t, newServer(t, loomBank()), "127.0.0.1:0")
	var got readings
	d, h := newDevice(t, tcpLine(t, addr, 200*time.Millisecond), "loom-1", 1, loomProfile(), got.add)
	runDevice(t, d)
	eventually(t, "connected", func() bool { return h.Snapshot().Connected })

	stop()
	eventually(t, "disconnected", func() bool { return !h.Snapshot().Connected })
	failed := len(got.snapshot())
	eventually(t, "polls failing while the simulator is away", func() bool {
		rs := got.snapshot()
		return len(rs) > failed+3 && rs[len(rs)-1].Err != nil
	})

	bank := loomBank()
	bank.SetHolding(0, 999)
	serveTCP(t, newServer(t, bank), addr)
	eventually(t, "connected again", func() bool { return h.Snapshot().Connected })
	eventually(t, "the new simulator's speed", func() bool { return d.Latest()["speed"].Value == 99.9 })
	if s := h.Snapshot(); s.Errors[health.KindIO] == 0 {
		t.Errorf("health errors %v, want I/O failures while away", s.Errors)
	}
}

// A write queued behind many polls is served before them: while the line is
// not yet running, 20 polls of the setpoint queue up, then a command sets
// it; once the line runs, every poll reads the new setpoint.
func TestWriteJumpsAheadOfPolls(t *testing.T) {
	bank := loomBank()
	addr, _ := serveTCP(t, newServer(t, bank), "127.0.0.1:0")
	l, err := NewTCPLine(TCPConfig{Address: addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDevice(t, l, "loom-1", 1, loomProfile(), nil)

	const polls = 20
	results := make(chan Reading, polls)
	for range polls {
		go func() {
			rd, _ := d.Poll(t.Context(), "setpoint")
			results <- rd
		}()
	}
	eventually(t, "polls queued", func() bool { _, p := l.Queued(); return p == polls })
	cmd := make(chan error, 1)
	go func() { cmd <- d.Command(t.Context(), "set", map[string]float64{"v": 7}) }()
	eventually(t, "the write queued", func() bool { w, _ := l.Queued(); return w == 1 })

	runLine(t, l)
	if err := <-cmd; err != nil {
		t.Fatal(err)
	}
	for range polls {
		rd := <-results
		if rd.Err != nil {
			t.Fatal(rd.Err)
		}
		if rd.Values["setpoint"] != 7 {
			t.Fatalf("a poll queued before the write read setpoint %v: it was served first", rd.Values["setpoint"])
		}
	}
}

func TestLineStopsCleanly(t *testing.T) {
	addr, _ := serveTCP(t, newServer(t, loomBank()), "127.0.0.1:0")
	l, err := NewTCPLine(TCPConfig{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newDevice(t, l, "loom-1", 1, loomProfile(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	if rd, _ := d.Poll(t.Context(), "speed"); rd.Err != nil {
		t.Fatal(rd.Err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if rd, _ := d.Poll(t.Context(), "speed"); !errors.Is(rd.Err, ErrClosed) {
		t.Errorf("poll on a stopped line: %v, want ErrClosed", rd.Err)
	}
	if err := l.Run(t.Context()); err == nil {
		t.Error("a second Run succeeded")
	}
}

func TestNewDeviceRejects(t *testing.T) {
	tcp, err := NewTCPLine(TCPConfig{Address: "127.0.0.1:502"})
	if err != nil {
		t.Fatal(err)
	}
	rtu, err := NewRTULine(RTUConfig{Port: "/dev/null"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDevice(tcp, DeviceConfig{Name: "a", UnitID: 1, Profile: loomProfile()}); err != nil {
		t.Fatal(err)
	}
	broken := loomProfile()
	broken.Groups[0].Interval = 0
	tests := []struct {
		name string
		line *Line
		cfg  DeviceConfig
	}{
		{name: "no name", line: tcp, cfg: DeviceConfig{UnitID: 2, Profile: loomProfile()}},
		{name: "no profile", line: tcp, cfg: DeviceConfig{Name: "b", UnitID: 2}},
		{name: "invalid profile", line: tcp, cfg: DeviceConfig{Name: "b", UnitID: 2, Profile: broken}},
		{name: "unit id taken", line: tcp, cfg: DeviceConfig{Name: "b", UnitID: 1, Profile: loomProfile()}},
		{name: "rtu broadcast address", line: rtu, cfg: DeviceConfig{Name: "b", UnitID: 0, Profile: loomProfile()}},
		{name: "rtu address above 247", line: rtu, cfg: DeviceConfig{Name: "b", UnitID: 248, Profile: loomProfile()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewDevice(tt.line, tt.cfg); err == nil {
				t.Fatal("NewDevice accepted it")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name string
		n    int
		r    float64
		want time.Duration
	}{
		{name: "first failure, no jitter", n: 1, r: 0.999999, want: 100 * time.Millisecond},
		{name: "first failure, most jitter stays at the minimum", n: 1, r: 0, want: 100 * time.Millisecond},
		{name: "third failure", n: 3, r: 0.999999, want: 400 * time.Millisecond},
		{name: "third failure, most jitter", n: 3, r: 0, want: 200 * time.Millisecond},
		{name: "capped", n: 30, r: 0.999999, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := backoff(100*time.Millisecond, time.Second, tt.n, tt.r)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("backoff = %v, want %v", got, tt.want)
			}
		})
	}
}
