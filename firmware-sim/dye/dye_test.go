package dye_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/dye"
	"github.com/cellforge/cellforge/firmware-sim/modbus"
)

// TestMain installs mbpoll, the master the Modbus test drives the station
// with, when it is missing. Failing to install it fails the run.
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

// The test station's physics, short enough that whole batches fit in a few
// simulated minutes.
const (
	tau      = 20 * time.Second
	phTau    = 10 * time.Second
	fillTime = 5 * time.Second
	rinse    = 8 * time.Second
	drain    = 4 * time.Second
	ambient  = 20.0
	maxTemp  = 98.0
	fullTemp = 110.0
	tol      = 0.5
	margin   = 2.0
	waterPH  = 7.0
	capacity = 300
)

func testConfig() dye.Config {
	return dye.Config{
		TimeConstant:   tau,
		PHTimeConstant: phTau,
		Ambient:        ambient,
		MaxTemp:        maxTemp,
		ResetMargin:    margin,
		Tolerance:      tol,
		HeaterFullTemp: fullTemp,
		WaterPH:        waterPH,
		Capacity:       capacity,
		FillTime:       fillTime,
		RinseTime:      rinse,
		DrainTime:      drain,
		Tick:           time.Millisecond,
	}
}

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// rig is a station running on a fake clock.
type rig struct {
	t   *testing.T
	s   *dye.Station
	clk *clock
	t0  time.Time
}

// newRig runs a station with cfg on a fake clock at t0, stopped and waited
// for when the test ends.
func newRig(t *testing.T, cfg dye.Config) *rig {
	t.Helper()
	t0 := time.Unix(1_700_000_000, 0)
	clk := &clock{now: t0}
	cfg.Now = clk.Now
	s := dye.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run after cancel: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after the context was cancelled")
		}
	})
	return &rig{t: t, s: s, clk: clk, t0: t0}
}

// waitFor polls cond until it holds or 5s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// at sets the clock to d after t0 and returns the status once the station
// has been advanced to it.
func (r *rig) at(d time.Duration) dye.Status {
	r.t.Helper()
	want := r.t0.Add(d)
	r.clk.Set(want)
	var st dye.Status
	waitFor(r.t, fmt.Sprintf("the station to reach t0+%v", d), func() bool {
		st = r.s.Status()
		return st.Time.Equal(want)
	})
	return st
}

// write applies a master's write PDU to the bank, as the server would.
func (r *rig) write(pdu []byte) {
	r.t.Helper()
	resp := r.s.Bank().Handle(pdu)
	if len(resp) == 0 || resp[0]&0x80 != 0 {
		r.t.Fatalf("write % x answered % x", pdu, resp)
	}
}

// command sets a command coil as a master does and waits until the station
// has taken it.
func (r *rig) command(coil uint16) dye.Status {
	r.t.Helper()
	r.write([]byte{5, 0, byte(coil), 0xFF, 0})
	waitFor(r.t, fmt.Sprintf("coil %d to be taken", coil), func() bool { return !r.s.Bank().Coil(coil) })
	return r.s.Status() // the station publishes under the lock it took the coil with
}

// job is a batch as the master writes it to holding registers 0-4.
type job struct {
	recipe   uint16
	setpoint int16 // tenths of °C
	hold     uint16
	ph       uint16
	volume   uint16
}

// load writes j to the holding registers.
func (r *rig) load(j job) {
	r.t.Helper()
	pdu := []byte{16, 0, 0, 0, 5, 10}
	for _, v := range []uint16{j.recipe, uint16(j.setpoint), j.hold, j.ph, j.volume} {
		pdu = binary.BigEndian.AppendUint16(pdu, v)
	}
	r.write(pdu)
}

// start loads j and sets the start coil.
func (r *rig) start(j job) dye.Status {
	r.t.Helper()
	r.load(j)
	return r.command(0)
}

// lag is the first-order solution: x after d from x0 toward target.
func lag(x0, target float64, d, tc time.Duration) float64 {
	return target + (x0-target)*math.Exp(-d.Seconds()/tc.Seconds())
}

// until is the time a first-order lag from x0 toward target takes to reach x.
func until(x0, target, x float64, tc time.Duration) time.Duration {
	return time.Duration(tc.Seconds() * math.Log((target-x0)/(target-x)) * 1e9)
}

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

