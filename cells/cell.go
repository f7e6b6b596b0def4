package cells

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
)

// Machine is the Modbus device a cell controller drives; *modbus.Device of the drivers
// satisfies it.
type Machine interface {
	// Command runs one of the profile's commands (start, stop, reset) with its parameters.
	Command(ctx context.Context, name string, params map[string]float64) error
}

// Book is what a controller needs of the order book; *book.Book satisfies it.
type Book interface {
	Queue(ctx context.Context, cell string, limit int) ([]book.QueueEntry, error)
	Transition(ctx context.Context, req book.TransitionRequest) (book.TransitionResult, error)
	Progress(ctx context.Context, operation int64, done int, actor book.Actor) (book.Operation, error)
	CellDown(ctx context.Context, cell, reason string, actor book.Actor) (book.CellDownResult, error)
	CellUp(ctx context.Context, cell string, actor book.Actor) (book.CellUpResult, error)
	Hold(ctx context.Context, cell string) (book.CellHold, error)
	ReportFault(ctx context.Context, r book.CellReport) error
	ClearReport(ctx context.Context, cell string, reset book.CellReset) (bool, error)
	ReprintLabel(ctx context.Context, cell string, op int64, unit int) (book.OwedLabel, error)
	OwedLabels(ctx context.Context, cell string, limit int) ([]book.OwedLabel, int, error)
	LabelPrinted(ctx context.Context, id int64) error
	ReprintSlip(ctx context.Context, id string) (book.OwedSlip, error)
	OwedSlips(ctx context.Context, limit int) ([]book.OwedSlip, int, error)
	SlipPrinted(ctx context.Context, id int64) error

	// The summaries of the machine's readings during an operation.
	Readings(ctx context.Context, op int64) ([]book.ReadingSummary, error)
	RecordReadings(ctx context.Context, op int64, rs []book.ReadingSummary) error
	// The cell's stops: what the controller sees, and the stop it left open before a restart.
	TrackStop(ctx context.Context, cell string, c book.StopCondition) (book.Stop, error)
	OpenStop(ctx context.Context, cell string) (book.Stop, bool, error)
	// Changed returns a channel closed at the book's next write: a cell without a machine reads
	// its queue again only then.
	Changed() <-chan struct{}
	// The operation whose job was last sent to the machine (see jobCursor).
	Cursor(ctx context.Context, name string) (after int64, ok bool, err error)
	SetCursor(ctx context.Context, name string, after int64) error
}

var _ Book = (*book.Book)(nil)

