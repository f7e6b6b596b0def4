package loom_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/modbus"
)

// TestMain installs mbpoll, the master the tests drive the loom with, when
// it is missing. Failing to install it fails the run.
func TestMain(m *testing.M) {
	if _, err := exec.LookPath("mbpoll"); err != nil {
		cmd := exec.Command("../../scripts/deps.sh", "mbpoll")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "installing mbpoll: %v\n", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

const (
	picksPerUnit = 40
	mmPerPick    = 0.5
)

// fastConfig weaves a unit in 30ms of wall time.
func fastConfig() loom.Config {
	return loom.Config{
		UnitTime:           30 * time.Millisecond,
		PicksPerUnit:       picksPerUnit,
		MillimetresPerPick: mmPerPick,
		Tick:               5 * time.Millisecond,
	}
}

// master drives a loom served over Modbus TCP with mbpoll.
type master struct {
	t    *testing.T
	port string
}

// start runs a loom with cfg and a Modbus TCP server for it on
// 127.0.0.1:0, stopped and waited for when the test ends.
func start(t *testing.T, cfg loom.Config) (*loom.Loom, *master) {
	t.Helper()
	l := loom.New(cfg)
	srv := modbus.New(modbus.Config{})
	if err := srv.AddUnit(1, l.Bank()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- l.Run(ctx) }()
	go func() { defer wg.Done(); errs <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run or Serve did not return after the context was cancelled")
		}
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("after cancel: %v", err)
			}
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return l, &master{t: t, port: port}
}

var mbpollValue = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(-?\d+)`)

// run runs mbpoll once against unit 1 with 0-based references.
func (m *master) run(args ...string) string {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args = append([]string{"-m", "tcp", "-a", "1", "-1", "-0", "-p", m.port}, args...)
	out, err := exec.CommandContext(ctx, "mbpoll", args...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// read reads n entries of table type typ ("0" coils, "1" discrete inputs,
// "3" input registers, "4" holding registers) from address 0.
func (m *master) read(typ string, n int) []int {
	m.t.Helper()
	out := m.run("-t", typ, "-r", "0", "-c", strconv.Itoa(n), "127.0.0.1")
	vals := make([]int, n)
	found := 0
	for _, sm := range mbpollValue.FindAllStringSubmatch(out, -1) {
		ref, _ := strconv.Atoi(sm[1])
		v, _ := strconv.Atoi(sm[2])
		if ref < n {
			vals[ref] = v
			found++
		}
	}
	if found != n {
		m.t.Fatalf("mbpoll read %d of %d values:\n%s", found, n, out)
	}
	return vals
}

// write writes values to table type typ ("0" coils, "4" holding registers)
// from addr.
func (m *master) write(typ string, addr int, values ...int) {
	m.t.Helper()
	args := []string{"-t", typ, "-r", strconv.Itoa(addr), "127.0.0.1"}
	for _, v := range values {
		args = append(args, strconv.Itoa(v))
	}
	m.run(args...)
}

// status is the loom's state as the master reads it.
type status struct {
	state, faultCode, length, units, pattern int
	picks                                    uint32
	running, done, fault                     bool
}

func (m *master) status() status {
	m.t.Helper()
	in := m.read("3", 7)
	di := m.read("1", 3)
	return status{
		state: in[0], faultCode: in[1], picks: uint32(in[2])<<16 | uint32(in[3]),
		length: in[4], units: in[5], pattern: in[6],
		running: di[0] == 1, done: di[1] == 1, fault: di[2] == 1,
	}
}

// job writes pattern and target and sets the start coil.
func (m *master) job(pattern, target int) {
	m.t.Helper()
	m.write("4", 0, pattern, target)
	m.write("0", 0, 1)
}

// waitFor polls the loom's status until cond holds or 10s pass.
func (m *master) waitFor(what string, cond func(status) bool) status {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := m.status()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("timed out waiting for %s; last status %+v", what, s)
		}
	}
}

// checkConsistent fails unless picks and length match units completed.
func checkConsistent(t *testing.T, s status) {
	t.Helper()
	if s.picks < uint32(s.units)*picksPerUnit || s.picks >= uint32(s.units+1)*picksPerUnit {
		t.Errorf("%d picks for %d units of %d picks", s.picks, s.units, picksPerUnit)
	}
	if want := int(float64(s.picks)*mmPerPick + 0.5); s.length != want {
		t.Errorf("length %d mm for %d picks, want %d", s.length, s.picks, want)
	}
}

func TestJobRunsToDone(t *testing.T) {
	tests := []struct {
		name            string
		pattern, target int
	}{
		{name: "one unit", pattern: 7, target: 1},
		{name: "five units", pattern: 42, target: 5},
		{name: "largest pattern id", pattern: 65535, target: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m := start(t, fastConfig())
			m.job(tt.pattern, tt.target)
			last := 0
			s := m.waitFor("done", func(s status) bool {
				if s.units < last {
					t.Fatalf("units completed went down from %d to %d", last, s.units)
				}
				last = s.units
				return s.state == int(loom.StateDone)
			})
			want := status{
				state: int(loom.StateDone), units: tt.target, pattern: tt.pattern,
				picks:  uint32(tt.target * picksPerUnit),
				length: int(float64(tt.target*picksPerUnit) * mmPerPick),
				done:   true,
			}
			if s != want {
				t.Fatalf("status %+v, want %+v", s, want)
			}
			if c := m.read("0", 3); c[0] != 0 {
				t.Errorf("start coil %d after the job was taken, want 0", c[0])
			}
		})
	}
}

func TestNewJobFromDoneResetsCounts(t *testing.T) {
	l, m := start(t, fastConfig())
	m.job(1, 4)
	m.waitFor("first job done", func(s status) bool { return s.state == int(loom.StateDone) })
	m.job(2, 2)
	s := m.waitFor("second job done", func(s status) bool {
		return s.state == int(loom.StateDone) && s.pattern == 2
	})
	if s.units != 2 || s.picks != 2*picksPerUnit {
		t.Fatalf("second job of 2 units ended with %d units and %d picks", s.units, s.picks)
	}
	if jobs, made := l.Counts(); jobs != 2 || made != 6 {
		t.Fatalf("counts after jobs of 4 and 2 units: %d jobs, %d made; want 2 and 6", jobs, made)
	}
	// a start without a target is no job
	m.write("4", 0, 3, 0)
	m.write("0", 0, 1)
	m.waitFor("the start coil taken", func(status) bool { return m.read("0", 3)[0] == 0 })
	if jobs, _ := l.Counts(); jobs != 2 {
		t.Fatalf("a start without a target counted as job %d", jobs)
	}
}

func TestStopMidJob(t *testing.T) {
	_, m := start(t, fastConfig())
	m.job(9, 10000)
	m.waitFor("two units", func(s status) bool { return s.units >= 2 })
	m.write("0", 1, 1)
	s := m.waitFor("idle", func(s status) bool { return s.state == int(loom.StateIdle) })
	if s.running || s.done || s.fault || s.units < 2 || s.units >= 10000 || s.pattern != 9 {
		t.Fatalf("status after stop %+v, want idle keeping its counts", s)
	}
	checkConsistent(t, s)
	if again := m.status(); again != s {
		t.Fatalf("stopped loom still weaving: %+v then %+v", s, again)
	}
	if c := m.read("0", 3); c[1] != 0 {
		t.Errorf("stop coil %d after the stop was taken, want 0", c[1])
	}

	m.job(10, 2)
	s = m.waitFor("new job done", func(s status) bool { return s.state == int(loom.StateDone) })
	if s.units != 2 || s.pattern != 10 {
		t.Fatalf("job after stop ended as %+v, want 2 units of pattern 10", s)
	}
}

func TestFault(t *testing.T) {
	tests := []struct {
		name    string
		running bool
		code    uint16
	}{
		{name: "warp break while running", running: true, code: loom.FaultWarpBreak},
		{name: "weft out while running", running: true, code: loom.FaultWeftOut},
		{name: "motor overload while idle", code: loom.FaultMotorOverload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, m := start(t, fastConfig())
			if tt.running {
				m.job(3, 10000)
				m.waitFor("a unit", func(s status) bool { return s.units >= 1 })
			}
			l.InjectFault(tt.code)
			s := m.status()
			if s.state != int(loom.StateFault) || s.faultCode != int(tt.code) || s.running || s.done || !s.fault {
				t.Fatalf("status after fault %d: %+v", tt.code, s)
			}
			checkConsistent(t, s)
			for range 3 {
				if again := m.status(); again != s {
					t.Fatalf("loom in fault changed: %+v then %+v", s, again)
				}
			}

			m.write("0", 0, 1) // start is ignored in fault
			m.waitFor("start coil taken", func(status) bool { return m.read("0", 3)[0] == 0 })
			if again := m.status(); again != s {
				t.Fatalf("start in fault changed the loom: %+v then %+v", s, again)
			}

			m.write("0", 2, 1)
			r := m.waitFor("idle", func(s status) bool { return s.state == int(loom.StateIdle) })
			want := s
			want.state, want.faultCode, want.fault = int(loom.StateIdle), 0, false
			if r != want {
				t.Fatalf("status after fault reset %+v, want %+v", r, want)
			}
			if c := m.read("0", 3); c[2] != 0 {
				t.Errorf("fault reset coil %d after it was taken, want 0", c[2])
			}
		})
	}
}

func TestStartWithTargetZeroIsIgnored(t *testing.T) {
	_, m := start(t, fastConfig())
	m.job(5, 0)
	m.waitFor("start coil taken", func(status) bool { return m.read("0", 3)[0] == 0 })
	if s := m.status(); s != (status{}) {
		t.Fatalf("status after start with target 0 %+v, want idle and zero", s)
	}
}

// clock is a clock the test advances by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestSpeedSetpointShortensUnitTime(t *testing.T) {
	tests := []struct {
		name  string
		speed int
		units int // after one UnitTime
	}{
		{name: "default speed", speed: loom.DefaultSpeed, units: 1},
		{name: "double speed", speed: 240, units: 2},
		{name: "triple speed", speed: 360, units: 3},
		{name: "zero is the default", speed: 0, units: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: time.Unix(1_700_000_000, 0)}
			cfg := fastConfig()
			cfg.UnitTime = time.Second
			cfg.Now = clk.Now
			_, m := start(t, cfg)
			m.write("4", 2, tt.speed)
			m.job(4, 100)
			m.waitFor("running", func(s status) bool { return s.state == int(loom.StateRunning) })
			clk.Advance(cfg.UnitTime)
			s := m.waitFor(fmt.Sprintf("%d units", tt.units), func(s status) bool { return s.units >= tt.units })
			if s.units != tt.units || s.picks != uint32(tt.units*picksPerUnit) || s.state != int(loom.StateRunning) {
				t.Fatalf("after one unit time at %d picks/min: %+v, want %d units", tt.speed, s, tt.units)
			}
		})
	}
}

func TestDefaultSpeedSetpoint(t *testing.T) {
	_, m := start(t, fastConfig())
	if h := m.read("4", 4); h[2] != loom.DefaultSpeed || h[3] != 0 {
		t.Fatalf("holding registers %v, want speed %d and reserved 0", h, loom.DefaultSpeed)
	}
}
