package dye

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/modbus"
)

// States of the station, as reported in input register 0.
const (
	StateIdle  uint16 = 0
	StateFill  uint16 = 1
	StateHeat  uint16 = 2
	StateHold  uint16 = 3
	StateRinse uint16 = 4
	StateDrain uint16 = 5
	StateDone  uint16 = 6
	StateFault uint16 = 7
)

// Fault codes, as reported in input register 1 and taken by
// [Station.InjectFault].
const (
	FaultNone     uint16 = 0
	FaultOverTemp uint16 = 1
	FaultLowLevel uint16 = 2
	FaultHeater   uint16 = 3
)

// Refusal codes, as reported in input register 10: why the last start or
// fault reset was refused. A refused command changes nothing else, so this
// register is how a master tells a refusal from a command it has not yet
// been answered.
const (
	RefuseNone     uint16 = 0 // the last start or fault reset was taken
	RefuseSetpoint uint16 = 1 // start: setpoint above Config.MaxTemp
	RefuseVolume   uint16 = 2 // start: batch volume 0 or above Config.Capacity
	RefusePH       uint16 = 3 // start: target pH above 14.00
	RefuseBusy     uint16 = 4 // start: a batch is running
	RefuseFault    uint16 = 5 // start: the station is in fault
	RefuseHot      uint16 = 6 // fault reset: bath not yet below Config.MaxTemp - Config.ResetMargin
)

// Register addresses; the package doc has the map.
const (
	holdRecipe   = 0
	holdSetpoint = 1
	holdHoldTime = 2
	holdPH       = 3
	holdVolume   = 4

	coilStart      = 0
	coilStop       = 1
	coilFaultReset = 2

	inState      = 0
	inFaultCode  = 1
	inTemp       = 2
	inPH         = 3
	inLevel      = 4
	inHoldLeft   = 5
	inBatches    = 6
	inRecipe     = 7
	inTempFloatH = 8
	inTempFloatL = 9
	inRefusal    = 10

	discRunning = 0
	discDone    = 1
	discFault   = 2
	discHeater  = 3
)

// maxPH is the highest target pH a start accepts, in hundredths.
const maxPH = 1400

