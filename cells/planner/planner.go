// Package planner keeps the floor's plan: it turns the order book's open work into a
// scheduling problem, has the scheduler plan it, and re-plans when the book changes (a batch
// imported, a cell down or back, an operation started, finished early or late). The book
// follows the plan: it queues ready work at the planned cell and orders every cell's queue by
// planned start. Promise checks (a batch's, a repair's) are answered from plans of their own,
// which the floor does not follow.
//
// It imports the order book, the factory model and the scheduler; it must not import api,
// drivers, telemetry or any store implementation.
package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/scheduler"
)

// Book is what the planner reads of the order book; *book.Book is one.
type Book interface {
	// OpenWork returns every open work order with its operations and the id of the latest
	// event the snapshot includes.
	OpenWork(ctx context.Context) ([]book.OpenWork, int64, error)
	// Events lists the event log.
	Events(ctx context.Context, f book.EventFilter) ([]book.Event, error)
	// DownCells returns the cells out of service, with the reason.
	DownCells() map[string]string
}

var _ Book = (*book.Book)(nil)

// Config is what a Planner needs.
type Config struct {
	Book    Book
	Factory *configs.Factory
	// Current returns the factory as it is now, when a reload may change its cells, drops and
	// working hours while the planner runs (book.Book.Factory); nil: Factory, for good. Each
	// plan reads it once.
	Current func() *configs.Factory
	Logger  *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Interval is how often Run looks for changes in the book (default 1s).
	Interval time.Duration
	// Search is how long the scheduler searches for a better plan after the book's work
	// changed: a batch imported, an operation finished, a cell down or back (default 300ms).
	// Smaller changes, such as progress on a running operation, only re-time the plan.
	Search time.Duration
	// Refresh re-times the plan even when nothing changed, since running work and the clock
	// move on (default 1m).
	Refresh time.Duration
	// Seed makes the search reproducible for the same book.
	Seed int64
	// Background is the share of one core the planner may use to keep improving the plan while
	// the book is quiet, after the search that follows a change of the work (0.5: half of one
	// core; values above 1 mean 1). Run then searches on in the background, from the best plan
	// found, publishing each better plan as it finds one; it gives way to re-plans and promise
	// checks. Zero or less: no background search.
	Background float64
	// Patience is how much the background search searches without finding a better plan
	// before it stops, until the work changes again (default 1m of search: two minutes of wall
	// time at half a core).
	Patience time.Duration
	// Quiet is how long no plan must have been published (no re-plan, no re-time) before the
	// background search starts searching from the current one (default 3s). On a floor whose
	// plan is re-timed every few seconds, a round would be stopped half done each time.
	Quiet time.Duration
	// AssumedRepair is how long a cell in fault is assumed to stay down when some planned work
	// can only run there (work paused on it, or a capability no other cell offers); other
	// work plans around a faulted cell as if it never came back (default 1h).
	AssumedRepair time.Duration
}

// Planner holds the current plan. It is safe for concurrent use.
type Planner struct {
	cfg Config
	log *slog.Logger

	mu   sync.RWMutex
	plan *Plan

	replanMu sync.Mutex // one re-plan at a time

	busy     atomic.Int64 // re-plans and promise checks under way
	bgMu     sync.Mutex
	bgNext   *bgBase            // the plan the background search goes on from, once it wakes
	bgWake   chan struct{}      // wakes the background search for bgNext
	bgCancel context.CancelFunc // stops the background search's session under way
	bgStatus BackgroundStatus
}

// New returns a Planner for a validated factory; it holds no plan until the first Replan.
func New(cfg Config) *Planner {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Search <= 0 {
		cfg.Search = 300 * time.Millisecond
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = time.Minute
	}
	if cfg.AssumedRepair <= 0 {
		cfg.AssumedRepair = time.Hour
	}
	cfg.Background = min(cfg.Background, 1)
	if cfg.Patience <= 0 {
		cfg.Patience = time.Minute
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 3 * time.Second
	}
	if cfg.Current == nil {
		f := cfg.Factory
		cfg.Current = func() *configs.Factory { return f }
	}
	return &Planner{cfg: cfg, log: cfg.Logger, bgWake: make(chan struct{}, 1)}
}

