package cells

import (
	"context"
	"fmt"
	"slices"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// trackStop tells the book the cell's condition when it changed from the last one recorded, so
// that the book opens and closes the cell's stops; the same condition again costs no call. A
// stop held up by a fault (reported, lost, machine) keeps the operation it opened with: the
// job the controller adopts or drops meanwhile does not make it another stop. A pause is one
// stop until the operation resumes, with the reason it was paused for: a scrap of some of its
// units meanwhile gives the operation the scrap's reason (the reason of its last pause or
// scrap), not another pause.
func (c *Cell) trackStop(ctx context.Context, cond book.StopCondition) error {
	last := c.stop
	switch cond.Kind {
	case book.StopReported, book.StopLost, book.StopFault:
		if c.stopKnown && last.Kind == cond.Kind && last.Detail == cond.Detail && last.Reason == cond.Reason {
			cond.Operation = last.Operation
		}
	case book.StopPaused:
		if c.stopKnown && last.Kind == cond.Kind && last.Operation == cond.Operation {
			cond.Detail, cond.Reason = last.Detail, last.Reason
		}
	}
	if c.stopKnown && cond == last {
		return nil
	}
	if _, err := c.cfg.Book.TrackStop(ctx, c.id, cond); err != nil {
		return fmt.Errorf("recording the cell's stop: %w", err)
	}
	c.stop, c.stopKnown = cond, true
	return nil
}

// restoreStop reads the cell's open stop from the book, so that a restarted controller goes on
// with it rather than ending it and opening the same one again.
func (c *Cell) restoreStop(ctx context.Context) error {
	s, ok, err := c.cfg.Book.OpenStop(ctx, c.id)
	if err != nil {
		return fmt.Errorf("cell %s: reading its open stop: %w", c.id, err)
	}
	c.stop, c.stopKnown = book.StopCondition{}, true
	if ok {
		c.stop = book.StopCondition{Kind: s.Kind, Operation: s.Operation, Detail: s.Detail}
		if s.Auto {
			c.stop.Reason = s.Reason
		}
	}
	return nil
}

// jobOp is the operation of the machine's job, 0 when none.
func (c *Cell) jobOp() int64 {
	if c.job == nil {
		return 0
	}
	return c.job.op
}

// reportedStop is the condition of a cell down for a fault a person reported with code.
func (c *Cell) reportedStop(code string) book.StopCondition {
	return book.StopCondition{Kind: book.StopReported, Operation: c.jobOp(), Detail: code, Reason: c.cfg.Current().Stops.Fault}
}

// faultStop is the condition of a machine in fault; name is the fault as the profile names it.
func (c *Cell) faultStop(name string) book.StopCondition {
	return book.StopCondition{Kind: book.StopFault, Operation: c.jobOp(), Detail: name, Reason: c.cfg.Current().Stops.MachineFaults[name]}
}

// queueStop is the condition of a cell whose machine (v, nil for a manual cell) is well and in
// service, from the head of its queue (nil when the queue is empty).
func (c *Cell) queueStop(head *book.QueueEntry, v *machineView) book.StopCondition {
	stops := c.cfg.Current().Stops
	if head == nil {
		return book.StopCondition{Kind: book.StopNoWork}
	}
	switch head.State {
	case book.Queued:
		return book.StopCondition{Kind: book.StopIdle, Operation: head.ID}
	case book.Paused:
		if head.Reason == checkReason(stops) {
			return book.StopCondition{Kind: book.StopCheck, Operation: head.ID, Reason: stops.Check}
		}
		return book.StopCondition{Kind: book.StopPaused, Operation: head.ID, Detail: head.Reason, Reason: stops.Pauses[head.Reason]}
	}
	if c.awaitsCheck(head) {
		return book.StopCondition{Kind: book.StopCheck, Operation: head.ID, Reason: stops.Check}
	}
	if v != nil && slices.Contains(c.cfg.Profile.Setup, v.state) {
		return book.StopCondition{Kind: book.StopSetup, Operation: head.ID, Reason: stops.Setup}
	}
	return book.StopCondition{}
}

// checked reports whether the routing step of an operation has a quality checklist: a person
// completes it, answering the checklist, and never the controller.
func (c *Cell) checked(head *book.QueueEntry) bool {
	p, ok := c.cfg.Current().Product(head.SKU)
	return ok && head.Step >= 0 && head.Step < len(p.Routing) && len(p.Routing[head.Step].Checks) > 0
}

// awaitsCheck reports whether a running operation of a checked step has made all its units:
// it waits for a person to check them and complete it.
func (c *Cell) awaitsCheck(head *book.QueueEntry) bool {
	return head.State == book.Running && head.UnitsDone >= head.Quantity-head.Scrapped && c.checked(head)
}

// checkReason is the pause reason of an operation whose quality check failed, waiting for the
// decision on its non-conformance: the book pauses it with the stops section's check reason.
func checkReason(stops configs.Stops) string {
	if stops.Check != "" {
		return stops.Check
	}
	return configs.DefaultStops().Check
}
