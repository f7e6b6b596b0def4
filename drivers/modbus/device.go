package modbus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goburrow/modbus"

	"github.com/cellforge/cellforge/drivers/health"
)

// Defaults of the device's backoff.
const (
	defaultMaxTimeouts = 3
	defaultBackoffMin  = time.Second
	defaultBackoffMax  = 30 * time.Second
	// frameRetries is how often a request is sent again after a malformed
	// answer: the device is there, the frame was damaged on the wire.
	frameRetries = 1
)

// DeviceConfig configures a [Device].
type DeviceConfig struct {
	// Name names the device in readings, errors and health.
	Name string
	// UnitID is the device's Modbus address: 1..247 on an RTU line; any
	// value on TCP, where gateways route by it.
	UnitID byte
	// Profile describes the device's registers, poll groups and commands.
	Profile *Profile
	// Health records each request; nil keeps an unexported record.
	Health *health.Device
	// OnReading receives the reading of every scheduled poll, on the
	// polling goroutine: it must return quickly. Nil drops readings
	// ([Device.Latest] still has the values).
	OnReading func(Reading)
	// MaxTimeouts consecutive timeouts back the device off; 0 means 3.
	MaxTimeouts int
	// BackoffMin and BackoffMax bound the time between probes of a backed
	// off device, doubled after each failed probe; 0 means 1 s and 30 s.
	BackoffMin time.Duration
	BackoffMax time.Duration
}

// Reading is the outcome of one poll of a group.
type Reading struct {
	Device string
	Group  string
	// Time is when the poll's last answer arrived (or the poll gave up).
	Time time.Time
	// Scheduled is the tick of the fixed-rate schedule the poll belongs
	// to; Time minus Scheduled is the poll's lateness plus its round trips.
	Scheduled time.Time
	// Values holds the registers read, by name, in engineering units; bools
	// are 0 or 1. When some requests failed it holds the others'.
	Values map[string]float64
	// Err joins the errors of the poll's failed requests; nil when every
	// register was read.
	Err error
}

// Sample is the last value read of one register.
type Sample struct {
	Value float64
	Time  time.Time
}

// GroupStats counts how a poll group keeps its schedule.
type GroupStats struct {
	Group string
	// Polls is the number of ticks polled, including those skipped by the
	// device's backoff.
	Polls uint64
	// Missed is the number of ticks dropped because a poll overran them.
	Missed uint64
	// LastJitter and MaxJitter are the delays between a tick and its poll's
	// start.
	LastJitter time.Duration
	MaxJitter  time.Duration
}

// groupPlan is a group with its read requests, ready to poll.
type groupPlan struct {
	name     string
	interval time.Duration
	requests []Request

	mu    sync.Mutex
	stats GroupStats
}

// Device is one Modbus slave on a [Line], read and written per its profile.
// Its methods are safe for concurrent use.
type Device struct {
	name      string
	unit      byte
	line      *Line
	profile   *Profile
	packager  modbus.Packager
	health    *health.Device
	onReading func(Reading)
	regs      map[string]*Register
	groups    []*groupPlan
	commands  map[string]*Command

	maxTimeouts int
	backoffMin  time.Duration
	backoffMax  time.Duration

	running atomic.Bool

	mu        sync.Mutex
	latest    map[string]Sample
	timeouts  int // consecutive
	backoff   time.Duration
	nextProbe time.Time
}

