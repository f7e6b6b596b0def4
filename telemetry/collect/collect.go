// Package collect measures what the floor does and hands it to the telemetry publisher: each
// device's polled values, each cell's units, cycle time, queue length and time in each state,
// each work order's turnaround when it completes, each drop's progress, each cell's OEE and
// losses over the current shift and today, and the studio's repair measures over the last 7
// days. Points carry the time they were measured.
//
// It reads the order book's event log and the cells' and devices' state through small
// interfaces it defines; it imports the book (and its OEE figures), configs, the telemetry model
// and the standard library.
package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry"
)

// Publisher takes series of points and retained messages.
type Publisher interface {
	Publish(s telemetry.Series, points ...telemetry.Point) error
	Retain(topic string, body []byte) error
}

// Floor is what the collector reads of the running cells and devices.
type Floor interface {
	// Down reports whether a cell is out of service (its machine in fault or unreachable).
	Down(cell string) bool
	// Setup reports whether a cell's machine is in a phase that prepares a job (a changeover,
	// a bath filling and heating) rather than making units.
	Setup(cell string) bool
	// Samples returns the latest polled values of every device.
	Samples() []DeviceSample
}

// DeviceSample is one polled value of a device, with the time it was read.
type DeviceSample struct {
	Cell, Device, Metric string
	Value                float64
	Time                 time.Time
}

