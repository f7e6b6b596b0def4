package collect

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/telemetry"
)

// primeEvents sets where the event follower starts: at the stored cursor, else at the newest
// event, which it stores as the cursor so that a daemon taking over before the first event is
// published still starts there.
func (c *Collector) primeEvents(ctx context.Context) error {
	if c.cfg.Cursor != "" {
		after, ok, err := c.cfg.Book.Cursor(ctx, c.cfg.Cursor)
		if err != nil {
			return fmt.Errorf("reading where the telemetry stopped in the event log: %w", err)
		}
		if ok {
			c.lastEvent, c.savedEvent = after, after
			return nil
		}
	}
	id, err := c.cfg.Book.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("reading the event log: %w", err)
	}
	c.lastEvent, c.savedEvent = id, id
	if c.cfg.Cursor == "" {
		return nil
	}
	if err := c.cfg.Book.SetCursor(ctx, c.cfg.Cursor, id); err != nil {
		return fmt.Errorf("storing where the telemetry starts in the event log: %w", err)
	}
	return nil
}

// followEvents publishes units made and their cycle time, and each completed work order's
// turnaround, from the events since the last step, storing the cursor (Config.Cursor) past
// them once, at the end of the step: a write for each batch read would make a large import's
// events cost the floor's readers and writers a write (and its fsync) a thousand events.
//
// Their points are published at least once, not exactly once: the cursor is stored after its
// events' points are handed to the publisher, so a daemon killed in between, or losing the
// site to another, leaves a cursor behind them, and the next to follow publishes them again.
// A point published again has the same series, tags and time (the event's), which InfluxDB
// stores as one point.
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
			return c.saveCursor(ctx)
		}
	}
}

// saveCursor stores the cursor at the last event published, when it moved; one that fails to
// be stored is stored at a later step.
func (c *Collector) saveCursor(ctx context.Context) error {
	if c.cfg.Cursor == "" || c.lastEvent == c.savedEvent {
		return nil
	}
	if err := c.cfg.Book.SetCursor(ctx, c.cfg.Cursor, c.lastEvent); err != nil {
		return fmt.Errorf("storing where the telemetry stands in the event log: %w", err)
	}
	c.savedEvent = c.lastEvent
	return nil
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