// durNear reports whether a and b are within a microsecond: phase ends fall
// on whole nanoseconds, rounded up from the exact instant.
func durNear(a, b time.Duration) bool { return (a - b).Abs() <= time.Microsecond }

// inputs reads the station's input registers and discrete inputs as a
// master would.
type inputs struct {
	state, fault, ph, level, holdLeft, batches, recipe, refusal uint16
	temp                                                        int16
	tempFloat                                                   float32
	running, done, faulted, heater                              bool
}

func readInputs(s *dye.Station) inputs {
	b := s.Bank()
	in := func(a uint16) uint16 { return b.Input(a) }
	return inputs{
		state: in(0), fault: in(1), temp: int16(in(2)), ph: in(3), level: in(4),
		holdLeft: in(5), batches: in(6), recipe: in(7),
		tempFloat: math.Float32frombits(uint32(in(8))<<16 | uint32(in(9))),
		refusal:   in(10),
		running:   b.Discrete(0), done: b.Discrete(1), faulted: b.Discrete(2), heater: b.Discrete(3),
	}
}

func TestBatchCycle(t *testing.T) {
	tests := []struct {
		name string
		job  job
	}{
		{name: "indigo at 85 °C", job: job{recipe: 12, setpoint: 850, hold: 30, ph: 450, volume: 120}},
		{name: "setpoint at the limit, full bath", job: job{recipe: 7, setpoint: 980, hold: 10, ph: 300, volume: capacity}},
		{name: "no hold, one litre", job: job{recipe: 65535, setpoint: 600, hold: 0, ph: 700, volume: 1}},
	}
	const ms = time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			j := tt.job
			sp := float64(j.setpoint) / 10
			hold := time.Duration(j.hold) * time.Second
			targetPH := float64(j.ph) / 100
			heat := until(ambient, sp, sp-tol, tau)
			heatEnd := fillTime + heat
			holdEnd := heatEnd + hold
			rinseEnd := holdEnd + rinse
			drainEnd := rinseEnd + drain

			st := r.start(j)
			if st.State != dye.StateFill || st.Refusal != dye.RefuseNone || st.Recipe != j.recipe {
				t.Fatalf("after start: %+v, want fill of recipe %d", st, j.recipe)
			}

			st = r.at(fillTime / 2)
			if st.State != dye.StateFill || !near(st.Level, float64(j.volume)/2, 1e-9) ||
				st.Temperature != ambient || st.HeaterOn || st.HoldLeft != hold {
				t.Fatalf("half way through the fill: %+v, want level %v at ambient, heater off", st, float64(j.volume)/2)
			}
			if st := r.at(fillTime - ms); st.State != dye.StateFill {
				t.Fatalf("just before the fill time: state %d, want fill", st.State)
			}
			st = r.at(fillTime + ms)
			if st.State != dye.StateHeat || st.Level != float64(j.volume) || !st.HeaterOn {
				t.Fatalf("just after the fill time: %+v, want heat with the bath full and the heater on", st)
			}
			if in := readInputs(r.s); !in.running || !in.heater || in.done || in.faulted {
				t.Fatalf("discrete inputs while heating: %+v", in)
			}

			if st := r.at(heatEnd - ms); st.State != dye.StateHeat || st.Temperature >= sp-tol {
				t.Fatalf("just before reaching the setpoint band: %+v, want heat below %v", st, sp-tol)
			}
			st = r.at(heatEnd + ms)
			if hold > 0 && (st.State != dye.StateHold || !near(st.Temperature, sp-tol, 1e-3) || !st.HeaterOn) {
				t.Fatalf("just after reaching the setpoint band: %+v, want hold at %v, heater on", st, sp-tol)
			}
			if hold == 0 && st.State != dye.StateRinse {
				t.Fatalf("just after reaching the setpoint band with no hold: state %d, want rinse", st.State)
			}

			if hold > 0 {
				st = r.at(holdEnd - ms)
				wantT := lag(sp-tol, sp, hold-ms, tau)
				wantPH := lag(waterPH, targetPH, holdEnd-ms, phTau)
				if st.State != dye.StateHold || !near(st.Temperature, wantT, 1e-6) ||
					!near(st.PH, wantPH, 1e-9) || !durNear(st.HoldLeft, ms) {
					t.Fatalf("just before the hold ends: %+v, want hold at %.6f °C, pH %.6f, 1ms left", st, wantT, wantPH)
				}
				if in := readInputs(r.s); in.holdLeft != 1 {
					t.Errorf("hold seconds remaining register %d with 1ms left, want 1 (rounded up)", in.holdLeft)
				}
			}
			st = r.at(holdEnd + ms)
			if st.State != dye.StateRinse || st.HeaterOn || st.HoldLeft != 0 {
				t.Fatalf("just after the hold: %+v, want rinse with the heater off", st)
			}
			if st.Temperature >= sp {
				t.Errorf("bath at %v °C in the rinse, want it below the setpoint %v", st.Temperature, sp)
			}

			if st := r.at(rinseEnd - ms); st.State != dye.StateRinse {
				t.Fatalf("just before the rinse ends: state %d, want rinse", st.State)
			}
			st = r.at(rinseEnd + drain/4)
			if st.State != dye.StateDrain || !near(st.Level, float64(j.volume)*3/4, 1e-6) {
				t.Fatalf("a quarter into the drain: %+v, want level %v", st, float64(j.volume)*3/4)
			}
			if st := r.at(drainEnd - ms); st.State != dye.StateDrain || st.Batches != 0 {
				t.Fatalf("just before the drain ends: %+v, want drain, no batch counted", st)
			}
			st = r.at(drainEnd + ms)
			if st.State != dye.StateDone || st.Level != 0 || st.Batches != 1 || st.Recipe != j.recipe || st.HeaterOn {
				t.Fatalf("after the drain: %+v, want done, empty, one batch of recipe %d", st, j.recipe)
			}
			in := readInputs(r.s)
			want := inputs{
				state: dye.StateDone, batches: 1, recipe: j.recipe, done: true,
				ph:        uint16(math.Round(st.PH * 100)),
				temp:      int16(math.Round(st.Temperature * 10)),
				tempFloat: float32(st.Temperature),
			}
			if in != want {
				t.Fatalf("registers when done %+v, want %+v", in, want)
			}

			// A new batch starts from done.
			st = r.start(job{recipe: 99, setpoint: 500, hold: 1, ph: 500, volume: 10})
			if st.State != dye.StateFill || st.Recipe != 99 || st.Batches != 1 {
				t.Fatalf("start from done: %+v, want fill of recipe 99, one batch counted", st)
			}
		})
	}
}

