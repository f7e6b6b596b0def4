// Package collect measures what the floor does and hands it to the telemetry publisher: each
// device's polled values, each cell's units, cycle time, queue length and time in each state,
// each work order's turnaround when it completes, each drop's progress, each cell's OEE and
// losses over the current shift and today, and the studio's repair measures over the last 7
// days. Points carry the time they were measured.
//
// What it measures comes in two parts (Part): the floor's, measured from the cells and
// machines a daemon drives, which every daemon publishes for the cells it drives; and the
// book's, measured from the order book, which one daemon publishes for the whole site. A
// daemon alone on its book runs both in one Collector.
//
// It reads the order book's event log and the cells' and devices' state through small
// interfaces it defines; it imports the book (and its OEE figures), configs, the telemetry model
// and the standard library.
package collect

import (
	"context"
	"log/slog"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
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
	// Changed returns a channel closed at the book's next write.
	Changed() <-chan struct{}
	Turnaround(ctx context.Context, drop string) (book.Turnaround, error)
	RepairMeasures(ctx context.Context, from, to time.Time) (book.RepairMeasures, error)
	OEE(ctx context.Context, q book.OEEQuery) (oee.Report, error)
	// Cursor and SetCursor keep where the event follower stands (see Config.Cursor).
	Cursor(ctx context.Context, name string) (after int64, ok bool, err error)
	SetCursor(ctx context.Context, name string, after int64) error
}

// Driver is a Floor that drives some of the factory's cells only, as a daemon sharing its book
// with others does: the floor part publishes the state of the cells it drives now and leaves
// the others to the daemons driving them. A Floor that is not a Driver drives every cell.
type Driver interface {
	// Driven returns the cells the floor drives now.
	Driven() []string
}

// Part is a part of what a Collector measures.
type Part uint8

const (
	// PartFloor is what is measured from the cells and machines the daemon drives: each
	// device's polled values, and each driven cell's state, time in each state and queue
	// length (a Floor that is a Driver says which cells it drives).
	PartFloor Part = 1 << iota
	// PartBook is what is measured from the order book, once for the site: units made and
	// their cycle time from the event log, each completed work order's turnaround, the drops'
	// progress, the cells' OEE and the repair measures.
	PartBook
)

// Config is what a Collector needs.
type Config struct {
	// Parts are the parts measured; zero is both (PartFloor|PartBook), a daemon alone on its
	// book.
	Parts     Part
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
	// Cursor, when set, names the book's cursor (Book.Cursor) where the event follower keeps
	// where it stands: it is stored as events are published and read by Prime, so that a
	// daemon taking the book part over from another (or starting again) goes on from where
	// the last one stopped. Empty: Prime follows from the newest event, and what happened
	// before it is not published.
	Cursor string
	Now    func() time.Time
	Logger *slog.Logger
}

// Collector samples the floor and follows the book's events.
type Collector struct {
	cfg Config
	log *slog.Logger

	lastEvent  int64
	savedEvent int64                   // lastEvent as the cursor last stored it
	states     map[string]cellClock    // by cell
	queues     map[string]queueSeen    // by cell
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
	if cfg.Parts == 0 {
		cfg.Parts = PartFloor | PartBook
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{cfg: cfg, log: cfg.Logger, states: make(map[string]cellClock),
		queues: make(map[string]queueSeen), lastSample: make(map[[3]string]time.Time),
		lastUnit: make(map[string]time.Time)}
}

// Prime readies the book part to follow the book's events: from the cursor when Config.Cursor
// names one that is stored, else from the newest event (what happened before was measured
// then, or is lost), which it then stores as the cursor. The floor part needs no priming.
func (c *Collector) Prime(ctx context.Context) error {
	if c.cfg.Parts&PartBook == 0 {
		return nil
	}
	return c.primeEvents(ctx)
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

// Step measures once: the floor part samples the cells and devices, the book part publishes
// the events since the last step and the drops, and every so many steps the OEE and the repair
// measures.
func (c *Collector) Step(ctx context.Context) error {
	now := c.cfg.Now()
	if c.cfg.Parts&PartFloor != 0 {
		if c.cfg.Floor != nil {
			c.sampleDevices()
		}
		c.sampleCells(ctx, now)
	}
	if c.cfg.Parts&PartBook == 0 {
		return nil
	}
	return c.stepBook(ctx, now)
}

// stepBook is the book part of a step.
func (c *Collector) stepBook(ctx context.Context, now time.Time) error {
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

func (c *Collector) publish(s telemetry.Series, p telemetry.Point) {
	s.Site = c.cfg.Site
	if err := c.cfg.Publisher.Publish(s, p); err != nil {
		c.log.Warn("refused telemetry point", "topic", s.Topic(), "err", err)
	}
}

func value(t time.Time, v any) telemetry.Point {
	return telemetry.Point{Time: t, Fields: map[string]any{"value": v}}
}
