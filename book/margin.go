package book

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book/margin"
)

// MarginInputs reads what the margin of a drop is computed from (margin.Compute): the units
// ordered and made of each SKU, and every operation of the drop's work orders, remakes and
// reworks included, with its units, its running intervals as the event log measured them (from
// a start or resume to a pause, a cell going down, a completion or a scrap; the one running
// now until now) and, for one not finished, the slot the plan gives what is left of it.
func (b *Book) MarginInputs(ctx context.Context, drop string) (margin.Input, error) {
	if _, ok := b.cfg().drops[drop]; !ok {
		return margin.Input{}, fmt.Errorf("%w: %q", ErrUnknownDrop, drop)
	}
	var ordered map[string]int
	var ops []QueueEntry
	var runs []Event
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if ordered, err = tx.DropUnits(drop); err != nil {
			return err
		}
		if ops, err = tx.MarginOperations(drop); err != nil {
			return err
		}
		runs, err = tx.MarginRuns(drop)
		return err
	})
	if err != nil {
		return margin.Input{}, fmt.Errorf("reading the margin of drop %s: %w", drop, err)
	}
	now := b.clock()
	in := margin.Input{Drop: drop, Ordered: ordered, Made: make(map[string]int), Operations: make([]margin.Operation, 0, len(ops))}
	byID := make(map[int64]int, len(ops)) // index in in.Operations
	for i, e := range ops {
		op := e.Operation
		if op.State == Withdrawn {
			continue // its order left the drop: it costs nothing and makes nothing
		}
		left := max(op.Quantity-op.Scrapped, 0)
		done := min(op.UnitsDone, left)
		if op.State == Done {
			done = left
		}
		mo := margin.Operation{ID: op.ID, WorkOrder: op.WorkOrder, SKU: e.SKU, Step: op.Step, Capability: op.Capability,
			Quantity: op.Quantity, Done: done, Scrapped: op.Scrapped, Standard: op.StandardTime(),
			Finished: op.State == Done || op.State == Scrapped}
		if !mo.Finished {
			if s, ok := b.slot(op.ID); ok {
				start := s.Start
				if start.Before(now) {
					start = now
				}
				mo.Plan = &margin.Slot{Cell: s.Cell, Time: max(s.End.Sub(start), 0)}
			}
		}
		byID[op.ID] = len(in.Operations)
		in.Operations = append(in.Operations, mo)
		// A work order's last operation done finishes its good units.
		if last := i+1 == len(ops) || ops[i+1].WorkOrder != op.WorkOrder; last && op.State == Done {
			in.Made[e.SKU] += left
		}
	}
	type open struct {
		cell string
		at   time.Time
	}
	running := make(map[int64]open)
	for _, e := range runs {
		i, ok := byID[e.Operation]
		if !ok {
			continue
		}
		if r, ok := running[e.Operation]; ok && e.From == Running {
			in.Operations[i].Runs = append(in.Operations[i].Runs, margin.Run{Cell: r.cell, Time: max(e.At.Sub(r.at), 0)})
			delete(running, e.Operation)
		}
		if e.To == Running {
			cell := e.Cell
			if cell == "" {
				cell = ops[i].Cell
			}
			running[e.Operation] = open{cell: cell, at: e.At}
		}
	}
	for id, r := range running {
		i := byID[id]
		in.Operations[i].Runs = append(in.Operations[i].Runs, margin.Run{Cell: r.cell, Time: max(now.Sub(r.at), 0)})
	}
	return in, nil
}

// Margin returns the margin of a drop (see MarginInputs and margin.Compute).
func (b *Book) Margin(ctx context.Context, drop string) (margin.Margin, error) {
	in, err := b.MarginInputs(ctx, drop)
	if err != nil {
		return margin.Margin{}, err
	}
	return margin.Compute(b.cfg().factory, in), nil
}