func TestTemperatureFollowsFirstOrderLag(t *testing.T) {
	tests := []struct {
		name    string
		after   float64 // time constants into the heat phase
		covered float64 // fraction of the step covered, as a textbook gives it
	}{
		{name: "half a time constant", after: 0.5, covered: 0.393},
		{name: "one time constant", after: 1, covered: 0.632},
		{name: "two time constants", after: 2, covered: 0.865},
		{name: "three time constants", after: 3, covered: 0.950},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Tolerance = 0.01 // heat lasts ln(7000) ≈ 8.9 time constants
			r := newRig(t, cfg)
			const sp = 90.0
			r.start(job{recipe: 1, setpoint: 900, hold: 60, ph: 450, volume: 100})
			d := time.Duration(tt.after * float64(tau))
			st := r.at(fillTime + d)
			if st.State != dye.StateHeat {
				t.Fatalf("state %d, want heat", st.State)
			}
			got := (st.Temperature - ambient) / (sp - ambient)
			if !near(got, tt.covered, 0.0005) {
				t.Errorf("covered %.4f of the step after %v time constants, want %.3f", got, tt.after, tt.covered)
			}
			if want := lag(ambient, sp, d, tau); !near(st.Temperature, want, 1e-9) {
				t.Errorf("temperature %.12f °C, want %.12f", st.Temperature, want)
			}
			in := readInputs(r.s)
			if want := int16(math.Round(st.Temperature * 10)); in.temp != want {
				t.Errorf("temperature register %d, want %d tenths", in.temp, want)
			}
			if in.tempFloat != float32(st.Temperature) {
				t.Errorf("float32 temperature registers %v, want %v", in.tempFloat, float32(st.Temperature))
			}
		})
	}
}