// Plan is one plan of the floor: a slot for every open operation that is not done, the
// predicted completion of every open work order and drop, and the objective figures.
type Plan struct {
	At time.Time `json:"planned_at"`
	// EventID is the latest event of the book the plan has seen.
	EventID int64 `json:"event_id"`
	// Late counts the open work orders predicted to end after their due date; Tardiness is
	// the sum of how late they are.
	Late        int           `json:"late_work_orders"`
	Tardiness   time.Duration `json:"-"`
	Makespan    time.Time     `json:"makespan,omitzero"`
	Changeovers int           `json:"changeovers"`
	// Drops are the predictions per drop with open work, in drop date order. A repair's work
	// orders belong to no drop: they are in Repairs.
	Drops []DropForecast `json:"drops"`
	// Repairs are the predictions of the open work orders of repairs (a diagnosis, or the
	// services approved), by due date.
	Repairs []RepairForecast `json:"repairs"`

	slots    map[int64]book.Slot // by operation id
	owner    map[int64]int       // the job of each planned operation, by operation id
	finish   map[int64]time.Time // by work order id
	schedule scheduler.Schedule
	jobs     []job    // the problem's jobs, for the next repair
	cells    []string // the cells of the schedule's machines, by index (a reload may add cells)
}

// DropForecast is a drop's predicted completion.
type DropForecast struct {
	Drop string    `json:"drop"`
	Date time.Time `json:"date"`
	// Completion is when the drop's last open work order is predicted to end.
	Completion time.Time `json:"predicted_completion,omitzero"`
	// OnTime says whether the drop ships on its date: its last open work order is predicted to
	// end by then. It is about the drop's date alone: an order due before it (a rush order)
	// may still be late against its own due date while the drop ships on time; Late lists
	// those.
	OnTime bool `json:"on_time"`
	Open   int  `json:"open_work_orders"`
	// Late lists the work orders predicted to end after their own due date, latest first.
	Late []LateOrder `json:"late"`
}

// RepairForecast is the predicted end of an open work order of a repair against its due date:
// for the diagnosis, the day intake promised it; for the services, the date the customer
// approved.
type RepairForecast struct {
	// Repair is the repair's id; OrderID is the work order's order (the repair's id for its
	// diagnosis, the repair's id and "-W" for its services).
	Repair    string    `json:"repair"`
	OrderID   string    `json:"order_id"`
	WorkOrder int64     `json:"work_order,omitempty"` // zero for a candidate not yet made
	Due       time.Time `json:"due"`
	Predicted time.Time `json:"predicted_end"`
	// Late says whether it is predicted to end after its due date, LateBy by how much.
	Late   bool    `json:"late"`
	LateBy Seconds `json:"late_by_s"`
}

// LateOrder is a work order predicted to be late.
type LateOrder struct {
	WorkOrder int64     `json:"work_order,omitempty"` // zero for a candidate not yet imported
	OrderID   string    `json:"order_id"`
	Due       time.Time `json:"due"`
	Predicted time.Time `json:"predicted_end"`
	LateBy    Seconds   `json:"late_by_s"`
}

// Seconds is a duration that JSON shows in whole seconds.
type Seconds time.Duration

// MarshalJSON writes the duration in seconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(time.Duration(s)/time.Second), 10), nil
}

// Slot returns where and when the current plan puts an operation. The book calls it.
func (p *Planner) Slot(op int64) (book.Slot, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.plan == nil {
		return book.Slot{}, false
	}
	s, ok := p.plan.slots[op]
	return s, ok
}

// Current returns the current plan, nil before the first.
func (p *Planner) Current() *Plan {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.plan
}

// Slots returns the current plan's slots of the operations planned at a cell (every cell
// when cell is empty), by planned start, with the operation ids.
func (pl *Plan) Slots(cell string) []OperationSlot {
	var out []OperationSlot
	for id, s := range pl.slots {
		if cell == "" || s.Cell == cell {
			out = append(out, OperationSlot{Operation: id, Slot: s})
		}
	}
	slices.SortFunc(out, func(a, b OperationSlot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.Operation - b.Operation)
	})
	return out
}

// OperationSlot is an operation's planned slot.
type OperationSlot struct {
	Operation int64 `json:"operation"`
	book.Slot
}

// WorkSlot is a planned operation with the work order it belongs to.
type WorkSlot struct {
	Operation int64
	WorkOrder int64
	OrderID   string
	Drop      string
	// Due is the work order's due date: the operation is late when it is planned to end after
	// it.
	Due time.Time
	book.Slot
}

