package collect

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/telemetry"
)

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
// operation runs and its machine prepares the job. Only the cells the floor drives are sampled
// (see Driver): a cell another daemon drives is published by that daemon, and one this daemon
// drives again later starts over with its state, not with the time it spent elsewhere.
func (c *Collector) sampleCells(ctx context.Context, now time.Time) {
	for _, cell := range c.driven() {
		state, waiting, err := c.queueState(ctx, cell)
		if err != nil {
			c.log.Warn("reading a cell's queue", "cell", cell, "err", err)
			continue
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

// queueSeen is what a cell's queue said when it was last read, with the book's Changed channel
// taken before that read.
type queueSeen struct {
	changed <-chan struct{}
	state   string
	waiting int
}

// queueState returns the state the queue of cell gives it (running, paused or idle, as its
// head says) and how many operations wait in it. The queue is read again only after the book
// changed: at a sample with nothing written since the last, the floor part queries nothing.
func (c *Collector) queueState(ctx context.Context, cell string) (state string, waiting int, err error) {
	if seen, ok := c.queues[cell]; ok {
		select {
		case <-seen.changed:
		default:
			return seen.state, seen.waiting, nil
		}
	}
	// taken before the read: a write while it runs closes it, and the next sample reads again
	changed := c.cfg.Book.Changed()
	q, err := c.cfg.Book.Queue(ctx, cell, 0)
	if err != nil {
		return "", 0, err
	}
	state = "idle"
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
	c.queues[cell] = queueSeen{changed: changed, state: state, waiting: waiting}
	return state, waiting, nil
}

// driven returns the cells the floor part samples: those of Config.Cells the floor drives now.
// It forgets the clocks of the cells it no longer drives.
func (c *Collector) driven() []string {
	d, ok := c.cfg.Floor.(Driver)
	if !ok {
		return c.cfg.Cells
	}
	now := d.Driven()
	var out []string
	for _, cell := range c.cfg.Cells {
		if slices.Contains(now, cell) {
			out = append(out, cell)
		} else {
			delete(c.states, cell)
			delete(c.queues, cell)
		}
	}
	return out
}