func TestPHFollowsTargetAndRinse(t *testing.T) {
	const targetPH = 4.5
	hold := 600 * time.Second
	tests := []struct {
		name string
		at   time.Duration
		want float64
	}{
		{name: "start of the fill", at: 0, want: waterPH},
		{name: "one pH time constant into the batch", at: phTau, want: waterPH + (targetPH-waterPH)*0.632},
		{name: "deep in the hold", at: 10 * phTau, want: targetPH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			r.start(job{recipe: 1, setpoint: 600, hold: uint16(hold / time.Second), ph: 450, volume: 100})
			st := r.at(tt.at)
			if !near(st.PH, tt.want, 0.001) {
				t.Errorf("pH %.4f at %v, want %.3f", st.PH, tt.at, tt.want)
			}
			if want := lag(waterPH, targetPH, tt.at, phTau); !near(st.PH, want, 1e-9) {
				t.Errorf("pH %.12f, want %.12f", st.PH, want)
			}
			if in := readInputs(r.s); in.ph != uint16(math.Round(st.PH*100)) {
				t.Errorf("pH register %d, want %d hundredths", in.ph, uint16(math.Round(st.PH*100)))
			}
		})
	}

	t.Run("rinse brings it back toward water", func(t *testing.T) {
		r := newRig(t, testConfig())
		r.start(job{recipe: 1, setpoint: 600, hold: 0, ph: 450, volume: 100})
		heatEnd := fillTime + until(ambient, 60, 60-tol, tau)
		atRinse := r.at(heatEnd + time.Microsecond)
		if atRinse.State != dye.StateRinse {
			t.Fatalf("state %d at the end of the heat with no hold, want rinse", atRinse.State)
		}
		st := r.at(heatEnd + time.Microsecond + rinse/2)
		if want := lag(atRinse.PH, waterPH, rinse/2, phTau); !near(st.PH, want, 1e-9) || st.PH <= atRinse.PH {
			t.Fatalf("pH %.6f half way through the rinse from %.6f, want %.6f", st.PH, atRinse.PH, want)
		}
	})
}

func TestIndependentOfTickSize(t *testing.T) {
	stepPatterns := []struct {
		name  string
		steps func(total time.Duration) []time.Duration
	}{
		{name: "one step", steps: func(total time.Duration) []time.Duration { return []time.Duration{total} }},
		{name: "100 equal steps", steps: func(total time.Duration) []time.Duration {
			s := make([]time.Duration, 100)
			for i := range s {
				s[i] = total * time.Duration(i+1) / 100
			}
			return s
		}},
		{name: "irregular steps", steps: func(total time.Duration) []time.Duration {
			rng := rand.New(rand.NewPCG(1, 2))
			var s []time.Duration
			for at := time.Duration(0); at < total; {
				at = min(total, at+time.Duration(rng.Int64N(int64(3*time.Second))))
				s = append(s, at)
			}
			return s
		}},
	}
	heatEnd := fillTime + until(ambient, 85, 85-tol, tau)
	trip := until(ambient, fullTemp, maxTemp, tau)
	scenarios := []struct {
		name  string
		stuck bool
		total time.Duration // from the start
		check func(t *testing.T, st dye.Status)
	}{
		{
			name: "fill, heat, into the hold", total: heatEnd + 7*time.Second,
			check: func(t *testing.T, st dye.Status) {
				want := lag(85-tol, 85, 7*time.Second, tau)
				if st.State != dye.StateHold || !near(st.Temperature, want, 1e-6) || !durNear(st.HoldLeft, 53*time.Second) {
					t.Errorf("%+v, want hold at %.6f °C with 53s left", st, want)
				}
			},
		},
		{
			name: "stuck heater through heat into the trip and cooling", stuck: true, total: trip + 15*time.Second,
			check: func(t *testing.T, st dye.Status) {
				want := lag(maxTemp, ambient, 15*time.Second, tau)
				if st.State != dye.StateFault || st.FaultCode != dye.FaultOverTemp || !near(st.Temperature, want, 1e-6) {
					t.Errorf("%+v, want over-temperature fault cooling, at %.6f °C", st, want)
				}
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var ref dye.Status
			for i, p := range stepPatterns {
				t.Run(p.name, func(t *testing.T) {
					r := newRig(t, testConfig())
					r.start(job{recipe: 3, setpoint: 850, hold: 60, ph: 450, volume: 100})
					r.s.StickHeater(sc.stuck)
					var st dye.Status
					for _, at := range p.steps(sc.total) {
						st = r.at(at)
					}
					sc.check(t, st)
					if i == 0 {
						ref = st
						return
					}
					if st.State != ref.State || st.FaultCode != ref.FaultCode ||
						!near(st.Temperature, ref.Temperature, 1e-9) || !near(st.PH, ref.PH, 1e-9) ||
						!near(st.Level, ref.Level, 1e-9) || !durNear(st.HoldLeft, ref.HoldLeft) {
						t.Errorf("after %s: %+v\nafter %s: %+v", p.name, st, stepPatterns[0].name, ref)
					}
				})
			}
		})
	}
}