// Config configures a [Station]. Zero fields take the defaults given.
type Config struct {
	// TimeConstant is the bath's thermal time constant: with the heater
	// driving it toward a temperature, the bath covers 63.2% of the way in
	// this time (default 2m).
	TimeConstant time.Duration
	// PHTimeConstant is the time constant with which the pH follows the
	// dosing during a batch and the fresh water during the rinse
	// (default 1m).
	PHTimeConstant time.Duration
	// Ambient is the temperature, in °C, the bath cools toward when not
	// heated, and starts at (default 20; 0 takes the default, so give a
	// small value such as 0.01 for a bath at the freezing point).
	Ambient float64
	// MaxTemp is the over-temperature limit in °C: a bath that reaches it
	// trips the station to fault, and a start with a setpoint above it is
	// refused (default 98). It is firmware, not a register, so a master
	// cannot raise the limit it is protected by.
	MaxTemp float64
	// ResetMargin is how far below MaxTemp, in °C, the bath must have
	// cooled for a fault reset to be taken (default 2). Like a thermal
	// cut-out's reset differential it keeps a bath just under the limit
	// from being restarted into a trip at once.
	ResetMargin float64
	// Tolerance is how close below the setpoint, in °C, the bath must come
	// for the heat phase to end and the hold to begin (default 0.5).
	Tolerance float64
	// HeaterFullTemp is the temperature, in °C, a heater at full power drives
	// the bath toward: where a stuck heater takes it (default 110, or
	// MaxTemp+10 when that is higher, so that a stuck heater trips the
	// over-temperature limit).
	HeaterFullTemp float64
	// WaterPH is the pH of fresh water: the bath's pH before the first batch
	// and what the rinse brings it back toward (default 7.0).
	WaterPH float64
	// Capacity is the bath's capacity in litres, the largest batch volume a
	// start accepts (default 300).
	Capacity int
	// FillTime, RinseTime and DrainTime are the durations of the fill,
	// rinse and drain phases (defaults 30s, 45s and 20s).
	FillTime, RinseTime, DrainTime time.Duration
	// Tick is the interval at which Run advances the simulation
	// (default 50ms).
	Tick time.Duration
	// Now is the clock the simulation is measured with (default time.Now).
	// Tests set it to control the bath exactly.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.TimeConstant <= 0 {
		c.TimeConstant = 2 * time.Minute
	}
	if c.PHTimeConstant <= 0 {
		c.PHTimeConstant = time.Minute
	}
	if c.Ambient == 0 || math.IsNaN(c.Ambient) {
		c.Ambient = 20
	}
	if !(c.MaxTemp > 0) {
		c.MaxTemp = 98
	}
	if !(c.ResetMargin > 0) {
		c.ResetMargin = 2
	}
	if !(c.Tolerance > 0) {
		c.Tolerance = 0.5
	}
	if !(c.HeaterFullTemp > 0) {
		c.HeaterFullTemp = max(110, c.MaxTemp+10)
	}
	if !(c.WaterPH > 0) {
		c.WaterPH = 7
	}
	if c.Capacity <= 0 {
		c.Capacity = 300
	}
	if c.FillTime <= 0 {
		c.FillTime = 30 * time.Second
	}
	if c.RinseTime <= 0 {
		c.RinseTime = 45 * time.Second
	}
	if c.DrainTime <= 0 {
		c.DrainTime = 20 * time.Second
	}
	if c.Tick <= 0 {
		c.Tick = 50 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Status is a snapshot of the station, in engineering units.
type Status struct {
	// Time is the clock reading the snapshot refers to: the simulation has
	// been advanced up to it.
	Time      time.Time
	State     uint16
	FaultCode uint16
	// Temperature is the bath temperature in °C.
	Temperature float64
	PH          float64
	// Level is the bath level in litres.
	Level float64
	// HoldLeft is the hold time still to come in the current batch.
	HoldLeft time.Duration
	// Batches counts the batches completed since New; it wraps at 65536 as
	// its register does.
	Batches uint16
	// Recipe is the recipe id of the current or last batch.
	Recipe   uint16
	HeaterOn bool
	// Refusal is why the last start or fault reset was refused, a Refuse
	// code.
	Refusal uint16
}

// Station is a simulated dye station. Its methods are safe for concurrent
// use.
type Station struct {
	cfg  Config
	bank *modbus.Bank
	wake chan struct{} // a master's write, so commands are taken promptly

	mu        sync.Mutex
	last      time.Time // how far the simulation has been advanced
	state     uint16
	faultCode uint16
	refusal   uint16
	stuck     bool
	temp      float64 // °C
	ph        float64
	level     float64 // litres
	// phaseLeft is the time left in a timed phase (fill, hold, rinse,
	// drain), counted down exactly so phase ends do not drift with the tick.
	phaseLeft time.Duration
	// levelFrom is the level a fill or drain started from; the level moves
	// linearly from it.
	levelFrom float64
	aborted   bool // a stop was taken: the drain ends in idle, not done
	batches   uint16

	// The batch latched at start.
	recipe   uint16
	setpoint float64 // °C
	holdTime time.Duration
	targetPH float64
	volume   float64 // litres
}

// New returns an idle station with an empty bath at ambient temperature and
// the pH of fresh water, its holding registers all 0. The station owns the
// bank's OnWrite hook.
func New(cfg Config) *Station {
	s := &Station{
		cfg: cfg.withDefaults(),
		bank: modbus.NewBank(modbus.Sizes{
			Coils: 3, DiscreteInputs: 4, HoldingRegisters: 5, InputRegisters: 11,
		}),
		wake: make(chan struct{}, 1),
	}
	s.temp = s.cfg.Ambient
	s.ph = s.cfg.WaterPH
	s.bank.OnWrite(func(modbus.Write) {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	})
	s.mu.Lock()
	s.last = s.cfg.Now()
	s.publish()
	s.mu.Unlock()
	return s
}

// Bank returns the station's register bank, to be served as a Modbus unit.
func (s *Station) Bank() *modbus.Bank { return s.bank }

// Run advances the simulation every Config.Tick, and takes commands on the
// master's writes, until ctx is cancelled; then it returns nil. The bath's
// time runs from New, Run or not, as a real bath cools whether or not its
// controller is polling it; since the simulation is exact, the first tick
// catches up with whatever time has passed.
func (s *Station) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
		s.step()
	}
}

