package modbus

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
	sim "github.com/cellforge/cellforge/firmware-sim/modbus"
	"github.com/cellforge/cellforge/firmware-sim/pty"
)

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// loomProfile is the profile of the integration tests. Its bank layout:
// holding 0 speed (uint16, 0.1 m/min), 1-2 count (uint32), 3-4 temp
// (float32), 10 setpoint, 11-12 target (float32 low first); input 0
// tension (int16); coil 0 run; discrete 0 door.
func loomProfile() *Profile {
	return &Profile{
		Name: "loom",
		Registers: []Register{
			{Name: "speed", Table: Holding, Address: 0, Type: Uint16, Scale: 0.1, Unit: "m/min"},
			{Name: "count", Table: Holding, Address: 1, Type: Uint32},
			{Name: "temp", Table: Holding, Address: 3, Type: Float32},
			{Name: "tension", Table: Input, Address: 0, Type: Int16},
			{Name: "run", Table: Coil, Address: 0, Type: Bool},
			{Name: "door", Table: Discrete, Address: 0, Type: Bool},
			{Name: "setpoint", Table: Holding, Address: 10, Type: Uint16},
			{Name: "target", Table: Holding, Address: 11, Type: Float32, WordOrder: LowFirst},
		},
		Groups: []Group{
			{Name: "fast", Interval: 50 * time.Millisecond, Registers: []string{"speed", "count", "temp", "tension", "run", "door"}},
			{Name: "setpoint", Interval: time.Hour, Registers: []string{"setpoint"}},
			{Name: "speed", Interval: time.Hour, Registers: []string{"speed"}},
		},
		Commands: []Command{
			{Name: "start", Writes: []Write{
				{Register: "setpoint", Param: "rpm"},
				{Register: "target", Param: "temp"},
				{Register: "run", Value: 1},
			}},
			{Name: "set", Writes: []Write{{Register: "setpoint", Param: "v"}}},
		},
	}
}

// loomBank returns a bank with the loom's layout and known values:
// speed 23.5, count 70000, temp 21.5, tension -12, run off, door closed (1).
func loomBank() *sim.Bank {
	b := sim.NewBank(sim.Sizes{Coils: 8, DiscreteInputs: 8, HoldingRegisters: 20, InputRegisters: 8})
	b.SetHolding(0, 235)
	b.SetHolding(1, 0x0001) // 70000 = 0x0001_1170
	b.SetHolding(2, 0x1170)
	b.SetHolding(3, 0x41AC) // 21.5 = 0x41AC_0000
	b.SetHolding(4, 0x0000)
	b.SetInput(0, 0xFFF4) // -12
	b.SetDiscrete(0, true)
	return b
}

// loomValues are the values of loomBank as group "fast" reads them.
var loomValues = map[string]float64{"speed": 23.5, "count": 70000, "temp": 21.5, "tension": -12, "run": 0, "door": 1}

// newServer returns a simulator serving banks under unit ids 1, 2, ...
func newServer(t testing.TB, banks ...*sim.Bank) *sim.Server {
	t.Helper()
	srv := sim.New(sim.Config{})
	for i, b := range banks {
		if err := srv.AddUnit(byte(i+1), b); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// serveTCP serves srv on addr ("127.0.0.1:0" for any port) until stop is
// called or the test ends, and returns the address it listens on.
func serveTCP(t testing.TB, srv *sim.Server, addr string) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, l) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("simulator Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// serveRTU serves srv on a fresh pseudo-terminal at baud until the test
// ends and returns the path a driver opens.
func serveRTU(t testing.TB, srv *sim.Server, baud int) string {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeRTU(ctx, p.Master, sim.RTUConfig{Baud: baud}) }()
	t.Cleanup(func() {
		cancel()
		// ServeRTU closes a port that cannot time out its reads when ctx is
		// cancelled, but may return before doing so and then wait for its
		// reader for ever; closing the pair here unblocks the reader.
		p.Close()
		if err := <-errc; err != nil {
			t.Errorf("simulator ServeRTU: %v", err)
		}
	})
	return p.Path
}

// runLine runs l until the test ends.
func runLine(t testing.TB, l *Line) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("line Run: %v", err)
		}
	})
}

// runDevice runs d until the test ends.
func runDevice(t testing.TB, d *Device) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("device Run: %v", err)
		}
	})
}

// tcpLine returns a running TCP line to addr with a short timeout.
func tcpLine(t testing.TB, addr string, timeout time.Duration) *Line {
	t.Helper()
	l, err := NewTCPLine(TCPConfig{Address: addr, Timeout: timeout, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runLine(t, l)
	return l
}

// rtuLine returns a running RTU line on path.
func rtuLine(t testing.TB, path string, baud int, timeout time.Duration) *Line {
	t.Helper()
	l, err := NewRTULine(RTUConfig{Port: path, Baud: baud, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	runLine(t, l)
	return l
}

// readings collects a device's readings.
type readings struct {
	mu   sync.Mutex
	list []Reading
}

func (r *readings) add(rd Reading) {
	r.mu.Lock()
	r.list = append(r.list, rd)
	r.mu.Unlock()
}

// snapshot returns the readings so far.
func (r *readings) snapshot() []Reading {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Reading(nil), r.list...)
}

// ok counts the readings without error.
func (r *readings) ok() int {
	n := 0
	for _, rd := range r.snapshot() {
		if rd.Err == nil {
			n++
		}
	}
	return n
}

// newDevice returns a device with its own health record.
func newDevice(t testing.TB, l *Line, name string, unit byte, p *Profile, on func(Reading)) (*Device, *health.Device) {
	t.Helper()
	h := (*health.Metrics)(nil).Device(name, "modbus")
	d, err := NewDevice(l, DeviceConfig{Name: name, UnitID: unit, Profile: p, Health: h, OnReading: on})
	if err != nil {
		t.Fatal(err)
	}
	return d, h
}

// checkValues fails unless got has exactly the want values.
func checkValues(t testing.TB, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("read %v, want %v", got, want)
		return
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("read %s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