func TestOverTemperatureTrip(t *testing.T) {
	tests := []struct {
		name      string
		batch     bool // stick the heater during the hold of a batch, else while idle
		freeFirst bool // free the heater before the fault reset
	}{
		{name: "stuck during the hold, freed before the reset", batch: true, freeFirst: true},
		{name: "stuck while idle, still stuck at the reset", batch: false, freeFirst: false},
	}
	const ms = time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			stickAt := time.Duration(0)
			if tt.batch {
				r.start(job{recipe: 5, setpoint: 850, hold: 600, ph: 450, volume: 100})
				stickAt = fillTime + until(ambient, 85, 85-tol, tau) + 10*time.Second
			}
			st := r.at(stickAt)
			wantState := dye.StateIdle
			if tt.batch {
				wantState = dye.StateHold
			}
			if st.State != wantState {
				t.Fatalf("state %d before sticking the heater, want %d", st.State, wantState)
			}
			r.s.StickHeater(true)
			tripAt := stickAt + until(st.Temperature, fullTemp, maxTemp, tau)

			st = r.at(tripAt - ms)
			if st.State != wantState || !st.HeaterOn || st.Temperature >= maxTemp {
				t.Fatalf("just before the trip: %+v, want state %d, heater on, below %v °C", st, wantState, maxTemp)
			}
			st = r.at(tripAt + ms)
			if st.State != dye.StateFault || st.FaultCode != dye.FaultOverTemp || st.HeaterOn || !near(st.Temperature, maxTemp, 0.01) {
				t.Fatalf("just after the trip: %+v, want over-temperature fault at %v °C, heater off", st, maxTemp)
			}
			in := readInputs(r.s)
			if in.state != dye.StateFault || in.fault != dye.FaultOverTemp || in.running || !in.faulted || in.heater {
				t.Fatalf("registers after the trip: %+v", in)
			}

			st = r.command(2)
			if st.State != dye.StateFault || st.Refusal != dye.RefuseHot {
				t.Fatalf("fault reset at %.3f °C: %+v, want refused (code %d), still in fault", st.Temperature, st, dye.RefuseHot)
			}
			coolAt := tripAt + until(maxTemp, ambient, maxTemp-margin, tau) // cooling: the formula works both ways
			if st := r.at(coolAt - ms); st.State != dye.StateFault || st.HeaterOn {
				t.Fatalf("still hot and in fault with a stuck heater: %+v, want fault with the heater cut", st)
			}
			if st := r.command(2); st.State != dye.StateFault || st.Refusal != dye.RefuseHot {
				t.Fatalf("fault reset at %.3f °C: %+v, want refused", st.Temperature, st)
			}
			if tt.freeFirst {
				r.s.StickHeater(false)
			}
			r.at(coolAt + ms)
			st = r.command(2)
			if st.State != dye.StateIdle || st.FaultCode != dye.FaultNone || st.Refusal != dye.RefuseNone {
				t.Fatalf("fault reset at %.3f °C: %+v, want idle", st.Temperature, st)
			}
			if readInputs(r.s).faulted {
				t.Fatal("fault discrete input still set after the reset")
			}

			if tt.freeFirst {
				st = r.at(coolAt + 10*tau)
				if st.State != dye.StateIdle || st.HeaterOn || !near(st.Temperature, ambient, 0.01) {
					t.Fatalf("long after the reset with the heater freed: %+v, want idle at ambient", st)
				}
				return
			}
			retrip := coolAt + ms + until(st.Temperature, fullTemp, maxTemp, tau)
			if st := r.at(retrip - ms); st.State != dye.StateIdle || !st.HeaterOn {
				t.Fatalf("before the second trip: %+v, want idle, heater on", st)
			}
			if st := r.at(retrip + ms); st.State != dye.StateFault || st.FaultCode != dye.FaultOverTemp {
				t.Fatalf("after the second trip: %+v, want over-temperature fault", st)
			}
		})
	}
}