// Status returns the station as it was last advanced, by Run or by
// InjectFault and StickHeater; its Time says when that was.
func (s *Station) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{
		Time:        s.last,
		State:       s.state,
		FaultCode:   s.faultCode,
		Temperature: s.temp,
		PH:          s.ph,
		Level:       s.level,
		HoldLeft:    s.holdLeft(),
		Batches:     s.batches,
		Recipe:      s.recipe,
		HeaterOn:    s.heating(),
		Refusal:     s.refusal,
	}
}

// InjectFault puts the station in fault with code, from any state: the
// batch stops where it is and the heater is switched off until the master
// resets the fault. A code of FaultNone is ignored.
func (s *Station) InjectFault(code uint16) {
	if code == FaultNone {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.cfg.Now())
	s.trip(code)
	s.publish()
}

// StickHeater makes the heater stuck on (a welded contactor), or frees it.
// A stuck heater drives the bath toward Config.HeaterFullTemp whatever the
// phase, until the bath reaches Config.MaxTemp and the over-temperature
// trip cuts the heater's supply; this is the physical way to that fault.
func (s *Station) StickHeater(stuck bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.cfg.Now())
	s.stuck = stuck
	s.publish()
}

// step advances the simulation to now, takes the commands and publishes the
// state.
func (s *Station) step() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.cfg.Now())
	if s.take(coilFaultReset) && s.state == StateFault {
		if s.temp < s.cfg.MaxTemp-s.cfg.ResetMargin {
			s.state = StateIdle
			s.faultCode = FaultNone
			s.refusal = RefuseNone
		} else {
			s.refusal = RefuseHot
		}
	}
	if s.take(coilStop) {
		s.stop()
	}
	if s.take(coilStart) {
		s.start()
	}
	s.publish()
}

// take reports whether the command coil at addr is set, and resets it.
func (s *Station) take(addr uint16) bool {
	if !s.bank.Coil(addr) {
		return false
	}
	s.bank.SetCoil(addr, false)
	return true
}

// start starts a batch from the holding registers, or records why not.
// s.mu is held.
func (s *Station) start() {
	switch s.state {
	case StateFault:
		s.refusal = RefuseFault
		return
	case StateIdle, StateDone:
	default:
		s.refusal = RefuseBusy
		return
	}
	b := s.bank
	setpoint := float64(int16(b.Holding(holdSetpoint))) / 10
	volume := b.Holding(holdVolume)
	ph := b.Holding(holdPH)
	switch {
	case setpoint > s.cfg.MaxTemp:
		s.refusal = RefuseSetpoint
		return
	case volume == 0 || int(volume) > s.cfg.Capacity:
		s.refusal = RefuseVolume
		return
	case ph > maxPH:
		s.refusal = RefusePH
		return
	}
	s.refusal = RefuseNone
	s.recipe = b.Holding(holdRecipe)
	s.setpoint = setpoint
	s.holdTime = time.Duration(b.Holding(holdHoldTime)) * time.Second
	s.targetPH = float64(ph) / 100
	s.volume = float64(volume)
	s.aborted = false
	s.state = StateFill
	s.levelFrom = s.level
	s.phaseLeft = s.cfg.FillTime
}