// Config configures a [Cell].
type Config struct {
	Cell    configs.Cell
	Factory *configs.Factory
	// Current returns the factory as it is now, when a reload may change its products and
	// reasons while the controller runs (book.Book.Factory); nil: Factory, for good.
	Current func() *configs.Factory
	Book    Book
	// Machine is the cell's Modbus device, described by Device (its id) and Profile; nil for a
	// manual cell.
	Machine Machine
	Device  string
	Profile *profiles.Profile
	// Labels is the cell's label printer, nil when it holds none.
	Labels LabelPrinter
	// Slips is the studio's printer of parcel slips when the cell holds it, nil otherwise;
	// SlipURL is then a repair's staff page, "{id}" standing for the repair's id.
	Slips   SlipPrinter
	SlipURL string
	// Tick is how often the controller looks at the book and the machine (default 250ms); it
	// reconciles them when something changed since the last time.
	Tick time.Duration
	// LostAfter is how long without an answer from the machine counts as a lost connection
	// (default 3s).
	LostAfter time.Duration
	// RecordEvery is how often the summaries of a running job's readings are written to the
	// book (default 1m): what a restart of the daemon loses of them at most. They are written
	// too when the job pauses, ends or leaves the machine, and when Run returns.
	RecordEvery time.Duration
	Logger      *slog.Logger
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
	seen    bool               // a reading of the machine's state has arrived
	lastOK  time.Time          // when the last good reading of the state arrived
	lastErr error
	started time.Time
	status  Status
	owed    int // labels the cell owes, as last read
	// slipsOwed is how many parcel slips are owed, as last read (when the cell holds the slip
	// printer).
	slipsOwed int
	// reported is the down reason of a fault a person reported, "" when none: it keeps the
	// cell down until Reset. The book stores it; this is the controller's copy.
	reported string
	// reportedCode is the code of the factory's fault reason it was reported with.
	reportedCode string
	// stale is set when something happened since the last reconcile that calm does not show
	// (see wake and unsettle): the next tick reconciles in full.
	stale bool
	// labelsPrinted and slipsPrinted are the labels and slips on paper whose record the book
	// could not take yet (see forgetPrinted); under printMu.
	labelsPrinted, slipsPrinted []int64

	// printMu serializes printOwed and printOwedSlips: Run's goroutine and ReprintLabel's and
	// ReprintSlip's callers all print, on one printer.
	printMu sync.Mutex
	// reportMu serializes reports and resets: each writes the book, then reported, and one
	// must not slip in between the two steps of another, or the book and the controller would
	// disagree on whether a report holds the cell.
	reportMu sync.Mutex

	// Controller state, touched by Run's goroutine only (and Restore before Run).
	job      *job
	down     string // why the cell is out of service, as the book stores it; "" when up
	restored bool   // down and reported were read from the book
	// stop is the condition last recorded in the book (see trackStop), once stopKnown.
	stop      book.StopCondition
	stopKnown bool
	// queueRead, for a cell without a machine, is closed once the book changed since its queue
	// was last read for its stops; nil when it must be read.
	queueRead <-chan struct{}
	// kept are the summaries of readings of stopped jobs the book could not take yet, oldest
	// first (see writeKept).
	kept []*recorder
	// calm is what the last reconcile that left the cell waiting was done with (see quiet).
	calm calm
}