// NewDevice returns the device cfg describes on line, after validating its
// profile and planning its polls. The unit id may be used by one device per
// line.
func NewDevice(line *Line, cfg DeviceConfig) (*Device, error) {
	if cfg.Name == "" {
		return nil, errors.New("modbus device: name: missing")
	}
	wrap := func(err error) error { return fmt.Errorf("modbus device %q: %w", cfg.Name, err) }
	if line == nil {
		return nil, wrap(errors.New("line: missing"))
	}
	if cfg.Profile == nil {
		return nil, wrap(errors.New("profile: missing"))
	}
	if line.rtu && (cfg.UnitID < 1 || cfg.UnitID > 247) {
		return nil, wrap(fmt.Errorf("unit_id: %d outside 1..247", cfg.UnitID))
	}
	if cfg.MaxTimeouts < 0 || cfg.BackoffMin < 0 || cfg.BackoffMax < 0 {
		return nil, wrap(errors.New("backoff: negative setting"))
	}
	if err := cfg.Profile.Validate(); err != nil {
		return nil, wrap(err)
	}
	d := &Device{
		name: cfg.Name, unit: cfg.UnitID, line: line, profile: cfg.Profile,
		packager: line.tr.packager(cfg.UnitID), health: cfg.Health, onReading: cfg.OnReading,
		regs: map[string]*Register{}, commands: map[string]*Command{}, latest: map[string]Sample{},
		maxTimeouts: orDefault(cfg.MaxTimeouts, defaultMaxTimeouts),
		backoffMin:  orDefault(cfg.BackoffMin, defaultBackoffMin),
	}
	d.backoffMax = orDefault(cfg.BackoffMax, max(defaultBackoffMax, d.backoffMin))
	if d.backoffMin > d.backoffMax {
		return nil, wrap(fmt.Errorf("backoff: minimum %v above maximum %v", d.backoffMin, d.backoffMax))
	}
	if d.health == nil {
		d.health = (*health.Metrics)(nil).Device(cfg.Name, "modbus")
	}
	p := cfg.Profile
	for i := range p.Registers {
		d.regs[p.Registers[i].Name] = &p.Registers[i]
	}
	for i := range p.Commands {
		d.commands[p.Commands[i].Name] = &p.Commands[i]
	}
	for _, g := range p.Groups {
		plan, err := p.Plan(g.Name)
		if err != nil {
			return nil, wrap(err)
		}
		d.groups = append(d.groups, &groupPlan{name: g.Name, interval: g.Interval, requests: plan,
			stats: GroupStats{Group: g.Name}})
	}
	if err := line.addUnit(cfg.UnitID, cfg.Name); err != nil {
		return nil, wrap(err)
	}
	return d, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Name returns the device's name.
func (d *Device) Name() string { return d.name }

// Plan returns the read requests of the named poll group.
func (d *Device) Plan(group string) ([]Request, error) {
	g := d.group(group)
	if g == nil {
		return nil, fmt.Errorf("planning group %q of %s: no such group", group, d.name)
	}
	return append([]Request(nil), g.requests...), nil
}

func (d *Device) group(name string) *groupPlan {
	for _, g := range d.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// Latest returns the last value read of each register, by name.
func (d *Device) Latest() map[string]Sample {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]Sample, len(d.latest))
	for k, v := range d.latest {
		out[k] = v
	}
	return out
}

// Stats returns how each poll group keeps its schedule, in profile order.
func (d *Device) Stats() []GroupStats {
	out := make([]GroupStats, 0, len(d.groups))
	for _, g := range d.groups {
		g.mu.Lock()
		out = append(out, g.stats)
		g.mu.Unlock()
	}
	return out
}

// Run polls each group at its interval on a fixed-rate schedule: ticks fall
// at start + k*interval whatever each poll took, a poll that overruns ticks
// drops them rather than bunching up, and each poll's lateness is recorded
// in [Device.Stats]. It blocks until ctx is cancelled, then returns nil once
// its polls have stopped. The line must be running for polls to be
// answered. A device runs once at a time; a second concurrent Run returns
// an error.
func (d *Device) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return fmt.Errorf("running %s: already running", d.name)
	}
	defer d.running.Store(false)
	var wg sync.WaitGroup
	for _, g := range d.groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.runGroup(ctx, g)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (d *Device) runGroup(ctx context.Context, g *groupPlan) {
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		jitter := time.Since(next)
		g.mu.Lock()
		g.stats.Polls++
		g.stats.LastJitter = jitter
		g.stats.MaxJitter = max(g.stats.MaxJitter, jitter)
		g.mu.Unlock()

		rd, err := d.poll(ctx, g, next, false)
		if err == nil && d.onReading != nil {
			d.onReading(rd)
		}
		next = next.Add(g.interval)
		if now := time.Now(); !next.After(now) {
			missed := now.Sub(next)/g.interval + 1
			next = next.Add(missed * g.interval)
			g.mu.Lock()
			g.stats.Missed += uint64(missed)
			g.mu.Unlock()
		}
		t.Reset(time.Until(next))
	}
}

// Poll reads the named group once, now, and returns the reading; it also
// updates [Device.Latest]. Unlike scheduled polls it is sent even while the
// device is backed off, and its outcome counts towards the backoff. The
// error is about the call (unknown group, ctx done); the reading's Err
// tells how the requests fared.
func (d *Device) Poll(ctx context.Context, group string) (Reading, error) {
	g := d.group(group)
	if g == nil {
		return Reading{}, fmt.Errorf("polling group %q of %s: no such group", group, d.name)
	}
	return d.poll(ctx, g, time.Now(), true)
}