// Book is what the collector reads of the order book.
type Book interface {
	Events(ctx context.Context, f book.EventFilter) ([]book.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	WorkOrder(ctx context.Context, id int64) (book.WorkOrderDetail, error)
	Queue(ctx context.Context, cell string, limit int) ([]book.QueueEntry, error)
	Turnaround(ctx context.Context, drop string) (book.Turnaround, error)
	RepairMeasures(ctx context.Context, from, to time.Time) (book.RepairMeasures, error)
	OEE(ctx context.Context, q book.OEEQuery) (oee.Report, error)
}

// Config is what a Collector needs.
type Config struct {
	Site      string
	Book      Book
	Floor     Floor // nil when the daemon drives no devices
	Publisher Publisher
	// Cells are the ids of the factory's cells.
	Cells []string
	// Drops are the ids of the drops whose progress is published.
	Drops []string
	// Interval is how often cells and devices are sampled (default 5s).
	Interval time.Duration
	// Repairs is set when the studio takes repairs: their measures are published every
	// RepairsEvery intervals (default DefaultRepairsEvery), at the first step and then every
	// RepairsEvery steps. They read every repair, so they are published less often than the
	// floor is sampled (docs/BENCHMARKS.md).
	Repairs      bool
	RepairsEvery int
	// OEEEvery is how many intervals apart each cell's OEE over the current shift and today
	// is published (default DefaultOEEEvery), at the first step and then every OEEEvery steps.
	OEEEvery int
	Now      func() time.Time
	Logger   *slog.Logger
}

// Collector samples the floor and follows the book's events.
type Collector struct {
	cfg Config
	log *slog.Logger

	lastEvent  int64
	states     map[string]cellClock    // by cell
	lastSample map[[3]string]time.Time // by cell, device, metric
	lastUnit   map[string]time.Time    // by cell: when its last unit was made
	units      map[int64]int           // by operation: units counted so far
	steps      int                     // steps taken, for the repair measures' period
}

// DefaultRepairsEvery is how many intervals apart the repair measures are published by
// default: a minute at the default interval.
const DefaultRepairsEvery = 12

// DefaultOEEEvery is how many intervals apart the cells' OEE is published by default: a minute
// at the default interval.
const DefaultOEEEvery = 12

// RepairWindow is the rolling window of the repair measures.
const RepairWindow = 7 * 24 * time.Hour

type cellClock struct {
	state string
	since time.Time
	last  time.Time // when time in state was last published
}

// New returns a Collector.
func New(cfg Config) *Collector {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RepairsEvery <= 0 {
		cfg.RepairsEvery = DefaultRepairsEvery
	}
	if cfg.OEEEvery <= 0 {
		cfg.OEEEvery = DefaultOEEEvery
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{cfg: cfg, log: cfg.Logger, states: make(map[string]cellClock),
		lastSample: make(map[[3]string]time.Time), lastUnit: make(map[string]time.Time)}
}

// Prime starts following the book's events from its latest: what happened before the daemon
// started was measured then.
func (c *Collector) Prime(ctx context.Context) error {
	id, err := c.cfg.Book.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("reading the event log: %w", err)
	}
	c.lastEvent = id
	return nil
}

// Run samples and follows events every Interval until ctx ends. It returns nil once ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		if err := c.Step(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("collecting telemetry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Step samples the floor once and publishes the events since the last step.
func (c *Collector) Step(ctx context.Context) error {
	now := c.cfg.Now()
	if c.cfg.Floor != nil {
		c.sampleDevices()
	}
	c.sampleCells(ctx, now)
	if err := c.followEvents(ctx); err != nil {
		return err
	}
	if err := c.sampleDrops(ctx, now); err != nil {
		return err
	}
	c.steps++
	if len(c.cfg.Cells) > 0 && (c.steps-1)%c.cfg.OEEEvery == 0 {
		if err := c.sampleOEE(ctx, now); err != nil {
			return err
		}
	}
	if c.cfg.Repairs && (c.steps-1)%c.cfg.RepairsEvery == 0 {
		return c.sampleRepairs(ctx, now)
	}
	return nil
}

// oeeLosses are the six big losses as the oee points name them.
var oeeLosses = []configs.Loss{configs.LossBreakdowns, configs.LossSetup, configs.LossSmallStops,
	configs.LossReducedSpeed, configs.LossStartupRejects, configs.LossProductionRejects}

// sampleOEE publishes each cell's OEE over the current shift and today, as of now: for each
// period (shift_, today_) availability, performance, quality and OEE as fractions, the planned
// production time and the minutes of each of the six big losses (breakdowns_min,
// setup_adjustments_min, ...), and the shift's name.
func (c *Collector) sampleOEE(ctx context.Context, now time.Time) error {
	from := now.Add(-24 * time.Hour)
	shifts, err := c.cfg.Book.OEE(ctx, book.OEEQuery{From: from, To: now, By: oee.ByShift})
	if err != nil {
		return fmt.Errorf("reading the cells' OEE by shift: %w", err)
	}
	days, err := c.cfg.Book.OEE(ctx, book.OEEQuery{From: from, To: now, By: oee.ByDay})
	if err != nil {
		return fmt.Errorf("reading the cells' OEE by day: %w", err)
	}
	if len(shifts.Buckets) == 0 || len(days.Buckets) == 0 {
		return nil
	}
	shift := shifts.Buckets[len(shifts.Buckets)-1]
	for i, cr := range shifts.Cells {
		if i >= len(days.Cells) || days.Cells[i].Cell != cr.Cell || !slices.Contains(c.cfg.Cells, cr.Cell) {
			continue
		}
		f := map[string]any{}
		put := func(prefix string, fig oee.Figures) {
			f[prefix+"availability"], f[prefix+"performance"], f[prefix+"quality"], f[prefix+"oee"] =
				fig.Availability, fig.Performance, fig.Quality, fig.OEE
			f[prefix+"planned_min"] = fig.Planned.Minutes()
			for _, l := range oeeLosses {
				f[prefix+strings.ReplaceAll(string(l), "-", "_")+"_min"] = fig.Loss(l).Minutes()
			}
		}
		put("shift_", cr.Buckets[len(cr.Buckets)-1])
		put("today_", days.Cells[i].Buckets[len(days.Cells[i].Buckets)-1])
		if shift.Shift != "" {
			f["shift"] = shift.Shift
		}
		c.publish(telemetry.Series{Kind: telemetry.KindOEE, Cell: cr.Cell}, telemetry.Point{Time: now, Fields: f})
	}
	return nil
}

// openStates are the states of a repair not yet handed back, each published as open_<state>.
var openStates = []book.RepairState{book.RepairRequested, book.RepairReceived, book.RepairEstimated,
	book.RepairApproved, book.RepairDeclined, book.RepairExpired, book.RepairReady}

// sampleRepairs publishes the repair measures of the RepairWindow up to now: repair and reuse
// rates with their counts, the turnaround of the repairs that got ready, the estimates approved
// and decided, the revenue approved (in the currency's units) and the repairs open in each
// state.
func (c *Collector) sampleRepairs(ctx context.Context, now time.Time) error {
	m, err := c.cfg.Book.RepairMeasures(ctx, now.Add(-RepairWindow), now)
	if err != nil {
		return fmt.Errorf("reading the repair measures: %w", err)
	}
	f := map[string]any{
		"repair_rate": m.RepairRate, "repaired_units": float64(m.RepairedUnits), "finished_units": float64(m.FinishedUnits),
		"reuse_rate": m.ReuseRate, "plan_customers": float64(m.PlanCustomers), "order_customers": float64(m.OrderCustomers),
		"ready": float64(m.Ready), "turnaround_median_s": m.MedianSeconds, "turnaround_p90_s": m.P90Seconds,
		"approved": float64(m.Approved), "decided": float64(m.Decided), "revenue": float64(m.Revenue) / 100,
	}
	for _, st := range openStates {
		f["open_"+string(st)] = float64(m.States[st])
	}
	c.publish(telemetry.Series{Kind: telemetry.KindRepairs}, telemetry.Point{Time: now, Fields: f})
	return nil
}

// sampleDrops publishes each drop's completed orders (work_orders_done: an order that lost
// units counts once, when the last of its remakes completes and it lacks none) and their
// median and p90 turnaround.
func (c *Collector) sampleDrops(ctx context.Context, now time.Time) error {
	for _, d := range c.cfg.Drops {
		t, err := c.cfg.Book.Turnaround(ctx, d)
		if err != nil {
			return fmt.Errorf("reading drop %s: %w", d, err)
		}
		c.publish(telemetry.Series{Kind: telemetry.KindDrop, Drop: d}, telemetry.Point{Time: now, Fields: map[string]any{
			"work_orders_done": float64(t.Count), "turnaround_median_s": t.MedianSeconds, "turnaround_p90_s": t.P90Seconds,
		}})
	}
	return nil
}

func (c *Collector) publish(s telemetry.Series, p telemetry.Point) {
	s.Site = c.cfg.Site
	if err := c.cfg.Publisher.Publish(s, p); err != nil {
		c.log.Warn("refused telemetry point", "topic", s.Topic(), "err", err)
	}
}

func value(t time.Time, v any) telemetry.Point {
	return telemetry.Point{Time: t, Fields: map[string]any{"value": v}}
}

// sampleDevices publishes every polled value read since the last sample.
func (c *Collector) sampleDevices() {
	for _, s := range c.cfg.Floor.Samples() {
		key := [3]string{s.Cell, s.Device, s.Metric}
		if s.Time.IsZero() || !s.Time.After(c.lastSample[key]) {
			continue
		}
		c.lastSample[key] = s.Time
		c.publish(telemetry.Series{Kind: telemetry.KindDevice, Cell: s.Cell, Device: s.Device, Metric: s.Metric}, value(s.Time, s.Value))
	}
}

// sampleCells publishes each cell's time in its state since the last sample, its state when it
// changes (also retained), and its queue length. A cell is in fault while the floor has it
// down, else running, paused or idle as the head of its queue says, and in setup while its
// operation runs and its machine prepares the job.
func (c *Collector) sampleCells(ctx context.Context, now time.Time) {
	for _, cell := range c.cfg.Cells {
		q, err := c.cfg.Book.Queue(ctx, cell, 0)
		if err != nil {
			c.log.Warn("reading a cell's queue", "cell", cell, "err", err)
			continue
		}
		state, waiting := "idle", 0
		for _, e := range q {
			switch {
			case e.State == book.Queued:
				waiting++
			case e.State == book.Running:
				state = "running"
			case e.State == book.Paused && state == "idle":
				state = "paused"
			}
		}
		switch {
		case c.cfg.Floor == nil:
		case c.cfg.Floor.Down(cell):
			state = "fault"
		case state == "running" && c.cfg.Floor.Setup(cell):
			state = "setup"
		}
		clock, seen := c.states[cell]
		if seen {
			if d := now.Sub(clock.last); d > 0 {
				c.publish(telemetry.Series{Kind: telemetry.KindCell, Cell: cell, Metric: "time_" + clock.state + "_s"}, value(now, d.Seconds()))
			}
		}
		if !seen || state != clock.state {
			clock.state, clock.since = state, now
			c.publish(telemetry.Series{Kind: telemetry.KindCell, Cell: cell, Metric: "machine_state"}, value(now, state))
			body, _ := json.Marshal(map[string]any{"v": 1, "state": state, "since": now.UTC().Format(time.RFC3339Nano)})
			if err := c.cfg.Publisher.Retain(telemetry.StateTopic(c.cfg.Site, cell), body); err != nil {
				c.log.Warn("queueing a cell's state", "cell", cell, "err", err)
			}
		}
		clock.last = now
		c.states[cell] = clock
		c.publish(telemetry.Series{Kind: telemetry.KindCell, Cell: cell, Metric: "queue_length"}, value(now, float64(waiting)))
	}
}

// followEvents publishes units made and their cycle time, and each completed work order's
// turnaround, from the events since the last step.
func (c *Collector) followEvents(ctx context.Context) error {
	for {
		events, err := c.cfg.Book.Events(ctx, book.EventFilter{AfterID: c.lastEvent, Limit: 1000})
		if err != nil {
			return fmt.Errorf("reading events: %w", err)
		}
		for _, e := range events {
			c.event(ctx, e)
			c.lastEvent = e.ID
		}
		if len(events) < 1000 {
			return nil
		}
	}
}

func (c *Collector) event(ctx context.Context, e book.Event) {
	switch e.Kind {
	case book.EventOperationProgress:
		if e.Cell == "" {
			return
		}
		made := e.Quantity // a progress event counts the units added
		if made <= 0 {
			return
		}
		c.publish(telemetry.Series{Kind: telemetry.KindCell, Cell: e.Cell, Metric: "units"}, value(e.At, float64(made)))
		if last, ok := c.lastUnit[e.Cell]; ok && e.At.After(last) {
			c.publish(telemetry.Series{Kind: telemetry.KindCell, Cell: e.Cell, Metric: "cycle_time_s"},
				value(e.At, e.At.Sub(last).Seconds()/float64(made)))
		}
		c.lastUnit[e.Cell] = e.At
	case book.EventOperation:
		// A unit's cycle is counted from the start (or resumption) of its operation, not
		// across the idle time before it.
		if e.To == book.Running && e.Cell != "" {
			c.lastUnit[e.Cell] = e.At
		}
	case book.EventWorkOrderCompleted:
		wo, err := c.cfg.Book.WorkOrder(ctx, e.WorkOrder)
		if err != nil {
			c.log.Warn("reading a completed work order", "work_order", e.WorkOrder, "err", err)
			return
		}
		// A remake's intake is its order's: its turnaround is how long the order waited. good
		// is the units made, fewer than quantity when some were scrapped on the way.
		c.publish(telemetry.Series{Kind: telemetry.KindWorkOrder, Drop: wo.Drop,
			Tags: map[string]string{"sku": wo.SKU, "work_order": strconv.FormatInt(wo.ID, 10)}},
			telemetry.Point{Time: e.At, Fields: map[string]any{
				"turnaround_s": e.At.Sub(wo.IntakeAt).Seconds(),
				"quantity":     float64(wo.Quantity),
				"good":         float64(e.Quantity),
				"remake":       wo.RemakeOf != 0,
				"late":         e.At.After(wo.Due),
			}})
	}
}