// job is the machine's current job, as the controller gave it.
type job struct {
	op     int64
	base   int       // units done before the machine's count started
	sentAt time.Time // readings older than this describe an earlier job
	stop   bool      // the controller stopped the machine (a person paused the operation)
	rec    *recorder // the summaries of its readings, nil until read from the book
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
	LabelsOwed int `json:"labels_owed,omitempty"`
	// SlipsOwed counts parcel slips waiting for the printer the cell holds.
	SlipsOwed int       `json:"slips_owed,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Elsewhere is true when another daemon on the same database drives the cell now: the
	// status then says nothing more (ask that daemon, or the book).
	Elsewhere bool `json:"elsewhere,omitempty"`
}

// New returns the controller of a cell.
func New(cfg Config) (*Cell, error) {
	if cfg.Current == nil && cfg.Factory != nil {
		f := cfg.Factory
		cfg.Current = func() *configs.Factory { return f }
	}
	if cfg.Book == nil || cfg.Factory == nil {
		return nil, errors.New("cells: a controller needs the book and the factory")
	}
	if cfg.Machine != nil && cfg.Profile == nil {
		return nil, fmt.Errorf("cell %s: machine %s has no profile", cfg.Cell.ID, cfg.Device)
	}
	if cfg.Slips != nil && cfg.SlipURL == "" {
		return nil, fmt.Errorf("cell %s: a slip printer needs the URL of a repair's page", cfg.Cell.ID)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.LostAfter <= 0 {
		cfg.LostAfter = 3 * time.Second
	}
	if cfg.RecordEvery <= 0 {
		cfg.RecordEvery = time.Minute
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
// error that kept it from being read. The driver calls it for every poll. The controller
// reconciles at once when a value changed or the machine answers again; a reading that
// changes nothing waits for the tick, which does nothing then either (see quiet).
func (c *Cell) Observe(values map[string]float64, at time.Time, err error) {
	c.mu.Lock()
	changed := false
	if err != nil {
		c.lastErr = err
	} else {
		if c.values == nil {
			c.values = make(map[string]float64, len(values))
		}
		for k, v := range values {
			if old, ok := c.values[k]; !ok || old != v {
				c.values[k] = v
				changed = true
			}
		}
		// Only a reading of the machine's state tells what the machine is doing: a poll group
		// without it (a set-up read every few seconds) answering first would have the state
		// read as 0, and a cell held down for a fault come up.
		if _, ok := values[c.cfg.Profile.StateRegister]; ok {
			online, _ := c.presence(at)
			changed = changed || !online || c.lastErr != nil
			c.seen = true
			c.lastOK = at
			c.lastErr = nil // the error of the state's own reads, which says why it was lost
		}
	}
	c.mu.Unlock()
	if changed {
		c.wake()
	}
}

// ErrManual is returned when a machine command is asked of a cell without a machine.
var ErrManual = errors.New("the cell has no machine")

// ErrElsewhere is returned (wrapped) by a command to a cell that another daemon on the same
// database drives now: the command belongs to that daemon, whose address the client knows.
var ErrElsewhere = errors.New("another daemon drives the cell now: send the command to it")

// wake makes Run reconcile now rather than at the next tick, in full.
func (c *Cell) wake() {
	c.unsettle()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Status returns what the cell is doing.
func (c *Cell) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Values = maps.Clone(s.Values)
	s.LabelsOwed = c.owed
	s.SlipsOwed = c.slipsOwed
	return s
}

// Run reconciles the cell's queue and its machine every tick and as soon as a reading of the
// machine changed, when something changed since (see quiet), until ctx is cancelled. It
// returns nil then.
func (c *Cell) Run(ctx context.Context) error {
	c.mu.Lock()
	c.started = c.now()
	c.mu.Unlock()
	if !c.restored {
		if err := c.Restore(ctx); err != nil {
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
			c.keepReadings(ctx)
			return nil
		case <-t.C:
		case <-c.kick:
		}
	}
}

// Restore reads what the book holds of the cell: whether it is out of service and why, and a
// fault a person reported. The controller goes on from there as it would have without a
// restart: a cell down for a machine fault stays down until the machine is read and found
// well, one down for a reported fault until Reset, and the operation the fault paused resumes
// when the cell comes back (see [book.Book.CellUp]). Call it before the API takes reports and
// before Run; Run restores if it was not.
func (c *Cell) Restore(ctx context.Context) error {
	h, err := c.cfg.Book.Hold(ctx, c.id)
	if err != nil {
		return fmt.Errorf("cell %s: %w", c.id, err)
	}
	if err := c.restoreStop(ctx); err != nil {
		return err
	}
	c.restored = true
	c.down = h.Down
	c.mu.Lock()
	if c.reported == "" {
		c.reported, c.reportedCode = h.Reported, h.ReportedCode
	}
	c.mu.Unlock()
	c.setStatus(func(s *Status) { s.Down = h.Down })
	if h.Down != "" || h.Reported != "" {
		c.log.Warn("cell out of service since before the start", "reason", h.Down, "reported", h.Reported)
	}
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

	// faultName is the fault as the profile names it (its Faults value), or as fault says it
	// when the profile names none.
	faultName string
}

func (c *Cell) view() machineView {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	v := machineView{at: c.lastOK, lastErr: c.lastErr, values: maps.Clone(c.values)}
	if v.online, v.unknown = c.presence(now); !v.online {
		return v
	}
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
				v.fault, v.faultName = fmt.Sprintf("%s (code %d)", n, fc), n
			} else {
				v.fault = fmt.Sprintf("fault code %d", fc)
			}
		}
	}
	if v.faultName == "" {
		v.faultName = v.fault
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

// reconcileAll prints what is owed, writes the readings kept, and makes the book and the
// machine agree (see the package doc's Who wins). It reports whether the prints went through:
// a print that failed is tried again at the next tick.
func (c *Cell) reconcileAll(ctx context.Context) (printed bool, err error) {
	printed = true
	if err := c.printOwed(ctx); err != nil {
		c.log.Warn("printing labels", "err", err)
		printed = false
	}
	if err := c.printOwedSlips(ctx); err != nil {
		c.log.Warn("printing parcel slips", "err", err)
		printed = false
	}
	if err := c.writeKept(ctx); err != nil {
		return printed, err
	}
	if c.cfg.Machine == nil {
		return printed, c.reconcileManual(ctx)
	}
	return printed, c.reconcileMachine(ctx)
}

// reconcileMachine makes the book and the machine of a cell with one agree.
func (c *Cell) reconcileMachine(ctx context.Context) error {
	v := c.view()
	c.setStatus(func(s *Status) {
		s.Online, s.Machine, s.Fault, s.Values = v.online, v.state, v.fault, v.values
		if c.job != nil {
			s.Operation = c.job.op
		} else {
			s.Operation = 0
		}
	})
	if reported, code := c.report(); reported != "" {
		// A person's report beats the machine's word: the cell stays down until Reset.
		if err := c.takeDown(ctx, reported); err != nil {
			return err
		}
		if err := c.stopForReport(ctx, v); err != nil {
			return err
		}
		return c.trackStop(ctx, c.reportedStop(code))
	}
	if v.unknown {
		return nil
	}
	if !v.online {
		reason := fmt.Sprintf("no answer from device %s", c.cfg.Device)
		if v.lastErr != nil {
			reason += ": " + v.lastErr.Error()
		}
		if err := c.takeDown(ctx, reason); err != nil {
			return err
		}
		return c.trackStop(ctx, book.StopCondition{Kind: book.StopLost, Operation: c.jobOp()})
	}
	if v.state == configs.StateFault {
		if err := c.takeDown(ctx, fmt.Sprintf("device %s in fault: %s", c.cfg.Device, v.fault)); err != nil {
			return err
		}
		return c.trackStop(ctx, c.faultStop(v.faultName))
	}
	// A machine read working, or done, went on with its job while the cell was down (the
	// connection was lost, not the job): the job goes on.
	if err := c.bringUp(ctx, v.running() || v.state == configs.StateDone); err != nil {
		return err
	}
	head, err := c.followQueue(ctx, v)
	if err != nil || (head != nil && head.State == book.Done) {
		return err // a head just completed: the next one is read on the next tick
	}
	return c.trackStop(ctx, c.queueStop(head, &v))
}

// followQueue makes the machine, online, well and its cell up, do what the head of the cell's
// queue asks: it stops a job whose operation left the machine, starts or goes on with the
// head's job, and stops the machine for a paused head (v is what the machine was last read
// doing). It returns the head as it left it (state Done when it completed it), nil when the
// queue is empty.
func (c *Cell) followQueue(ctx context.Context, v machineView) (*book.QueueEntry, error) {
	q, err := c.cfg.Book.Queue(ctx, c.id, 2) // the head, and whether another is held (see adopt)
	if err != nil {
		return nil, fmt.Errorf("reading queue: %w", err)
	}
	var head *book.QueueEntry
	if len(q) > 0 {
		head = &q[0]
	}
	if j := c.job; j != nil && (head == nil || head.ID != j.op || head.State == book.Queued) {
		// The job's operation left the machine: a person completed or scrapped it.
		if v.running() {
			if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
				return nil, fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
			}
		}
		c.log.Info("job left the machine", "operation", j.op)
		if err := c.closeReadings(ctx, j); err != nil {
			c.log.Warn("recording the readings of the job that left the machine", "operation", j.op, "err", err)
		}
		c.job = nil
	}
	if head == nil {
		return nil, nil
	}
	switch head.State {
	case book.Queued:
		if !v.ready() || c.job != nil || !c.cfg.Cell.AutoStart {
			// With AutoStart off the job waits for a person to start it (the material must
			// be loaded first); the book then says Running and the machine is told.
			return head, nil
		}
		res, err := c.cfg.Book.Transition(ctx, book.TransitionRequest{
			Operation: head.ID, Action: book.ActionStart, Actor: c.actor, Version: head.Version})
		if err != nil {
			return head, c.ignoreRace(err, "starting operation", head.ID)
		}
		head.Operation = res.Operation
		return head, c.runJob(ctx, head, v)
	case book.Running:
		return head, c.runJob(ctx, head, v)
	case book.Paused:
		return head, c.pause(ctx, q, v)
	}
	return head, nil
}

// pause stops the machine while the head of the queue q is paused, recording the units its job
// made first (v is what the machine was last read doing).
func (c *Cell) pause(ctx context.Context, q []book.QueueEntry, v machineView) error {
	head := &q[0]
	if c.job == nil && v.running() {
		c.adopt(q, v)
		if c.job == nil {
			// a job of an operation that cannot be told: it stops all the same
			if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
				return fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
			}
			return nil
		}
	}
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
			if err := c.closeReadings(ctx, j); err != nil {
				c.log.Warn("recording the paused job's readings", "operation", head.ID, "err", err)
			}
		}
	}
	return nil
}

// adopt takes the job the machine is running as the head of the queue's, q being the queue's
// first entries: the daemon restarted under it. The units the machine counts from now on add to
// what the head had done when its job was sent. Only when the head is the one operation held at
// the cell (running, or paused) is the machine's job known to be its: with two paused, the
// machine may be running either, and its count is credited to neither (the controller stops
// the machine all the same, and the job is sent again when it resumes).
func (c *Cell) adopt(q []book.QueueEntry, v machineView) {
	head := q[0]
	if len(q) > 1 && q[1].State != book.Queued {
		c.log.Warn("the machine runs a job of one of several paused operations: its count is not credited",
			"operation", head.ID, "also", q[1].ID)
		return
	}
	c.job = &job{op: head.ID, base: max(0, head.UnitsDone-v.units)}
	c.log.Info("adopted the machine's running job", "operation", head.ID)
}

// ignoreRace logs the errors that mean someone else acted first: they are settled on the next
// tick.
func (c *Cell) ignoreRace(err error, what string, op int64) error {
	var te *book.TransitionError
	var busy *book.CellBusyError
	var stale *book.StaleError
	if errors.As(err, &te) || errors.As(err, &busy) || errors.As(err, &stale) {
		c.log.Debug(what+": someone acted first", "operation", op, "err", err)
		c.unsettle()
		return nil
	}
	return fmt.Errorf("%s %d: %w", what, op, err)
}

// runJob drives a running operation on the machine.
func (c *Cell) runJob(ctx context.Context, head *book.QueueEntry, v machineView) error {
	j := c.job
	if j == nil && v.running() {
		c.adopt([]book.QueueEntry{*head}, v) // a cell runs one operation at a time
		return nil
	}
	j, err := c.adoptFinished(ctx, head, v)
	if err != nil {
		return err
	}
	if j == nil || j.stop {
		if !v.ready() {
			return nil
		}
		left := head.Quantity - head.Scrapped - head.UnitsDone
		if left <= 0 {
			if c.checked(head) {
				return nil // its units wait for a person's check
			}
			return c.complete(ctx, head)
		}
		params, err := c.params(head, left)
		if err != nil {
			return err
		}
		if err := c.cfg.Machine.Command(ctx, configs.CommandStart, params); err != nil {
			return fmt.Errorf("starting operation %d on device %s: %w", head.ID, c.cfg.Device, err)
		}
		c.recordSent(ctx, head.ID)
		// A job sent again after a pause or a fault goes on with the readings the book holds.
		c.job = &job{op: head.ID, base: head.UnitsDone, sentAt: c.now()}
		c.log.Info("job sent to the machine", "operation", head.ID, "units", left)
		return nil
	}
	if !v.at.After(j.sentAt) {
		return nil // the readings still describe the machine before the job was sent
	}
	if v.running() {
		c.sample(ctx, j, v)
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
		if c.checked(head) {
			// A person checks the units and completes the step with the checklist; the
			// machine stays done meanwhile.
			return nil
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
	return op.UnitsDone, nil
}

func (c *Cell) complete(ctx context.Context, head *book.QueueEntry) error {
	if j := c.job; j != nil && j.op == head.ID {
		// The readings are written first, so that a completed operation's record is whole. A
		// summary the book refuses would be refused again: the operation completes without it.
		if err := c.closeReadings(ctx, j); errors.Is(err, book.ErrInvalid) {
			c.log.Error("the book refused the job's readings: the operation completes without them", "operation", head.ID, "err", err)
		} else if err != nil {
			return err
		}
	}
	_, err := c.cfg.Book.Transition(ctx, book.TransitionRequest{
		Operation: head.ID, Action: book.ActionComplete, Actor: c.actor})
	if err != nil {
		return c.ignoreRace(err, "completing operation", head.ID)
	}
	c.log.Info("operation complete", "operation", head.ID, "units", head.UnitsDone)
	c.job = nil
	head.State = book.Done
	return nil
}

// params are the start command's parameters: the routing step's, the profile's defaults for
// what the step leaves out, and the units to make.
func (c *Cell) params(head *book.QueueEntry, units int) (map[string]float64, error) {
	p, ok := c.cfg.Current().Product(head.SKU)
	if !ok || head.Step >= len(p.Routing) {
		return nil, fmt.Errorf("operation %d: no routing step %d for sku %s", head.ID, head.Step, head.SKU)
	}
	out := maps.Clone(c.cfg.Profile.Defaults)
	if out == nil {
		out = map[string]float64{}
	}
	maps.Copy(out, p.Routing[head.Step].Params)
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
	if err := c.closeReadings(ctx, c.job); err != nil {
		c.log.Warn("recording the readings of the job the fault stopped", "err", err)
	}
	c.log.Warn("cell down", "reason", reason, "paused", res.Paused, "requeued", res.Requeued, "dispatched", res.Dispatched)
	return nil
}

// bringUp brings the cell back into service; the book resumes the operation the fault paused
// in the same transaction. The machine's job goes on when jobLives (the machine ran it on, or
// ended it, while the cell was down) and the controller did not stop it; otherwise what is left
// of it is sent again.
func (c *Cell) bringUp(ctx context.Context, jobLives bool) error {
	if c.down == "" {
		return nil
	}
	res, err := c.cfg.Book.CellUp(ctx, c.id, c.actor)
	if err != nil {
		return fmt.Errorf("bringing cell up: %w", err)
	}
	c.log.Info("cell recovered", "was", c.down, "resumed", res.Resumed, "dispatched", res.Dispatched)
	c.down = ""
	c.setStatus(func(s *Status) { s.Down = "" })
	if c.job != nil && !jobLives {
		// The machine's job did not survive the fault: send what is left again.
		c.job.stop = true
	}
	return nil
}

// reconcileManual follows a cell without a machine: the people run it, and nothing but a
// person's report takes it down. The book owes the labels of the units they finish.
func (c *Cell) reconcileManual(ctx context.Context) error {
	c.setStatus(func(s *Status) {})
	if reported, code := c.report(); reported != "" {
		c.queueRead = nil
		if err := c.takeDown(ctx, reported); err != nil {
			return err
		}
		return c.trackStop(ctx, c.reportedStop(code))
	}
	if err := c.bringUp(ctx, false); err != nil {
		return err
	}
	// Its stops follow the queue alone: the operations' start, pause and completion, which are
	// writes to the book. Nothing written since the last read, nothing changed.
	if c.queueRead != nil {
		select {
		case <-c.queueRead:
		default:
			return nil
		}
	}
	changed := c.cfg.Book.Changed() // before the read: a write after it closes this one
	q, err := c.cfg.Book.Queue(ctx, c.id, 1)
	if err != nil {
		c.queueRead = nil
		return fmt.Errorf("reading queue: %w", err)
	}
	var head *book.QueueEntry
	if len(q) > 0 {
		head = &q[0]
	}
	if err := c.trackStop(ctx, c.queueStop(head, nil)); err != nil {
		c.queueRead = nil
		return err
	}
	c.queueRead = changed
	return nil
}

// keepReadings writes what the book does not hold yet of the running job's readings as Run
// returns (ctx is done), leaving its hold open: the machine may go on, and the next
// controller with it.
func (c *Cell) keepReadings(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.writeKept(wctx); err != nil {
		c.log.Warn("recording the readings of stopped jobs at shutdown", "jobs", len(c.kept), "err", err)
	}
	j := c.job
	if j == nil || j.rec == nil {
		return
	}
	if err := c.writeReadings(wctx, j.rec); err != nil {
		c.log.Warn("recording the job's readings at shutdown", "operation", j.op, "err", err)
	}
}