// poll reads every request of g. After a timeout the remaining requests are
// skipped: a dead device costs one timeout per poll. A scheduled poll of a
// backed off device sends nothing, except one probe per backoff period. The
// error is ctx's when it ended the poll.
func (d *Device) poll(ctx context.Context, g *groupPlan, scheduled time.Time, force bool) (Reading, error) {
	rd := Reading{Device: d.name, Group: g.name, Scheduled: scheduled, Values: map[string]float64{}}
	if !force {
		if next, ok := d.admit(); !ok {
			rd.Time = time.Now()
			rd.Err = fmt.Errorf("polling %s of %s: next probe at %s: %w", g.name, d.name, next.Format(time.TimeOnly), ErrBackoff)
			return rd, nil
		}
	}
	var errs []error
	timedOut := false
	for _, q := range g.requests {
		if timedOut {
			errs = append(errs, fmt.Errorf("reading %s of %s: %w", q, d.name, ErrSkipped))
			continue
		}
		if err := d.read(ctx, q, rd.Values); err != nil {
			if ctx.Err() != nil {
				return rd, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("reading %s of %s: %w", q, d.name, err))
			timedOut = errors.Is(err, ErrTimeout)
		}
	}
	rd.Time = time.Now()
	rd.Err = errors.Join(errs...)
	d.mu.Lock()
	for k, v := range rd.Values {
		d.latest[k] = Sample{Value: v, Time: rd.Time}
	}
	d.mu.Unlock()
	return rd, nil
}

// admit reports whether a scheduled poll may be sent: always while the
// device answers; once per backoff period, as a probe, after repeated
// timeouts. When not, it returns the time of the next probe.
func (d *Device) admit() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timeouts < d.maxTimeouts {
		return time.Time{}, true
	}
	now := time.Now()
	if now.Before(d.nextProbe) {
		return d.nextProbe, false
	}
	// One probe per period, even when several groups are due at once.
	d.nextProbe = now.Add(d.backoff)
	return time.Time{}, true
}

// note updates the backoff with the outcome of a request: any answer resets
// it; timeouts count, and past MaxTimeouts each one doubles the period.
func (d *Device) note(err error) {
	var ex *ExceptionError
	answered := err == nil || errors.As(err, &ex)
	timedOut := errors.Is(err, ErrTimeout)
	if !answered && !timedOut {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if answered {
		d.timeouts, d.backoff, d.nextProbe = 0, 0, time.Time{}
		return
	}
	d.timeouts++
	switch {
	case d.timeouts < d.maxTimeouts:
		return
	case d.timeouts == d.maxTimeouts:
		d.backoff = d.backoffMin
	default:
		d.backoff = min(2*d.backoff, d.backoffMax)
	}
	d.nextProbe = time.Now().Add(d.backoff)
}

// read sends one read request and decodes its answer into values.
func (d *Device) read(ctx context.Context, q Request, values map[string]float64) error {
	var data []byte
	err := d.call(ctx, false, func(c modbus.Client) (err error) {
		data, err = readRequest(c, q)
		return err
	})
	if err != nil {
		return err
	}
	return d.decode(q, data, values)
}

// readRequest sends q with c and returns the answer's data, checked to be
// as long as q asked for.
func readRequest(c modbus.Client, q Request) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	switch q.Table {
	case Coil:
		data, err = c.ReadCoils(q.Address, q.Quantity)
	case Discrete:
		data, err = c.ReadDiscreteInputs(q.Address, q.Quantity)
	case Holding:
		data, err = c.ReadHoldingRegisters(q.Address, q.Quantity)
	case Input:
		data, err = c.ReadInputRegisters(q.Address, q.Quantity)
	default:
		return nil, fmt.Errorf("reading table %v: no such table", q.Table)
	}
	if err != nil {
		return nil, err
	}
	want := 2 * int(q.Quantity)
	if q.Table.Bits() {
		want = (int(q.Quantity) + 7) / 8
	}
	if len(data) != want {
		return nil, fmt.Errorf("answer of %d data bytes, want %d", len(data), want)
	}
	return data, nil
}

// decode stores the registers of q's answer data into values.
func (d *Device) decode(q Request, data []byte, values map[string]float64) error {
	for _, name := range q.Registers {
		r := d.regs[name]
		off := int(r.Address) - int(q.Address)
		raw := make([]uint16, r.Width())
		for i := range raw {
			if q.Table.Bits() {
				raw[i] = uint16(data[(off+i)/8]>>((off+i)%8)) & 1
			} else {
				raw[i] = binary.BigEndian.Uint16(data[2*(off+i):])
			}
		}
		v, err := r.Decode(raw)
		if err != nil {
			return err
		}
		values[name] = v
	}
	return nil
}