// stop aborts a running batch: the bath is drained, then the station is
// idle. s.mu is held.
func (s *Station) stop() {
	switch s.state {
	case StateFill, StateHeat, StateHold, StateRinse:
		s.state = StateDrain
		s.levelFrom = s.level
		s.phaseLeft = s.cfg.DrainTime
		s.aborted = true
	case StateDrain:
		s.aborted = true
	}
}

// trip puts the station in fault with code. s.mu is held.
func (s *Station) trip(code uint16) {
	s.state = StateFault
	s.faultCode = code
}

// event is what ends a stretch of simulated time.
type event int

const (
	evNone  event = iota
	evTrip        // the bath reaches MaxTemp
	evPhase       // the current phase ends
)

// advance simulates the time up to now. It cuts the time at every event (a
// phase end, the over-temperature trip) at the exact instant the event
// happens, so the result does not depend on how often it is called. s.mu is
// held.
func (s *Station) advance(now time.Time) {
	dt := max(now.Sub(s.last), 0)
	if now.After(s.last) {
		s.last = now
	}
	for {
		step, ev := dt, evNone
		if d, ok := s.untilPhaseEnd(); ok && d <= step {
			step, ev = d, evPhase
		}
		if s.state != StateFault {
			if d, ok := s.untilTemp(s.cfg.MaxTemp); ok && d <= step {
				step, ev = d, evTrip // at the same instant the trip wins
			}
		}
		s.evolve(step)
		dt -= step
		switch ev {
		case evNone:
			return
		case evTrip:
			s.temp = max(s.temp, s.cfg.MaxTemp)
			s.trip(FaultOverTemp)
		case evPhase:
			s.nextPhase()
		}
	}
}

// untilPhaseEnd returns the time left in the current phase; ok is false
// when the phase has no end of its own.
func (s *Station) untilPhaseEnd() (time.Duration, bool) {
	switch s.state {
	case StateFill, StateHold, StateRinse, StateDrain:
		return s.phaseLeft, true
	case StateHeat:
		return s.untilTemp(s.setpoint - s.cfg.Tolerance)
	}
	return 0, false
}

// nextPhase moves the batch on when the current phase has ended. s.mu is
// held.
func (s *Station) nextPhase() {
	switch s.state {
	case StateFill:
		s.level = s.volume
		s.state = StateHeat
	case StateHeat:
		s.temp = max(s.temp, s.setpoint-s.cfg.Tolerance)
		s.state = StateHold
		s.phaseLeft = s.holdTime
	case StateHold:
		s.state = StateRinse
		s.phaseLeft = s.cfg.RinseTime
	case StateRinse:
		s.state = StateDrain
		s.levelFrom = s.level
		s.phaseLeft = s.cfg.DrainTime
	case StateDrain:
		s.level = 0
		if s.aborted {
			s.state = StateIdle
		} else {
			s.state = StateDone
			s.batches++
		}
	}
}

// drive returns the temperature the bath is being driven toward, whether
// the heater is delivering heat, and the floor the bath cannot cool below
// (the setpoint, where the controller catches a bath drifting down onto it;
// -Inf otherwise). s.mu is held.
func (s *Station) drive() (target float64, heating bool, floor float64) {
	floor = math.Inf(-1)
	switch {
	case s.state == StateFault:
		// The trip's safety contactor cuts the supply, stuck or not.
		return s.cfg.Ambient, false, floor
	case s.stuck:
		return s.cfg.HeaterFullTemp, true, floor
	case s.state == StateHeat || s.state == StateHold:
		if s.temp < s.setpoint {
			return s.setpoint, true, floor
		}
		// Above the setpoint the heater is off and the bath drifts toward
		// ambient; a heater cannot cool, so a bath over a setpoint below
		// ambient stays above it.
		if s.cfg.Ambient <= s.setpoint {
			floor = s.setpoint
		}
		return s.cfg.Ambient, false, floor
	}
	return s.cfg.Ambient, false, floor
}

// heating reports whether the heater is delivering heat. s.mu is held.
func (s *Station) heating() bool {
	_, on, _ := s.drive()
	return on
}