func TestStartRefused(t *testing.T) {
	good := job{recipe: 8, setpoint: 800, hold: 60, ph: 450, volume: 100}
	tests := []struct {
		name    string
		prepare func(r *rig) // puts the station in the state the start meets
		job     job
		refusal uint16
	}{
		{name: "setpoint above the limit", job: job{recipe: 9, setpoint: 981, hold: 60, ph: 450, volume: 100}, refusal: dye.RefuseSetpoint},
		{name: "largest setpoint", job: job{recipe: 9, setpoint: math.MaxInt16, hold: 60, ph: 450, volume: 100}, refusal: dye.RefuseSetpoint},
		{name: "volume zero", job: job{recipe: 9, setpoint: 800, hold: 60, ph: 450, volume: 0}, refusal: dye.RefuseVolume},
		{name: "volume above capacity", job: job{recipe: 9, setpoint: 800, hold: 60, ph: 450, volume: capacity + 1}, refusal: dye.RefuseVolume},
		{name: "pH above 14", job: job{recipe: 9, setpoint: 800, hold: 60, ph: 1401, volume: 100}, refusal: dye.RefusePH},
		{
			name:    "while running",
			prepare: func(r *rig) { r.start(good); r.at(fillTime + time.Second) },
			job:     job{recipe: 9, setpoint: 600, hold: 60, ph: 450, volume: 100}, refusal: dye.RefuseBusy,
		},
		{
			name:    "in fault",
			prepare: func(r *rig) { r.s.InjectFault(dye.FaultHeater) },
			job:     good, refusal: dye.RefuseFault,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			if tt.prepare != nil {
				tt.prepare(r)
			}
			before := r.s.Status()
			st := r.start(tt.job)
			if st.Refusal != tt.refusal {
				t.Fatalf("refusal %d, want %d", st.Refusal, tt.refusal)
			}
			if st.State != before.State || st.Recipe != before.Recipe {
				t.Fatalf("refused start changed the station: %+v then %+v", before, st)
			}
			if in := readInputs(r.s); in.refusal != tt.refusal || in.state != before.State {
				t.Fatalf("registers after the refused start: %+v", in)
			}
			if before.State != dye.StateIdle {
				return
			}
			// Putting the job right is all it takes.
			st = r.start(good)
			if st.State != dye.StateFill || st.Refusal != dye.RefuseNone || st.Recipe != good.recipe {
				t.Fatalf("good start after the refused one: %+v, want fill of recipe %d", st, good.recipe)
			}
		})
	}
}

func TestCommandCoilsReset(t *testing.T) {
	good := job{recipe: 4, setpoint: 700, hold: 60, ph: 450, volume: 100}
	tests := []struct {
		name    string
		prepare func(r *rig)
		coil    uint16
		state   uint16 // after the command
	}{
		{name: "start taken", prepare: func(r *rig) { r.load(good) }, coil: 0, state: dye.StateFill},
		{name: "start refused", coil: 0, state: dye.StateIdle},
		{name: "stop while running", prepare: func(r *rig) { r.start(good) }, coil: 1, state: dye.StateDrain},
		{name: "stop while idle", coil: 1, state: dye.StateIdle},
		{name: "fault reset in fault", prepare: func(r *rig) { r.s.InjectFault(dye.FaultLowLevel) }, coil: 2, state: dye.StateIdle},
		{name: "fault reset while idle", coil: 2, state: dye.StateIdle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			if tt.prepare != nil {
				tt.prepare(r)
			}
			st := r.command(tt.coil) // fails unless the coil goes back to 0
			if st.State != tt.state {
				t.Fatalf("state %d after coil %d, want %d", st.State, tt.coil, tt.state)
			}
			resp := r.s.Bank().Handle([]byte{1, 0, 0, 0, 3})
			if len(resp) != 3 || resp[2] != 0 {
				t.Fatalf("coils read by a master % x, want all 0", resp)
			}
		})
	}
}