// Window returns the slots that overlap [from, to), by cell and then planned start, with
// their work orders: what a Gantt chart of the window draws.
func (pl *Plan) Window(from, to time.Time) []WorkSlot {
	var out []WorkSlot
	for id, s := range pl.slots {
		if !s.End.After(from) || !s.Start.Before(to) {
			continue
		}
		j := pl.jobs[pl.owner[id]]
		out = append(out, WorkSlot{Operation: id, WorkOrder: j.workOrder, OrderID: j.orderID, Drop: j.drop, Due: j.due, Slot: s})
	}
	slices.SortFunc(out, func(a, b WorkSlot) int {
		if c := strings.Compare(a.Cell, b.Cell); c != 0 {
			return c
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.Operation - b.Operation)
	})
	return out
}

// Finish returns the predicted completion of an open work order.
func (pl *Plan) Finish(workOrder int64) (time.Time, bool) {
	t, ok := pl.finish[workOrder]
	return t, ok
}

// job is one job of a problem: a work order (or a candidate) and the routing positions of
// the operations it plans.
type job struct {
	id        string // scheduler job id
	workOrder int64
	orderID   string
	drop      string
	due       time.Time
	ops       []int64 // operation ids, zero for a candidate's
	seqs      []int   // routing positions
}

// Replan plans the book's open work again: it repairs the previous plan to the book as it is
// now (moving only what must move) and, when search is set, searches for a better one for
// that long. The first plan is the scheduler's earliest-due-date dispatch (under a second for
// 50,000 work orders; reading them from the book takes longer): it becomes the current plan at
// once, and the search, when set, goes on from it.
func (p *Planner) Replan(ctx context.Context, search bool) error {
	defer p.floorRequest()()
	p.replanMu.Lock()
	defer p.replanMu.Unlock()
	began := time.Now()
	work, eventID, err := p.cfg.Book.OpenWork(ctx)
	if err != nil {
		return fmt.Errorf("reading open work: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	read := time.Since(began)
	now := p.cfg.Now()
	b := p.build(now, work, nil)
	// publish makes s the current plan; resume says that the background search starts again
	// from it, the work having changed.
	publish := func(s scheduler.Schedule, resume bool) {
		plan := b.result(now, s)
		plan.EventID = eventID
		p.mu.Lock()
		p.plan = plan
		p.mu.Unlock()
		p.rebase(b, plan, resume)
	}
	prev := p.Current()
	s, err := p.start(b, prev)
	if err != nil {
		return err
	}
	if prev == nil {
		publish(s, false) // the search, when set, publishes the plan the background goes on from
		p.log.Info("first plan made", "work_orders", len(b.jobs), "late", s.Late,
			"took", time.Since(began).Round(time.Millisecond), "reading_the_book", read.Round(time.Millisecond))
	}
	if search {
		if s, err = p.improve(ctx, b, s); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil && prev == nil {
			return nil // stopping: the dispatched plan stands
		}
	}
	if prev != nil || search {
		publish(s, search)
	}
	return nil
}

// start returns a first schedule of problem b: the previous plan repaired to it, or without one
// the earliest-due-date dispatch.
func (p *Planner) start(b *builder, prev *Plan) (scheduler.Schedule, error) {
	if prev == nil {
		s, err := scheduler.Dispatch(b.problem)
		if err != nil {
			return s, fmt.Errorf("planning %d work orders: %w", len(b.jobs), err)
		}
		return s, nil
	}
	s, err := scheduler.Repair(b.problem, b.translate(prev))
	if err != nil {
		return s, fmt.Errorf("re-planning %d work orders: %w", len(b.jobs), err)
	}
	return s, nil
}

// improve searches for a better schedule of problem b than s for the configured time, or until
// ctx ends.
func (p *Planner) improve(ctx context.Context, b *builder, s scheduler.Schedule) (scheduler.Schedule, error) {
	opts := scheduler.Options{TimeLimit: p.cfg.Search, Seed: p.cfg.Seed, Workers: 1}
	better, err := scheduler.Improve(ctx, b.problem, s, opts)
	if err != nil {
		return s, fmt.Errorf("improving the plan of %d work orders: %w", len(b.jobs), err)
	}
	return better, nil
}

// Run re-plans whenever the book changes, until ctx ends: it looks every Interval, searches
// after changes to the work, and only re-times after progress. With Config.Background it also
// keeps improving the plan in the background while the book is quiet. It always returns nil
// once ctx ends, after the background search has stopped; failures are logged and retried at
// the next look.
func (p *Planner) Run(ctx context.Context) error {
	if p.cfg.Background > 0 {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.background(ctx)
		}()
		defer wg.Wait()
	}
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	var lastRefresh time.Time
	for {
		if err := p.step(ctx, &lastRefresh); err != nil && ctx.Err() == nil {
			p.log.Warn("re-planning failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// eventPage is the most events step reads to decide how to re-plan.
const eventPage = 1000

// step re-plans if the book changed since the current plan, or the plan is older than
// Refresh.
func (p *Planner) step(ctx context.Context, lastRefresh *time.Time) error {
	cur := p.Current()
	if cur == nil {
		*lastRefresh = p.cfg.Now()
		return p.Replan(ctx, true)
	}
	events, err := p.cfg.Book.Events(ctx, book.EventFilter{AfterID: cur.EventID, Limit: eventPage})
	if err != nil {
		return fmt.Errorf("reading events: %w", err)
	}
	// Much has changed when a page is full; but a stop's event changes nothing of the plan.
	search := false
	changed := 0
	for _, e := range events {
		if book.IsStopEvent(e.Kind) {
			continue
		}
		changed++
		switch e.Kind {
		case book.EventOperationProgress:
		case book.EventOperation:
			search = search || e.To == book.Done || e.To == book.Scrapped || e.To == book.Ready
		default:
			search = true
		}
	}
	search = search || (len(events) == eventPage && changed > 0)
	if changed == 0 && p.cfg.Now().Sub(*lastRefresh) < p.cfg.Refresh {
		return nil
	}
	*lastRefresh = p.cfg.Now()
	return p.Replan(ctx, search)
}

// Promise answers whether a drop still ships on its date if the candidate work orders were
// added to the book: it plans them with the open work, as a repair of the current plan followed
// by the search, without changing the current plan or the book.
func (p *Planner) Promise(ctx context.Context, drop string, cands []book.Candidate) (DropForecast, error) {
	d, ok := p.cfg.Current().Drop(drop)
	if !ok {
		return DropForecast{}, fmt.Errorf("%w: %q", book.ErrUnknownDrop, drop)
	}
	now, b, err := p.trialProblem(ctx, cands)
	if err != nil {
		return DropForecast{}, err
	}
	plan, err := p.trial(ctx, b, p.Current(), now, true)
	if err != nil {
		return DropForecast{}, err
	}
	for _, f := range plan.Drops {
		if f.Drop == drop {
			return f, nil
		}
	}
	// Nothing of the drop is open: it is done, or the batch was empty.
	return DropForecast{Drop: drop, Date: d.Date, OnTime: true, Late: []LateOrder{}}, nil
}

// trialProblem reads the open work and makes the problem of it with the candidates, at the
// current time: the first half of a promise check.
func (p *Planner) trialProblem(ctx context.Context, cands []book.Candidate) (time.Time, *builder, error) {
	defer p.floorRequest()()
	work, _, err := p.cfg.Book.OpenWork(ctx)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("reading open work: %w", err)
	}
	now := p.cfg.Now()
	return now, p.build(now, work, cands), nil
}

// trial plans problem b as a repair of prev (the current plan, nil before the first) and, when
// search is set, searches for a better plan for the configured time; the plan it returns does
// not become the current one. It returns ctx's error once ctx has ended.
func (p *Planner) trial(ctx context.Context, b *builder, prev *Plan, now time.Time, search bool) (*Plan, error) {
	defer p.floorRequest()()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := p.start(b, prev)
	if err != nil {
		return nil, err
	}
	if search {
		if s, err = p.improve(ctx, b, s); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.result(now, s), nil
}

// WorkPromise is when one candidate work order would be done: planned as normal work
// (Standard) and ahead of the queue (Express).
type WorkPromise struct {
	Standard time.Time `json:"standard"`
	Express  time.Time `json:"express"`
}

// Priorities of a promised work order: normal work, and work that goes ahead of the queue.
const (
	StandardPriority = 1
	ExpressPriority  = 9
)

// ErrNoCell says that no cell of the floor offers a capability some work needs.
var ErrNoCell = errors.New("no cell offers the capability")

// promised is the work order id a promise check gives its candidate in the plans it makes, so
// that they report its finish (Plan.Finish): the book's ids are positive.
const promised int64 = -1

// PromiseWork predicts when one candidate work order (a repair's: its operations given,
// quantity 1) would be done if it were added to the book now, planned two ways. Each date comes
// from a plan of the open work and the candidate made as a repair of the current plan: what is
// planned keeps its cell and its place in the cell's order, and the candidate is inserted as
// new work is when it arrives, at each of its cells behind the planned work due no later than
// it, on the cell where it ends first. Neither plan searches for a better one, so that each
// date depends on the candidate's place in the queues alone; neither changes the current plan
// or the book.
//
//   - Standard is its completion as normal work: priority StandardPriority, due just after the
//     latest due date of the open work (or now when there is none), so that it takes its turn
//     behind everything planned at its cells.
//   - Express is its completion ahead of the queue: priority ExpressPriority, due now, so that
//     it goes before every operation waiting at its cells but the overdue ones; it waits only
//     for what runs there and for work already late.
//
// Both keep the cells' working hours and plan around the cells down, as every plan does.
// Express is usually earlier than Standard, and the same when the candidate's cells have no
// queue; in rare cases of several capable cells it may be later: the caller offers an express
// date only when it is earlier. Before the first plan, the open work is planned by the
// earliest-due-date dispatch instead of a repair. It returns ctx's error once ctx has ended,
// and an error wrapping ErrNoCell when no cell offers an operation's capability.
func (p *Planner) PromiseWork(ctx context.Context, cand book.Candidate) (WorkPromise, error) {
	if len(cand.Operations) == 0 {
		return WorkPromise{}, fmt.Errorf("promising work order %q: it has no operations", cand.Order.OrderID)
	}
	now, b, err := p.trialProblem(ctx, []book.Candidate{cand})
	if err != nil {
		return WorkPromise{}, err
	}
	id := "new-" + cand.Order.OrderID
	if capability, ok := b.leftOut[id]; ok {
		return WorkPromise{}, fmt.Errorf("promising work order %q: %w: %q", cand.Order.OrderID, ErrNoCell, capability)
	}
	c := len(b.jobs) - 1 // build adds the candidates last
	if c < 0 || b.jobs[c].id != id {
		return WorkPromise{}, fmt.Errorf("promising work order %q: it was left out of the plan", cand.Order.OrderID)
	}
	b.jobs[c].workOrder = promised
	standardDue := now
	for _, j := range b.jobs[:c] {
		if j.due.After(standardDue) {
			standardDue = j.due
		}
	}
	prev := p.Current() // both dates from the same plan, whatever Run publishes meanwhile
	var out WorkPromise
	for _, w := range []struct {
		due      time.Time
		priority int
		at       *time.Time
	}{
		{standardDue.Add(time.Second), StandardPriority, &out.Standard},
		{now, ExpressPriority, &out.Express},
	} {
		b.setDue(c, w.due, w.priority)
		plan, err := p.trial(ctx, b, prev, now, false)
		if err != nil {
			return WorkPromise{}, err
		}
		end, ok := plan.Finish(promised)
		if !ok {
			return WorkPromise{}, fmt.Errorf("promising work order %q: the plan has no finish for it", cand.Order.OrderID)
		}
		*w.at = end
	}
	return out, nil
}

// OrderPromise is what PromiseOrders predicts for one candidate order.
type OrderPromise struct {
	// End is when the order's work order is predicted to be done.
	End time.Time
	// Hours is the cell time the plan gives the order's operations, in cell hours: each
	// operation's run on its cell and the changeover before it.
	Hours float64
}

// PromiseOrders predicts when each candidate work order would be done if all of them were
// added to the book now, and how much cell time it would take: it plans them with the open
// work, as a repair of the current plan followed by the search (as Promise does), and returns
// each candidate's prediction by order id. It changes neither the current plan nor the book. It
// refuses candidates without operations or with an order id twice, returns an error wrapping
// ErrNoCell when no cell offers a candidate's capability, and ctx's error once ctx has ended. No
// candidate: an empty map.
func (p *Planner) PromiseOrders(ctx context.Context, cands []book.Candidate) (map[string]OrderPromise, error) {
	out := make(map[string]OrderPromise, len(cands))
	if len(cands) == 0 {
		return out, ctx.Err()
	}
	seen := make(map[string]bool, len(cands))
	for _, c := range cands {
		switch id := c.Order.OrderID; {
		case len(c.Operations) == 0:
			return nil, fmt.Errorf("promising order %q: it has no operations", id)
		case seen[id]:
			return nil, fmt.Errorf("promising order %q: it is a candidate twice", id)
		default:
			seen[id] = true
		}
	}
	now, b, err := p.trialProblem(ctx, cands)
	if err != nil {
		return nil, err
	}
	// The candidates are the last jobs (build adds them last), each numbered below the book's
	// positive work order ids so that the plan reports its finish.
	for _, c := range cands {
		if capability, ok := b.leftOut["new-"+c.Order.OrderID]; ok {
			return nil, fmt.Errorf("promising order %q: %w: %q", c.Order.OrderID, ErrNoCell, capability)
		}
	}
	first := len(b.jobs) - len(cands)
	for i, c := range cands {
		if first < 0 || b.jobs[first+i].id != "new-"+c.Order.OrderID {
			return nil, fmt.Errorf("promising order %q: it was left out of the plan", c.Order.OrderID)
		}
		b.jobs[first+i].workOrder = promised - int64(i)
	}
	plan, err := p.trial(ctx, b, p.Current(), now, true)
	if err != nil {
		return nil, err
	}
	work := plan.jobWork()
	for i, c := range cands {
		end, ok := plan.Finish(promised - int64(i))
		if !ok {
			return nil, fmt.Errorf("promising order %q: the plan has no finish for it", c.Order.OrderID)
		}
		out[c.Order.OrderID] = OrderPromise{End: end, Hours: work[first+i].Hours()}
	}
	return out, nil
}

// jobWork returns the cell time the plan gives each job's planned operations, by job index:
// an operation's run and the changeover before it (the scheduler lets neither overlap a
// cell's downtime, so both are time the cell spends on the job).
func (pl *Plan) jobWork() map[int]time.Duration {
	work := make(map[int]time.Duration)
	for _, a := range pl.schedule.Ops {
		work[a.Job] += time.Duration(a.End-a.Start+a.Changeover) * time.Second
	}
	return work
}

// builder turns the book's open work into a scheduler problem and back.
type builder struct {
	p *Planner
	// f is the factory the problem was made of; cells and index its cells by machine index
	// and the other way round.
	f       *configs.Factory
	cells   []string
	index   map[string]int
	problem *scheduler.Problem
	jobs    []job
	// families maps a changeover attribute, value and setup to a family; family 0 has none.
	families map[family]int
	setups   []int64 // changeover time into each family
	// leftOut holds the jobs left out of the problem, by id, with the capability no cell offers.
	leftOut map[string]string
}

type family struct {
	attr, value string
	setup       time.Duration
}

// seconds rounds a duration up to whole seconds, the scheduler's unit of time.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// build makes the problem of the open work and the candidates at time now. Times are unix
// seconds; nothing that is not running starts before now.
func (p *Planner) build(now time.Time, work []book.OpenWork, cands []book.Candidate) *builder {
	f := p.cfg.Current()
	b := &builder{p: p, f: f, problem: &scheduler.Problem{Machines: len(f.Cells)}, families: map[family]int{{}: 0}, setups: []int64{0},
		index: make(map[string]int, len(f.Cells))}
	t0 := now.Unix()
	down := p.cfg.Book.DownCells()
	capable := make(map[string][]int)
	for i, c := range f.Cells {
		b.cells = append(b.cells, c.ID)
		b.index[c.ID] = i
		for _, cp := range c.Capabilities {
			capable[cp] = append(capable[cp], i)
		}
	}
	// A cell in fault is down for good, unless some work can only run there.
	bounded := make(map[int]bool)
	upFor := func(capability string) bool {
		return slices.ContainsFunc(capable[capability], func(k int) bool { return down[b.cells[k]] == "" })
	}
	fixedAt := make(map[int]bool) // cells with a running operation fixed on them
	add := func(j job, wo book.WorkOrder, ops []book.Operation) {
		sj := scheduler.Job{ID: j.id, Release: t0, Due: wo.Due.Unix(), Weight: weight(wo.Priority)}
		for _, op := range ops {
			if op.State == book.Done || op.State == book.Scrapped {
				continue
			}
			units := max(op.Quantity-op.UnitsDone, 0)
			run := seconds(time.Duration(units) * op.UnitTime)
			fam := 0
			if op.ChangeoverAttr != "" {
				fam = b.family(family{op.ChangeoverAttr, op.ChangeoverValue, op.Setup})
			} else if op.State != book.Running || op.UnitsDone == 0 {
				run += seconds(op.Setup)
			}
			sop := scheduler.Op{Family: fam}
			k, atCell := b.index[op.Cell]
			switch {
			case op.State == book.Running && atCell && !fixedAt[k] && len(sj.Ops) == 0:
				start := t0
				if op.StartedAt != nil {
					start = min(op.StartedAt.Unix(), t0)
				}
				fixedAt[k] = true
				sop.Fixed = &scheduler.Fixed{Machine: k, Start: start, End: t0 + run}
				sop.Alternatives = []scheduler.Alt{{Machine: k, Duration: run}}
			case (op.State == book.Running || op.State == book.Paused || op.State == book.Queued) && atCell:
				// Work at a cell stays there: the floor has it in that cell's queue.
				sop.Alternatives = []scheduler.Alt{{Machine: k, Duration: run}}
				if down[op.Cell] != "" {
					bounded[k] = true
				}
			default:
				for _, c := range capable[op.Capability] {
					sop.Alternatives = append(sop.Alternatives, scheduler.Alt{Machine: c, Duration: run})
				}
				if !upFor(op.Capability) {
					for _, c := range capable[op.Capability] {
						bounded[c] = true
					}
				}
			}
			if len(sop.Alternatives) == 0 {
				p.log.Warn("work no cell can do is left out of the plan", "work_order", wo.ID, "operation", op.ID, "capability", op.Capability)
				if b.leftOut == nil {
					b.leftOut = make(map[string]string)
				}
				b.leftOut[j.id] = op.Capability
				return
			}
			sj.Ops = append(sj.Ops, sop)
			j.ops = append(j.ops, op.ID)
			j.seqs = append(j.seqs, op.Seq)
		}
		b.problem.Jobs = append(b.problem.Jobs, sj)
		b.jobs = append(b.jobs, j)
	}
	for _, w := range work {
		add(job{id: "wo-" + strconv.FormatInt(w.ID, 10), workOrder: w.ID, orderID: w.OrderID, drop: w.Drop, due: w.Due}, w.WorkOrder, w.Operations)
	}
	for _, c := range cands {
		wo := book.WorkOrder{OrderID: c.Order.OrderID, Drop: c.Order.Drop, Due: c.Order.Due, Priority: c.Order.Priority}
		add(job{id: "new-" + c.Order.OrderID, orderID: c.Order.OrderID, drop: c.Order.Drop, due: c.Order.Due}, wo, c.Operations)
	}
	b.changeovers()
	b.problem.Down = b.downtime(now, down, bounded)
	return b
}

// weight is the scheduler's weight of a work order's priority: its tardiness counts that many
// times.
func weight(priority int) int64 { return 1 + int64(max(priority, 0)) }

// setDue sets the due date and priority of job i of the problem.
func (b *builder) setDue(i int, due time.Time, priority int) {
	b.problem.Jobs[i].Due = due.Unix()
	b.problem.Jobs[i].Weight = weight(priority)
	b.jobs[i].due = due
}

// changeovers sets the problem's changeover times from the families' setups, when there is a
// family with a setup.
func (b *builder) changeovers() {
	if len(b.setups) <= 1 {
		return
	}
	n := len(b.setups)
	b.problem.Changeover = make([][]int64, n)
	for a := range n {
		b.problem.Changeover[a] = make([]int64, n)
		for c := 1; c < n; c++ {
			if a != c {
				b.problem.Changeover[a][c] = b.setups[c]
			}
		}
	}
}

// downtime is when each cell cannot work, from now: outside its working hours, and from now
// on while it is down (down, cell -> reason), for good unless bounded (cell index -> whether
// some work can only run there), then for the repair assumed.
func (b *builder) downtime(now time.Time, down map[string]string, bounded map[int]bool) [][]scheduler.Interval {
	t0 := now.Unix()
	downs := make([][]scheduler.Interval, len(b.cells))
	for k, id := range b.cells {
		if h := b.f.CellHours(id); h != nil {
			downs[k] = closed(h, now)
		}
		if down[id] == "" {
			continue
		}
		end := int64(scheduler.Forever)
		if bounded[k] {
			end = t0 + seconds(b.p.cfg.AssumedRepair)
		}
		downs[k] = append(downs[k], scheduler.Interval{Start: t0, End: end})
	}
	return downs
}

// hoursHorizon is how far ahead working hours are turned into downtime; beyond it a cell is
// planned as if it worked around the clock.
const hoursHorizon = 366 * 24 * time.Hour

// closed returns the times from now to the horizon outside the working hours h, in seconds.
func closed(h *configs.Hours, now time.Time) []scheduler.Interval {
	end := now.Add(hoursHorizon)
	var out []scheduler.Interval
	from := now.Unix()
	for _, w := range h.Windows(now, end) {
		if s := w[0].Unix(); s > from {
			out = append(out, scheduler.Interval{Start: from, End: s})
		}
		from = w[1].Unix()
	}
	if e := end.Unix(); e > from {
		out = append(out, scheduler.Interval{Start: from, End: e})
	}
	return out
}

// family returns the family of a changeover attribute, value and setup, adding it if new.
func (b *builder) family(f family) int {
	if i, ok := b.families[f]; ok {
		return i
	}
	i := len(b.setups)
	b.families[f] = i
	b.setups = append(b.setups, seconds(f.setup))
	return i
}

// key tells the job's operation i from its others across plans: its id, as a rework
// operation inserted mid-routing moves the later ones' positions; a candidate's operations,
// which have no id yet, by their routing position (as a negative number).
func (j job) key(i int) int64 {
	if id := j.ops[i]; id != 0 {
		return id
	}
	return -1 - int64(j.seqs[i])
}

// translate rewrites the previous plan's schedule for this problem: operations are numbered
// within their job, and the job has lost the operations finished since.
func (b *builder) translate(prev *Plan) scheduler.Schedule {
	keys := make(map[string]map[int64]int, len(b.jobs)) // job id -> operation key -> index
	for _, j := range b.jobs {
		m := make(map[int64]int, len(j.seqs))
		for i := range j.seqs {
			m[j.key(i)] = i
		}
		keys[j.id] = m
	}
	out := scheduler.Schedule{Ops: make([]scheduler.Assignment, 0, len(prev.schedule.Ops))}
	for _, a := range prev.schedule.Ops {
		old := prev.jobs[a.Job]
		i, ok := keys[old.id][old.key(a.Op)]
		if !ok {
			continue
		}
		k, ok := b.index[prev.cells[a.Machine]]
		if !ok {
			continue
		}
		a.JobID, a.Op, a.Machine = old.id, i, k
		out.Ops = append(out.Ops, a)
	}
	return out
}

// result turns a schedule of the problem into a plan.
func (b *builder) result(now time.Time, s scheduler.Schedule) *Plan {
	pl := &Plan{At: now, schedule: s, jobs: b.jobs, cells: b.cells, Changeovers: s.Changeovers,
		slots: make(map[int64]book.Slot, len(s.Ops)), owner: make(map[int64]int, len(s.Ops)),
		finish: make(map[int64]time.Time, len(b.jobs))}
	if s.Makespan > 0 {
		pl.Makespan = time.Unix(s.Makespan, 0).UTC()
	}
	for _, a := range s.Ops {
		if id := b.jobs[a.Job].ops[a.Op]; id != 0 {
			pl.slots[id] = book.Slot{Cell: b.cells[a.Machine], Start: time.Unix(a.Start, 0).UTC(), End: time.Unix(a.End, 0).UTC()}
			pl.owner[id] = a.Job
		}
	}
	drops := make(map[string]*DropForecast)
	for i, j := range b.jobs {
		end := time.Unix(s.JobEnd[i], 0).UTC()
		if j.workOrder != 0 {
			pl.finish[j.workOrder] = end
		}
		if j.drop == "" {
			// A repair's work order: no drop ships it, its customer waits for its due date.
			r := RepairForecast{Repair: strings.TrimSuffix(j.orderID, "-W"), OrderID: j.orderID, WorkOrder: j.workOrder,
				Due: j.due, Predicted: end}
			if late := end.Sub(j.due); late > 0 {
				r.Late, r.LateBy = true, Seconds(late)
				pl.Late++
				pl.Tardiness += late
			}
			pl.Repairs = append(pl.Repairs, r)
			continue
		}
		f := drops[j.drop]
		if f == nil {
			d, _ := b.f.Drop(j.drop)
			f = &DropForecast{Drop: j.drop, Date: d.Date, OnTime: true, Late: []LateOrder{}}
			drops[j.drop] = f
		}
		f.Open++
		if end.After(f.Completion) {
			f.Completion = end
		}
		if late := end.Sub(j.due); late > 0 {
			f.Late = append(f.Late, LateOrder{WorkOrder: j.workOrder, OrderID: j.orderID, Due: j.due, Predicted: end, LateBy: Seconds(late)})
			pl.Late++
			pl.Tardiness += late
		}
	}
	for _, f := range drops {
		f.OnTime = !f.Completion.After(f.Date)
		slices.SortFunc(f.Late, func(x, y LateOrder) int {
			if x.LateBy != y.LateBy {
				return int(y.LateBy - x.LateBy)
			}
			return strings.Compare(x.OrderID, y.OrderID)
		})
		pl.Drops = append(pl.Drops, *f)
	}
	slices.SortFunc(pl.Drops, func(x, y DropForecast) int {
		if c := x.Date.Compare(y.Date); c != 0 {
			return c
		}
		return strings.Compare(x.Drop, y.Drop)
	})
	if pl.Repairs == nil {
		pl.Repairs = []RepairForecast{}
	}
	slices.SortFunc(pl.Repairs, func(x, y RepairForecast) int {
		if c := x.Due.Compare(y.Due); c != 0 {
			return c
		}
		return strings.Compare(x.OrderID, y.OrderID)
	})
	return pl
}

var _ book.Plan = (*Planner)(nil)
