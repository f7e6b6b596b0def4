package loom

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/modbus"
)

// States of the loom, as reported in input register 0.
const (
	StateIdle    uint16 = 0
	StateRunning uint16 = 1
	StateDone    uint16 = 2
	StateFault   uint16 = 3
)

// Fault codes, as reported in input register 1 and taken by [Loom.InjectFault].
const (
	FaultNone          uint16 = 0
	FaultWarpBreak     uint16 = 1
	FaultWeftOut       uint16 = 2
	FaultMotorOverload uint16 = 3
)

// DefaultSpeed is the speed setpoint, in picks per minute, the loom starts
// with and at which a unit takes Config.UnitTime.
const DefaultSpeed = 120

// Register addresses; the package doc has the map.
const (
	holdPattern = 0
	holdTarget  = 1
	holdSpeed   = 2

	coilStart      = 0
	coilStop       = 1
	coilFaultReset = 2

	inState     = 0
	inFaultCode = 1
	inPicksHigh = 2
	inPicksLow  = 3
	inLength    = 4
	inUnits     = 5
	inPattern   = 6

	discRunning = 0
	discDone    = 1
	discFault   = 2
)

// Config configures a [Loom]. Zero fields take the defaults given.
type Config struct {
	// UnitTime is the time a unit takes at DefaultSpeed (default 2s).
	UnitTime time.Duration
	// PicksPerUnit is the number of picks (weft insertions) in a unit
	// (default 1000).
	PicksPerUnit uint32
	// MillimetresPerPick is the length of cloth one pick weaves
	// (default 0.25).
	MillimetresPerPick float64
	// Tick is the interval at which Run advances the simulation
	// (default 50ms).
	Tick time.Duration
	// Now is the clock the weaving progress is measured with (default
	// time.Now). Tests set it to control progress exactly.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.UnitTime <= 0 {
		c.UnitTime = 2 * time.Second
	}
	if c.PicksPerUnit == 0 {
		c.PicksPerUnit = 1000
	}
	if !(c.MillimetresPerPick > 0) {
		c.MillimetresPerPick = 0.25
	}
	if c.Tick <= 0 {
		c.Tick = 50 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Loom is a simulated jacquard loom. Its methods are safe for concurrent use.
type Loom struct {
	cfg  Config
	bank *modbus.Bank
	wake chan struct{} // a master's write, so commands are taken promptly

	mu        sync.Mutex
	last      time.Time // when progress was last measured
	state     uint16
	faultCode uint16
	pattern   uint16
	target    uint16
	units     uint16
	// jobs counts the jobs started since New, made the units woven since New: a master that
	// sends a job twice, or has a unit woven twice, shows in them.
	jobs, made int
	// work is the progress into the current unit in nanoseconds of weaving
	// at one pick per minute: a unit is done at UnitTime*DefaultSpeed. Kept
	// as an integer so progress does not drift with the tick rate.
	work int64
}

// New returns an idle loom with its register bank, speed setpoint at
// DefaultSpeed. The loom owns the bank's OnWrite hook.
func New(cfg Config) *Loom {
	l := &Loom{
		cfg: cfg.withDefaults(),
		bank: modbus.NewBank(modbus.Sizes{
			Coils: 3, DiscreteInputs: 3, HoldingRegisters: 4, InputRegisters: 7,
		}),
		wake: make(chan struct{}, 1),
	}
	l.bank.SetHolding(holdSpeed, DefaultSpeed)
	l.bank.OnWrite(func(modbus.Write) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	})
	l.mu.Lock()
	l.last = l.cfg.Now()
	l.publish()
	l.mu.Unlock()
	return l
}

// Bank returns the loom's register bank, to be served as a Modbus unit.
func (l *Loom) Bank() *modbus.Bank { return l.bank }

// Run advances the simulation every Config.Tick, and takes commands on the
// master's writes, until ctx is cancelled; then it returns nil. Time during
// which Run is not running does not count as weaving.
func (l *Loom) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.Tick)
	defer t.Stop()
	l.mu.Lock()
	l.last = l.cfg.Now()
	l.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-l.wake:
		}
		l.step()
	}
}

// Counts returns how many jobs the loom was given since New, and how many units it wove.
func (l *Loom) Counts() (jobs, made int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.jobs, l.made
}

// InjectFault puts the loom in fault with code, from any state: weaving
// stops until the master sets the fault reset coil. A code of FaultNone is
// ignored.
func (l *Loom) InjectFault(code uint16) {
	if code == FaultNone {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(l.cfg.Now())
	l.state = StateFault
	l.faultCode = code
	l.publish()
}

// step advances the weaving to now, takes the commands and publishes the
// state.
func (l *Loom) step() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(l.cfg.Now())
	if l.take(coilFaultReset) && l.state == StateFault {
		l.state = StateIdle
		l.faultCode = FaultNone
	}
	if l.take(coilStop) && l.state == StateRunning {
		l.state = StateIdle
	}
	if l.take(coilStart) && (l.state == StateIdle || l.state == StateDone) {
		if target := l.bank.Holding(holdTarget); target > 0 {
			l.state = StateRunning
			l.pattern = l.bank.Holding(holdPattern)
			l.target = target
			l.units = 0
			l.work = 0
			l.jobs++
		}
	}
	l.publish()
}

// take reports whether the command coil at addr is set, and resets it.
func (l *Loom) take(addr uint16) bool {
	if !l.bank.Coil(addr) {
		return false
	}
	l.bank.SetCoil(addr, false)
	return true
}

// advance weaves the time since the last call, when running. l.mu is held.
func (l *Loom) advance(now time.Time) {
	elapsed := now.Sub(l.last)
	l.last = now
	if l.state != StateRunning || elapsed <= 0 {
		return
	}
	speed := int64(l.bank.Holding(holdSpeed))
	if speed == 0 {
		speed = DefaultSpeed
	}
	per := l.unitWork()
	l.work += int64(elapsed) * speed
	for l.work >= per && l.units < l.target {
		l.work -= per
		l.units++
		l.made++
	}
	if l.units >= l.target {
		l.work = 0
		l.state = StateDone
	}
}

// unitWork is the work of one unit, in the units of Loom.work.
func (l *Loom) unitWork() int64 { return int64(l.cfg.UnitTime) * DefaultSpeed }

// picks returns the picks woven in the current job. l.mu is held.
func (l *Loom) picks() uint32 {
	p := float64(l.units)*float64(l.cfg.PicksPerUnit) +
		math.Floor(float64(l.work)/float64(l.unitWork())*float64(l.cfg.PicksPerUnit))
	return uint32(min(p, math.MaxUint32))
}

// publish writes the state to the input registers and discrete inputs.
// l.mu is held.
func (l *Loom) publish() {
	picks := l.picks()
	length := min(math.Round(float64(picks)*l.cfg.MillimetresPerPick), math.MaxUint16)
	b := l.bank
	b.SetInput(inState, l.state)
	b.SetInput(inFaultCode, l.faultCode)
	b.SetInput(inPicksHigh, uint16(picks>>16))
	b.SetInput(inPicksLow, uint16(picks))
	b.SetInput(inLength, uint16(length))
	b.SetInput(inUnits, l.units)
	b.SetInput(inPattern, l.pattern)
	b.SetDiscrete(discRunning, l.state == StateRunning)
	b.SetDiscrete(discDone, l.state == StateDone)
	b.SetDiscrete(discFault, l.state == StateFault)
}