// Command runs the named command of the profile: its writes in order, each
// served by the line before any queued poll. Every value is resolved and
// encoded before the first write, so a missing parameter or an out of range
// value writes nothing; a failed write stops the command.
func (d *Device) Command(ctx context.Context, name string, params map[string]float64) error {
	cmd := d.commands[name]
	if cmd == nil {
		return fmt.Errorf("command %q of %s: %w", name, d.name, ErrUnknownCommand)
	}
	raws := make([][]uint16, len(cmd.Writes))
	for i, w := range cmd.Writes {
		v := w.Value
		if w.Param != "" {
			var ok bool
			if v, ok = params[w.Param]; !ok {
				return fmt.Errorf("command %q of %s: write %d to %q: parameter %q: %w", name, d.name, i+1, w.Register, w.Param, ErrMissingParam)
			}
		}
		raw, err := d.regs[w.Register].Encode(v)
		if err != nil {
			return fmt.Errorf("command %q of %s: write %d: %w", name, d.name, i+1, err)
		}
		raws[i] = raw
	}
	for i, w := range cmd.Writes {
		if err := d.write(ctx, d.regs[w.Register], raws[i]); err != nil {
			return fmt.Errorf("command %q of %s: write %d to %q: %w", name, d.name, i+1, w.Register, err)
		}
	}
	return nil
}

// write writes a register's raw entries: one coil, one holding register, or
// two holding registers in one request.
func (d *Device) write(ctx context.Context, r *Register, raw []uint16) error {
	return d.call(ctx, true, func(c modbus.Client) error {
		var err error
		switch {
		case r.Table == Coil:
			v := uint16(0x0000)
			if raw[0] != 0 {
				v = 0xFF00
			}
			_, err = c.WriteSingleCoil(r.Address, v)
		case r.Table == Holding && len(raw) == 1:
			_, err = c.WriteSingleRegister(r.Address, raw[0])
		case r.Table == Holding:
			b := make([]byte, 2*len(raw))
			for i, w := range raw {
				binary.BigEndian.PutUint16(b[2*i:], w)
			}
			_, err = c.WriteMultipleRegisters(r.Address, uint16(len(raw)), b)
		default:
			err = fmt.Errorf("writing table %s: read-only", r.Table)
		}
		return err
	})
}

// call runs one request through the line, retrying after a malformed
// answer, classifies its error and reports each attempt to health and to
// the backoff.
func (d *Device) call(ctx context.Context, write bool, fn func(modbus.Client) error) error {
	for attempt := 0; ; attempt++ {
		s := &sender{line: d.line, ctx: ctx, unit: d.unit, write: write}
		err := classify(fn(modbus.NewClient2(d.packager, s)), s)
		d.report(s.rtt, err)
		d.note(err)
		if !errors.Is(err, ErrFrame) || attempt >= frameRetries || ctx.Err() != nil {
			return err
		}
	}
}

// classify types the errors of a request: the line's own (timeout, frame,
// not connected, I/O) pass as they are; an exception answer becomes an
// *ExceptionError; anything else the answer's checks found is a frame error.
func classify(err error, s *sender) error {
	if err == nil {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	var me *modbus.ModbusError
	if errors.As(err, &me) {
		return &ExceptionError{Function: me.FunctionCode &^ 0x80, Code: me.ExceptionCode}
	}
	if !s.sent {
		return err // refused before sending: a bug of ours, not the device's
	}
	return fmt.Errorf("%w: %w", ErrFrame, err)
}

// report records a request's outcome in the device's health.
func (d *Device) report(rtt time.Duration, err error) {
	var ex *ExceptionError
	switch {
	case err == nil:
		d.health.Success(rtt)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrClosed):
		// Not sent, and not the device's doing.
	case errors.Is(err, ErrNotConnected):
		d.health.Disconnected()
	case errors.Is(err, ErrTimeout):
		d.health.Failure(health.KindTimeout, err)
	case errors.As(err, &ex):
		d.health.Failure(health.KindException, err)
	case errors.Is(err, ErrFrame):
		d.health.Failure(health.KindFrame, err)
	default:
		d.health.Failure(health.KindIO, err)
	}
}

// sender is the Transporter of one request: it carries the request's
// context and priority to the line and brings back the round trip.
type sender struct {
	line  *Line
	ctx   context.Context
	unit  byte
	write bool

	sent bool
	rtt  time.Duration
	err  error
}

// Send queues the request on the line and waits for its answer.
func (s *sender) Send(adu []byte) ([]byte, error) {
	r := s.line.do(s.ctx, s.unit, adu, s.write)
	s.sent, s.rtt, s.err = true, r.rtt, r.err
	return r.adu, r.err
}