func TestStopDrainsToIdle(t *testing.T) {
	j := job{recipe: 6, setpoint: 800, hold: 60, ph: 450, volume: 200}
	heatEnd := fillTime + until(ambient, 80, 80-tol, tau)
	tests := []struct {
		name      string
		stopAt    time.Duration
		level     float64       // when stopped
		drainLeft time.Duration // when stopped
	}{
		{name: "during the fill", stopAt: fillTime / 4, level: 50, drainLeft: drain},
		{name: "during the heat", stopAt: fillTime + tau, level: 200, drainLeft: drain},
		{name: "during the hold", stopAt: heatEnd + 30*time.Second, level: 200, drainLeft: drain},
		{name: "during the drain", stopAt: heatEnd + 60*time.Second + rinse + drain/2, level: 100, drainLeft: drain / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			r.start(j)
			if st := r.at(tt.stopAt); !near(st.Level, tt.level, 1e-6) {
				t.Fatalf("level %v when stopping, want %v", st.Level, tt.level)
			}
			st := r.command(1)
			if st.State != dye.StateDrain || st.HeaterOn {
				t.Fatalf("after stop: %+v, want drain with the heater off", st)
			}
			if st := r.at(tt.stopAt + tt.drainLeft/2); !near(st.Level, tt.level/2, 1e-6) {
				t.Errorf("level %v half way through the drain, want %v", st.Level, tt.level/2)
			}
			if st := r.at(tt.stopAt + tt.drainLeft - time.Millisecond); st.State != dye.StateDrain {
				t.Fatalf("just before the drain ends: state %d, want drain", st.State)
			}
			st = r.at(tt.stopAt + tt.drainLeft + time.Millisecond)
			if st.State != dye.StateIdle || st.Level != 0 || st.Batches != 0 || readInputs(r.s).done {
				t.Fatalf("after the drain of a stopped batch: %+v, want idle, empty, no batch counted", st)
			}
		})
	}
}

func TestInjectFault(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		code uint16
	}{
		{name: "low level during the fill", at: fillTime / 2, code: dye.FaultLowLevel},
		{name: "heater failure during the heat", at: fillTime + tau, code: dye.FaultHeater},
		{name: "over-temperature injected while idle", at: -1, code: dye.FaultOverTemp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig())
			if tt.at >= 0 {
				r.start(job{recipe: 2, setpoint: 900, hold: 60, ph: 450, volume: 100})
				r.at(tt.at)
			}
			r.s.InjectFault(dye.FaultNone)
			if st := r.s.Status(); st.State == dye.StateFault {
				t.Fatal("FaultNone put the station in fault")
			}
			r.s.InjectFault(tt.code)
			st := r.s.Status()
			if st.State != dye.StateFault || st.FaultCode != tt.code || st.HeaterOn {
				t.Fatalf("after injecting %d: %+v, want fault, heater off", tt.code, st)
			}
			later := r.at(max(tt.at, 0) + tau)
			if later.State != dye.StateFault || later.Level != st.Level || later.PH != st.PH ||
				!near(later.Temperature, lag(st.Temperature, ambient, tau, tau), 1e-9) {
				t.Fatalf("a time constant in fault: %+v, from %+v: want level and pH kept, cooling", later, st)
			}
			st = r.command(2)
			if st.State != dye.StateIdle || st.FaultCode != dye.FaultNone {
				t.Fatalf("after fault reset: %+v, want idle", st)
			}
		})
	}
}

func TestTemperatureRegisters(t *testing.T) {
	tests := []struct {
		name    string
		ambient float64
		tenths  int16
	}{
		{name: "room temperature", ambient: 21.37, tenths: 214},
		{name: "below freezing", ambient: -5.5, tenths: -55},
		{name: "default ambient", ambient: 0, tenths: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Ambient = tt.ambient
			s := dye.New(cfg)
			in := readInputs(s)
			want := s.Status().Temperature
			if in.temp != tt.tenths || in.tempFloat != float32(want) || math.Round(float64(in.tempFloat)*10) != float64(tt.tenths) {
				t.Fatalf("temperature registers %d tenths and %v, want %d and %v", in.temp, in.tempFloat, tt.tenths, float32(want))
			}
		})
	}
}

// master drives a station served over Modbus TCP with mbpoll.
type master struct {
	t    *testing.T
	port string
}