// untilTemp returns the time until the rising bath reaches temp; ok is false
// when it never will as things stand. s.mu is held.
func (s *Station) untilTemp(temp float64) (time.Duration, bool) {
	if s.temp >= temp {
		return 0, true
	}
	target, _, _ := s.drive()
	if target <= temp {
		return 0, false
	}
	// Solving T(t) = target + (T0-target)·exp(-t/τ) for T(t) = temp.
	sec := s.cfg.TimeConstant.Seconds() * math.Log((target-s.temp)/(target-temp))
	ns := math.Ceil(sec * 1e9)
	if !(ns < math.MaxInt64/2) {
		return 0, false
	}
	return time.Duration(ns), true
}

// evolve advances the bath by d, during which no event happens. s.mu is
// held.
func (s *Station) evolve(d time.Duration) {
	if d <= 0 {
		return
	}
	target, _, floor := s.drive()
	s.temp = max(approach(s.temp, target, d, s.cfg.TimeConstant), floor)

	switch s.state {
	case StateFill, StateHeat, StateHold:
		s.ph = approach(s.ph, s.targetPH, d, s.cfg.PHTimeConstant)
	case StateRinse:
		s.ph = approach(s.ph, s.cfg.WaterPH, d, s.cfg.PHTimeConstant)
	}

	switch s.state {
	case StateFill:
		s.phaseLeft -= d
		s.level = s.volume + (s.levelFrom-s.volume)*frac(s.phaseLeft, s.cfg.FillTime)
	case StateDrain:
		s.phaseLeft -= d
		s.level = s.levelFrom * frac(s.phaseLeft, s.cfg.DrainTime)
	case StateHold, StateRinse:
		s.phaseLeft -= d
	}
}

// approach is the exact solution of dx/dt = (target-x)/tau after d from x.
func approach(x, target float64, d, tau time.Duration) float64 {
	return target + (x-target)*math.Exp(-d.Seconds()/tau.Seconds())
}

// frac returns a/b.
func frac(a, b time.Duration) float64 { return float64(a) / float64(b) }

// holdLeft returns the hold time still to come. s.mu is held.
func (s *Station) holdLeft() time.Duration {
	switch s.state {
	case StateFill, StateHeat:
		return s.holdTime
	case StateHold:
		return s.phaseLeft
	}
	return 0
}

// publish writes the state to the input registers and discrete inputs.
// s.mu is held.
func (s *Station) publish() {
	temp := int16(clamp(math.Round(s.temp*10), math.MinInt16, math.MaxInt16))
	tempBits := math.Float32bits(float32(s.temp))
	holdSecs := math.Ceil(s.holdLeft().Seconds())
	b := s.bank
	b.SetInput(inState, s.state)
	b.SetInput(inFaultCode, s.faultCode)
	b.SetInput(inTemp, uint16(temp))
	b.SetInput(inPH, uint16(clamp(math.Round(s.ph*100), 0, math.MaxUint16)))
	b.SetInput(inLevel, uint16(clamp(math.Round(s.level), 0, math.MaxUint16)))
	b.SetInput(inHoldLeft, uint16(clamp(holdSecs, 0, math.MaxUint16)))
	b.SetInput(inBatches, s.batches)
	b.SetInput(inRecipe, s.recipe)
	b.SetInput(inTempFloatH, uint16(tempBits>>16))
	b.SetInput(inTempFloatL, uint16(tempBits))
	b.SetInput(inRefusal, s.refusal)
	running := s.state >= StateFill && s.state <= StateDrain
	b.SetDiscrete(discRunning, running)
	b.SetDiscrete(discDone, s.state == StateDone)
	b.SetDiscrete(discFault, s.state == StateFault)
	b.SetDiscrete(discHeater, s.heating())
}

// clamp returns x limited to [lo, hi].
func clamp(x, lo, hi float64) float64 { return max(lo, min(x, hi)) }
