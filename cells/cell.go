package cells

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// Machine is the Modbus device a cell controller drives; *modbus.Device of the drivers
// satisfies it.
type Machine interface {
	// Command runs one of the profile's commands (start, stop, reset) with its parameters.
	Command(ctx context.Context, name string, params map[string]float64) error
}

// LabelPrinter prints unit labels.
type LabelPrinter interface {
	PrintLabel(ctx context.Context, l Label) error
}

// Label is what a unit's label shows.
type Label struct {
	SKU, Drop, Serial, URL, Title string
}

// Book is what a controller needs of the order book; *book.Book satisfies it.
type Book interface {
	Queue(ctx context.Context, cell string, limit int) ([]book.QueueEntry, error)
	Operation(ctx context.Context, id int64) (book.Operation, error)
	WorkOrder(ctx context.Context, id int64) (book.WorkOrderDetail, error)
	Events(ctx context.Context, f book.EventFilter) ([]book.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Transition(ctx context.Context, req book.TransitionRequest) (book.TransitionResult, error)
	Progress(ctx context.Context, operation int64, done int, actor book.Actor) (book.Operation, error)
	CellDown(ctx context.Context, cell, reason string, actor book.Actor) (book.CellDownResult, error)
	CellUp(ctx context.Context, cell string, actor book.Actor) (int, error)
}

var _ Book = (*book.Book)(nil)

// Config configures a [Cell].
type Config struct {
	Cell    configs.Cell
	Factory *configs.Factory
	Book    Book
	// Machine is the cell's Modbus device, described by Device (its id) and Profile; nil for a
	// manual cell.
	Machine Machine
	Device  string
	Profile *configs.Profile
	// Labels is the cell's label printer, nil when it holds none.
	Labels LabelPrinter
	// Tick is how often the controller reconciles the book and the machine (default 250ms).
	Tick time.Duration
	// LostAfter is how long without an answer from the machine counts as a lost connection
	// (default 3s).
	LostAfter time.Duration
	Logger    *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Cell is the controller of one cell. Its methods are safe for concurrent use.
type Cell struct {
	cfg   Config
	id    string
	actor book.Actor
	log   *slog.Logger
	now   func() time.Time
	kick  chan struct{}

	mu      sync.Mutex
	values  map[string]float64 // latest machine values
	seen    bool               // a reading has arrived
	lastOK  time.Time          // when the last good reading arrived
	lastErr error
	started time.Time
	status  Status
	owed    []Label // labels not printed yet (the printer failed); retried every tick
	// reported is the down reason of a fault a person reported, "" when none: it keeps the
	// cell down until Reset.
	reported string

	// printMu serializes printOwed: Run's goroutine and ReprintLabel's callers both print.
	printMu sync.Mutex

	// Controller state, touched by Run's goroutine only.
	job         *job
	down        string // why this controller took the cell down; "" when up
	faultPaused int64  // the operation the controller paused for a fault
	afterEvent  int64  // the last event of the cell a manual cell's controller has seen
	primed      bool   // afterEvent is set
}

// job is the machine's current job, as the controller gave it.
type job struct {
	op     int64
	base   int       // units done before the machine's count started
	sentAt time.Time // readings older than this describe an earlier job
	stop   bool      // the controller stopped the machine (a person paused the operation)
}

// Status is what a cell is doing, for the floor's screens.
type Status struct {
	Cell string `json:"cell"`
	// Manual is true for a cell without a machine.
	Manual bool   `json:"manual"`
	Device string `json:"device,omitempty"`
	// Online is true while the machine answers.
	Online bool `json:"online"`
	// Machine is the machine's state: idle, running, done, fault, or a phase of running.
	Machine string `json:"machine,omitempty"`
	// Fault names the machine's fault, Down why the cell is out of service.
	Fault string `json:"fault,omitempty"`
	Down  string `json:"down,omitempty"`
	// Operation is the operation on the machine, 0 when none.
	Operation int64              `json:"operation,omitempty"`
	Values    map[string]float64 `json:"values,omitempty"`
	// LabelsOwed counts labels waiting for the printer.
	LabelsOwed int       `json:"labels_owed,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// New returns the controller of a cell.
func New(cfg Config) (*Cell, error) {
	if cfg.Book == nil || cfg.Factory == nil {
		return nil, errors.New("cells: a controller needs the book and the factory")
	}
	if cfg.Machine != nil && cfg.Profile == nil {
		return nil, fmt.Errorf("cell %s: machine %s has no profile", cfg.Cell.ID, cfg.Device)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.LostAfter <= 0 {
		cfg.LostAfter = 3 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Cell{
		cfg:   cfg,
		id:    cfg.Cell.ID,
		actor: book.Actor("cell:" + cfg.Cell.ID),
		log:   cfg.Logger.With("cell", cfg.Cell.ID),
		now:   cfg.Now,
		kick:  make(chan struct{}, 1),
	}
	c.status = Status{Cell: c.id, Manual: cfg.Machine == nil, Device: cfg.Device}
	return c, nil
}

// ID returns the cell's id.
func (c *Cell) ID() string { return c.id }

// Observe takes a reading of the machine: values by register name, measured at at, or the
// error that kept it from being read. The driver calls it for every poll.
func (c *Cell) Observe(values map[string]float64, at time.Time, err error) {
	c.mu.Lock()
	if err != nil {
		c.lastErr = err
	} else {
		if c.values == nil {
			c.values = make(map[string]float64, len(values))
		}
		maps.Copy(c.values, values)
		c.seen = true
		c.lastOK = at
		c.lastErr = nil
	}
	c.mu.Unlock()
	if err == nil {
		c.wake()
	}
}

// ErrManual is returned when a machine command is asked of a cell without a machine.
var ErrManual = errors.New("the cell has no machine")

// ErrNoPrinter is returned when a label is asked of a cell without a label printer.
var ErrNoPrinter = errors.New("the cell has no label printer")

// ErrNotFinished is returned when the label of a unit that is not finished yet is asked for.
var ErrNotFinished = errors.New("the unit is not finished yet")

// Reset clears the cell's fault, as the floor does once the cause is fixed: it forgets a fault
// a person reported and asks the cell's machine, if it has one, to clear its own (the
// profile's reset command). The cell comes back into service when nothing holds it down any
// more: for a machine, when it reports that it left the fault. Reset of a cell without a
// machine and without a reported fault returns ErrManual: there is nothing to clear.
//
// When the machine's reset command fails, the reported fault is kept too, so that an error
// means nothing changed.
func (c *Cell) Reset(ctx context.Context) error {
	if c.cfg.Machine == nil {
		if !c.clearReported() {
			return fmt.Errorf("cell %s: %w", c.id, ErrManual)
		}
		return nil
	}
	if err := c.cfg.Machine.Command(ctx, configs.CommandReset, nil); err != nil {
		return fmt.Errorf("resetting device %s: %w", c.cfg.Device, err)
	}
	c.log.Info("machine reset requested", "device", c.cfg.Device)
	c.clearReported()
	return nil
}

// clearReported forgets a reported fault and wakes Run; it reports whether there was one.
func (c *Cell) clearReported() bool {
	c.mu.Lock()
	was := c.reported
	c.reported = ""
	c.mu.Unlock()
	if was == "" {
		return false
	}
	c.log.Info("reported fault cleared", "was", was)
	c.wake()
	return true
}

// ReportFault records a fault a person reported at the cell (code is one of the factory's fault
// reasons, by who reported it). The controller takes the cell down with the reason
// "fault reported by <by>: <code>" (pausing the operation running there and stopping the
// machine, if any) and keeps it down, even while the machine reports no fault, until Reset.
// It returns at once: the controller's Run acts on the report.
func (c *Cell) ReportFault(code, by string) {
	reason := fmt.Sprintf("fault reported by %s: %s", by, code)
	c.mu.Lock()
	c.reported = reason
	c.mu.Unlock()
	c.log.Warn("fault reported", "code", code, "by", by)
	c.wake()
}

// wake makes Run reconcile now rather than at the next tick.
func (c *Cell) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// ReprintLabel prints the label of unit unit (1-based; 0 is the last unit finished) of
// operation op again, as when it was finished, and returns its serial. The operation must
// have run at this cell, and the unit must be finished: counted by the cell's machine, or part
// of the operation's good units once it is done.
//
// The label joins the labels the cell owes and is printed with them, oldest first. When the
// printer fails, the label stays owed (the controller prints it once the printer answers
// again) and ReprintLabel returns its serial together with the error: asking again would print
// it twice.
func (c *Cell) ReprintLabel(ctx context.Context, op int64, unit int) (serial string, err error) {
	if c.cfg.Labels == nil {
		return "", fmt.Errorf("cell %s: %w", c.id, ErrNoPrinter)
	}
	if unit < 0 {
		return "", fmt.Errorf("%w: unit %d: want 1 or more, or 0 for the last unit finished", book.ErrInvalid, unit)
	}
	o, err := c.cfg.Book.Operation(ctx, op)
	if err != nil {
		return "", fmt.Errorf("reading operation %d: %w", op, err)
	}
	if o.Cell != c.id {
		return "", fmt.Errorf("%w: operation %d did not run at cell %s", book.ErrUnknownOperation, op, c.id)
	}
	finished := 0
	if c.cfg.Machine != nil {
		finished = o.UnitsDone
	}
	if o.State == book.Done {
		finished = max(finished, o.Quantity-o.Scrapped)
	}
	if unit == 0 {
		unit = finished
	}
	if unit == 0 || unit > finished {
		return "", fmt.Errorf("operation %d has %d units finished, not unit %d: %w", op, finished, max(unit, 1), ErrNotFinished)
	}
	entry, err := c.entryOf(ctx, o)
	if err != nil {
		return "", err
	}
	serial = c.owe(&entry, unit-1, unit)[0]
	c.log.Info("label reprint", "operation", op, "serial", serial)
	if err := c.printOwed(ctx); err != nil {
		return serial, err
	}
	return serial, nil
}

// Status returns what the cell is doing.
func (c *Cell) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Values = maps.Clone(s.Values)
	s.LabelsOwed = len(c.owed)
	return s
}

// Run reconciles the cell's queue and its machine every tick, and as soon as the machine
// reports, until ctx is cancelled. It returns nil then.
func (c *Cell) Run(ctx context.Context) error {
	c.mu.Lock()
	c.started = c.now()
	c.mu.Unlock()
	if !c.primed {
		if err := c.Prime(ctx); err != nil {
			return err
		}
	}
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		if err := c.reconcile(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("reconciling cell", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-c.kick:
		}
	}
}

// Prime marks where a manual cell's labels start: units finished before it get none, every
// one finished after it gets its label. Call it before the book takes work and before Run;
// Run primes if it was not.
func (c *Cell) Prime(ctx context.Context) error {
	c.primed = true
	if c.cfg.Machine != nil || c.cfg.Labels == nil {
		return nil
	}
	last, err := c.cfg.Book.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("cell %s: %w", c.id, err)
	}
	c.afterEvent = last
	return nil
}

// machineView is the machine as the latest readings show it.
type machineView struct {
	online  bool
	unknown bool // no reading yet and still within the grace period
	state   string
	units   int
	fault   string
	at      time.Time
	lastErr error
	values  map[string]float64
}

func (c *Cell) view() machineView {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	v := machineView{at: c.lastOK, lastErr: c.lastErr, values: maps.Clone(c.values)}
	switch {
	case !c.seen && now.Sub(c.started) < c.cfg.LostAfter:
		v.unknown = true
		return v
	case !c.seen || now.Sub(c.lastOK) >= c.cfg.LostAfter:
		return v
	}
	v.online = true
	p := c.cfg.Profile
	code := int(c.values[p.StateRegister])
	name, ok := p.States[code]
	if !ok {
		name = configs.StateFault
		v.fault = fmt.Sprintf("unknown state code %d", code)
	}
	v.state = name
	if p.UnitsRegister != "" {
		v.units = int(c.values[p.UnitsRegister])
	}
	if name == configs.StateFault && v.fault == "" {
		v.fault = "fault"
		if p.FaultRegister != "" {
			fc := int(c.values[p.FaultRegister])
			if n, ok := p.Faults[fc]; ok {
				v.fault = fmt.Sprintf("%s (code %d)", n, fc)
			} else {
				v.fault = fmt.Sprintf("fault code %d", fc)
			}
		}
	}
	return v
}

// running reports whether the machine is working a job (running or a phase of running).
func (v machineView) running() bool {
	switch v.state {
	case configs.StateIdle, configs.StateDone, configs.StateFault, "":
		return false
	}
	return true
}

func (v machineView) ready() bool {
	return v.state == configs.StateIdle || v.state == configs.StateDone
}

func (c *Cell) setStatus(fn func(s *Status)) {
	c.mu.Lock()
	fn(&c.status)
	c.status.UpdatedAt = c.now()
	c.mu.Unlock()
}

func (c *Cell) reconcile(ctx context.Context) error {
	if err := c.printOwed(ctx); err != nil {
		c.log.Warn("printing labels", "err", err)
	}
	if c.cfg.Machine == nil {
		return c.reconcileManual(ctx)
	}
	v := c.view()
	c.setStatus(func(s *Status) {
		s.Online, s.Machine, s.Fault, s.Values = v.online, v.state, v.fault, v.values
		if c.job != nil {
			s.Operation = c.job.op
		} else {
			s.Operation = 0
		}
	})
	if reported := c.reportedFault(); reported != "" {
		// A person's report beats the machine's word: the cell stays down until Reset.
		if err := c.takeDown(ctx, reported); err != nil {
			return err
		}
		return c.stopForReport(ctx, v)
	}
	if v.unknown {
		return nil
	}
	if !v.online {
		reason := fmt.Sprintf("no answer from device %s", c.cfg.Device)
		if v.lastErr != nil {
			reason += ": " + v.lastErr.Error()
		}
		return c.takeDown(ctx, reason)
	}
	if v.state == configs.StateFault {
		return c.takeDown(ctx, fmt.Sprintf("device %s in fault: %s", c.cfg.Device, v.fault))
	}
	if err := c.bringUp(ctx); err != nil {
		return err
	}

	q, err := c.cfg.Book.Queue(ctx, c.id, 1)
	if err != nil {
		return fmt.Errorf("reading queue: %w", err)
	}
	var head *book.QueueEntry
	if len(q) > 0 {
		head = &q[0]
	}
	if j := c.job; j != nil && (head == nil || head.ID != j.op || head.State == book.Queued) {
		// The job's operation left the machine: a person completed or scrapped it.
		if v.running() {
			if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
				return fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
			}
		}
		if err := c.finishLabels(ctx, j.op); err != nil {
			return err
		}
		c.log.Info("job left the machine", "operation", j.op)
		c.job = nil
	}
	if head == nil {
		return nil
	}
	switch head.State {
	case book.Queued:
		if !v.ready() || c.job != nil || !c.cfg.Cell.AutoStart {
			// With AutoStart off the job waits for a person to start it (the material must
			// be loaded first); the book then says Running and the machine is told.
			return nil
		}
		res, err := c.cfg.Book.Transition(ctx, book.TransitionRequest{
			Operation: head.ID, Action: book.ActionStart, Actor: c.actor, Version: head.Version})
		if err != nil {
			return c.ignoreRace(err, "starting operation", head.ID)
		}
		head.Operation = res.Operation
		return c.runJob(ctx, head, v)
	case book.Running:
		return c.runJob(ctx, head, v)
	case book.Paused:
		if j := c.job; j != nil && j.op == head.ID {
			if err := c.recordProgress(ctx, head, v); err != nil {
				return err
			}
			if v.running() && !j.stop {
				if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
					return fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
				}
				j.stop = true
				c.log.Info("operation paused: machine stopped", "operation", head.ID)
			}
		}
	}
	return nil
}

// reportedFault returns the down reason of a reported fault, "" when none.
func (c *Cell) reportedFault() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reported
}

// stopForReport stops a machine still working its job while the cell is down for a reported
// fault, recording the units it made first. The job is sent again, for what is left, when the
// cell comes back.
func (c *Cell) stopForReport(ctx context.Context, v machineView) error {
	j := c.job
	if j == nil || !v.online || !v.running() {
		return nil
	}
	q, err := c.cfg.Book.Queue(ctx, c.id, 1)
	if err != nil {
		return fmt.Errorf("reading queue: %w", err)
	}
	if len(q) > 0 && q[0].ID == j.op {
		if err := c.recordProgress(ctx, &q[0], v); err != nil {
			return err
		}
	}
	if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
		return fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
	}
	j.stop = true
	c.log.Info("machine stopped for a reported fault", "operation", j.op)
	return nil
}

// ignoreRace logs the errors that mean someone else acted first: they are settled on the next
// tick.
func (c *Cell) ignoreRace(err error, what string, op int64) error {
	var te *book.TransitionError
	var busy *book.CellBusyError
	var stale *book.StaleError
	if errors.As(err, &te) || errors.As(err, &busy) || errors.As(err, &stale) {
		c.log.Debug(what+": someone acted first", "operation", op, "err", err)
		return nil
	}
	return fmt.Errorf("%s %d: %w", what, op, err)
}

// runJob drives a running operation on the machine.
func (c *Cell) runJob(ctx context.Context, head *book.QueueEntry, v machineView) error {
	j := c.job
	if j == nil && v.running() {
		// The machine already works this operation: the daemon restarted under it.
		c.job = &job{op: head.ID, base: max(0, head.UnitsDone-v.units)}
		c.log.Info("adopted the machine's running job", "operation", head.ID)
		return nil
	}
	if j == nil || j.stop {
		if !v.ready() {
			return nil
		}
		left := head.Quantity - head.Scrapped - head.UnitsDone
		if left <= 0 {
			return c.complete(ctx, head)
		}
		params, err := c.params(head, left)
		if err != nil {
			return err
		}
		if err := c.cfg.Machine.Command(ctx, configs.CommandStart, params); err != nil {
			return fmt.Errorf("starting operation %d on device %s: %w", head.ID, c.cfg.Device, err)
		}
		c.job = &job{op: head.ID, base: head.UnitsDone, sentAt: c.now()}
		c.log.Info("job sent to the machine", "operation", head.ID, "units", left)
		return nil
	}
	if !v.at.After(j.sentAt) {
		return nil // the readings still describe the machine before the job was sent
	}
	if err := c.recordProgress(ctx, head, v); err != nil {
		return err
	}
	if v.state == configs.StateDone {
		if c.cfg.Profile.UnitsRegister == "" {
			if _, err := c.progress(ctx, head, head.Quantity-head.Scrapped); err != nil {
				return err
			}
		}
		return c.complete(ctx, head)
	}
	return nil
}

// recordProgress turns the machine's unit count into the operation's units done.
func (c *Cell) recordProgress(ctx context.Context, head *book.QueueEntry, v machineView) error {
	j := c.job
	if j == nil || c.cfg.Profile.UnitsRegister == "" || !v.at.After(j.sentAt) {
		return nil
	}
	done := min(j.base+v.units, head.Quantity-head.Scrapped)
	if done <= head.UnitsDone {
		return nil
	}
	_, err := c.progress(ctx, head, done)
	return err
}

func (c *Cell) progress(ctx context.Context, head *book.QueueEntry, done int) (int, error) {
	before := head.UnitsDone
	if done <= before {
		return before, nil
	}
	op, err := c.cfg.Book.Progress(ctx, head.ID, done, c.actor)
	if err != nil {
		if errors.Is(err, book.ErrProgressBackwards) || errors.Is(err, book.ErrInvalid) {
			c.log.Debug("progress refused", "operation", head.ID, "err", err)
			return before, nil
		}
		return before, fmt.Errorf("recording progress of operation %d: %w", head.ID, err)
	}
	head.Operation = op
	c.owe(head, before, op.UnitsDone)
	return op.UnitsDone, nil
}

func (c *Cell) complete(ctx context.Context, head *book.QueueEntry) error {
	_, err := c.cfg.Book.Transition(ctx, book.TransitionRequest{
		Operation: head.ID, Action: book.ActionComplete, Actor: c.actor})
	if err != nil {
		return c.ignoreRace(err, "completing operation", head.ID)
	}
	c.log.Info("operation complete", "operation", head.ID, "units", head.UnitsDone)
	c.job = nil
	return nil
}

// params are the start command's parameters: the routing step's, the profile's defaults for
// what the step leaves out, and the units to make.
func (c *Cell) params(head *book.QueueEntry, units int) (map[string]float64, error) {
	p, ok := c.cfg.Factory.Product(head.SKU)
	if !ok || head.Seq >= len(p.Routing) {
		return nil, fmt.Errorf("operation %d: no routing step %d for sku %s", head.ID, head.Seq, head.SKU)
	}
	out := maps.Clone(c.cfg.Profile.Defaults)
	if out == nil {
		out = map[string]float64{}
	}
	maps.Copy(out, p.Routing[head.Seq].Params)
	out["units"] = float64(units)
	return out, nil
}

// takeDown takes the cell out of service for reason, once.
func (c *Cell) takeDown(ctx context.Context, reason string) error {
	if c.down != "" {
		return nil
	}
	res, err := c.cfg.Book.CellDown(ctx, c.id, reason, c.actor)
	if err != nil {
		return fmt.Errorf("taking cell down: %w", err)
	}
	c.down = reason
	c.setStatus(func(s *Status) { s.Down = reason })
	if res.Paused != 0 {
		c.faultPaused = res.Paused
	}
	c.log.Warn("cell down", "reason", reason, "paused", res.Paused, "requeued", res.Requeued, "dispatched", res.Dispatched)
	return nil
}

// bringUp brings back a cell this controller took down, and resumes the operation it paused.
func (c *Cell) bringUp(ctx context.Context) error {
	if c.down == "" {
		return nil
	}
	if _, err := c.cfg.Book.CellUp(ctx, c.id, c.actor); err != nil {
		return fmt.Errorf("bringing cell up: %w", err)
	}
	c.log.Info("cell recovered", "was", c.down)
	c.down = ""
	c.setStatus(func(s *Status) { s.Down = "" })
	if c.job != nil {
		// The machine's job did not survive the fault: send what is left again.
		c.job.stop = true
	}
	if op := c.faultPaused; op != 0 {
		c.faultPaused = 0
		_, err := c.cfg.Book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionResume, Actor: c.actor})
		if err != nil {
			return c.ignoreRace(err, "resuming operation", op)
		}
		c.log.Info("operation resumed after recovery", "operation", op)
	}
	return nil
}

// reconcileManual follows a cell without a machine: the people run it, and the controller
// prints the labels of the units they finish, following the completions in the event log so
// that none is missed however quickly it follows the start.
func (c *Cell) reconcileManual(ctx context.Context) error {
	c.setStatus(func(s *Status) {})
	// Nothing but a person's report takes a manual cell down.
	if reported := c.reportedFault(); reported != "" {
		if err := c.takeDown(ctx, reported); err != nil {
			return err
		}
	} else if err := c.bringUp(ctx); err != nil {
		return err
	}
	if c.cfg.Labels == nil {
		return nil
	}
	for {
		events, err := c.cfg.Book.Events(ctx, book.EventFilter{Cell: c.id, AfterID: c.afterEvent, Limit: 200})
		if err != nil {
			return fmt.Errorf("reading events: %w", err)
		}
		for _, e := range events {
			if e.Kind == book.EventOperation && e.To == book.Done {
				if err := c.finishLabels(ctx, e.Operation); err != nil {
					return err
				}
			}
			c.afterEvent = e.ID
		}
		if len(events) < 200 {
			return nil
		}
	}
}

// finishLabels prints the labels of the units an operation that left the cell finished and has
// no label for yet: on a manual cell, the whole operation when it completes.
func (c *Cell) finishLabels(ctx context.Context, id int64) error {
	if c.cfg.Labels == nil {
		return nil
	}
	op, err := c.cfg.Book.Operation(ctx, id)
	if err != nil {
		return fmt.Errorf("reading operation %d: %w", id, err)
	}
	if op.State != book.Done {
		return nil
	}
	good := op.Quantity - op.Scrapped
	printed := op.UnitsDone // units counted as done had their labels printed as they were counted
	if c.cfg.Machine == nil {
		printed = 0
	}
	if good <= printed {
		return nil
	}
	// The queue entry carries the order; the operation alone does not.
	entry, err := c.entryOf(ctx, op)
	if err != nil {
		return err
	}
	c.owe(&entry, printed, good)
	return nil
}

// entryOf completes an operation with its work order's order, drop and sku.
func (c *Cell) entryOf(ctx context.Context, op book.Operation) (book.QueueEntry, error) {
	wo, err := c.cfg.Book.WorkOrder(ctx, op.WorkOrder)
	if err != nil {
		return book.QueueEntry{}, fmt.Errorf("reading work order %d: %w", op.WorkOrder, err)
	}
	return book.QueueEntry{Operation: op, OrderID: wo.OrderID, Drop: wo.Drop, SKU: wo.SKU}, nil
}

// owe queues the labels of units from+1..to of an operation and returns their serials.
func (c *Cell) owe(e *book.QueueEntry, from, to int) []string {
	if c.cfg.Labels == nil || to <= from {
		return nil
	}
	title := e.SKU
	if p, ok := c.cfg.Factory.Product(e.SKU); ok {
		title = p.Name
	}
	serials := make([]string, 0, to-from)
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := from + 1; n <= to; n++ {
		serial := fmt.Sprintf("%s-%d", e.OrderID, n)
		c.owed = append(c.owed, Label{
			SKU: e.SKU, Drop: e.Drop, Serial: serial, Title: title,
			URL: strings.ReplaceAll(c.cfg.Factory.Printing.ProvenanceURL, "{serial}", url.PathEscape(serial)),
		})
		serials = append(serials, serial)
	}
	return serials
}

// printOwed prints the labels owed, oldest first, stopping at the first failure. One caller
// prints at a time, so that no label is printed twice.
func (c *Cell) printOwed(ctx context.Context) error {
	c.printMu.Lock()
	defer c.printMu.Unlock()
	for {
		c.mu.Lock()
		if len(c.owed) == 0 {
			c.mu.Unlock()
			return nil
		}
		l := c.owed[0]
		c.mu.Unlock()
		if err := c.cfg.Labels.PrintLabel(ctx, l); err != nil {
			return fmt.Errorf("label %s: %w", l.Serial, err)
		}
		c.mu.Lock()
		c.owed = c.owed[1:]
		c.mu.Unlock()
	}
}