// serve serves r's station over Modbus TCP on 127.0.0.1:0, stopped and
// waited for when the test ends.
func serve(t *testing.T, r *rig) *master {
	t.Helper()
	srv := modbus.New(modbus.Config{})
	if err := srv.AddUnit(1, r.s.Bank()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Serve after cancel: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return after the context was cancelled")
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &master{t: t, port: port}
}

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

var mbpollValue = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(-?[0-9.]+)`)

// read reads n values of mbpoll type typ from addr.
func (m *master) read(typ string, addr, n int, extra ...string) []float64 {
	m.t.Helper()
	args := append([]string{"-t", typ, "-r", strconv.Itoa(addr), "-c", strconv.Itoa(n)}, extra...)
	out := m.run(append(args, "127.0.0.1")...)
	vals := make([]float64, n)
	found := 0
	for _, sm := range mbpollValue.FindAllStringSubmatch(out, -1) {
		ref, _ := strconv.Atoi(sm[1])
		v, err := strconv.ParseFloat(sm[2], 64)
		if err == nil && ref >= addr && ref < addr+n {
			vals[ref-addr] = v
			found++
		}
	}
	if found != n {
		m.t.Fatalf("mbpoll read %d of %d values:\n%s", found, n, out)
	}
	return vals
}

// write writes values to table type typ from addr.
func (m *master) write(typ string, addr int, values ...int) {
	m.t.Helper()
	args := []string{"-t", typ, "-r", strconv.Itoa(addr), "127.0.0.1"}
	for _, v := range values {
		args = append(args, strconv.Itoa(v))
	}
	m.run(args...)
}

// temp reads the temperature both ways: the int16 tenths register and the
// float32 pair, big-endian word order.
func (m *master) temp() (tenths int16, f float64) {
	m.t.Helper()
	reg := m.read("3", 2, 1)[0]
	return int16(uint16(int(reg))), m.read("3:float", 8, 1, "-B")[0]
}

func TestBatchOverModbusTCP(t *testing.T) {
	r := newRig(t, testConfig())
	m := serve(t, r)
	const sp = 85.0

	m.write("4", 0, 31, 850, 20, 450, 150)
	m.write("0", 0, 1)
	var in []float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		in = m.read("3", 0, 11)
		if in[0] == float64(dye.StateFill) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the fill; input registers %v", in)
		}
	}
	if in[5] != 20 || in[7] != 31 || in[10] != 0 {
		t.Fatalf("input registers after start %v, want hold 20 s, recipe 31, no refusal", in)
	}
	if c := m.read("0", 0, 3); c[0] != 0 {
		t.Errorf("start coil %v after the start was taken, want 0", c[0])
	}

	heatAt := fillTime + tau
	st := r.at(heatAt)
	want := lag(ambient, sp, tau, tau)
	tenths, f := m.temp()
	if int(tenths) != int(math.Round(want*10)) || !near(f, want, 1e-4) {
		t.Fatalf("temperature over Modbus %d tenths and %v °C one time constant into the heat, want %.1f", tenths, f, want)
	}
	in = m.read("3", 0, 11)
	if in[0] != float64(dye.StateHeat) || in[4] != 150 || in[3] != math.Round(st.PH*100) {
		t.Fatalf("input registers while heating %v, want heat, 150 l, pH %.2f", in, st.PH)
	}
	if di := m.read("1", 0, 4); di[0] != 1 || di[1] != 0 || di[2] != 0 || di[3] != 1 {
		t.Fatalf("discrete inputs while heating %v, want running and heater on", di)
	}

	done := fillTime + until(ambient, sp, sp-tol, tau) + 20*time.Second + rinse + drain
	r.at(done + time.Millisecond)
	in = m.read("3", 0, 11)
	if in[0] != float64(dye.StateDone) || in[4] != 0 || in[6] != 1 || in[7] != 31 {
		t.Fatalf("input registers after the batch %v, want done, empty, 1 batch of recipe 31", in)
	}
	if di := m.read("1", 0, 4); di[0] != 0 || di[1] != 1 || di[2] != 0 || di[3] != 0 {
		t.Fatalf("discrete inputs after the batch %v, want done only", di)
	}
	tenths, f = m.temp()
	if math.Round(f*10) != float64(tenths) || f <= ambient || f >= sp {
		t.Fatalf("temperature after the batch %d tenths and %v °C, want the same, between ambient and the setpoint", tenths, f)
	}

	// A setpoint over the limit is refused, and the master can tell why.
	m.write("4", 1, 990)
	m.write("0", 0, 1)
	deadline = time.Now().Add(10 * time.Second)
	for {
		in = m.read("3", 0, 11)
		if in[10] == float64(dye.RefuseSetpoint) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the refusal; input registers %v", in)
		}
	}
	if in[0] != float64(dye.StateDone) {
		t.Fatalf("state %v after a refused start, want done", in[0])
	}
}
