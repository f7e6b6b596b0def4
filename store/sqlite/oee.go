package sqlite

import (
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// What OEE and first-pass yield read: the units the event log counted, and the operations that
// ended.

// UnitCounts returns the events that counted units at operations in [from, to), at cell ("" for
// every cell), by id. A completion counts the good units its operation had not counted in
// progress: quantity less scrapped less units done (the sum of its progress events).
func (t *readTx) UnitCounts(from, to time.Time, cell string) ([]book.UnitCount, error) {
	// events_kind_at (kind, at) finds them: an IN on its first column and a range on its second;
	// the first good unit before from, which only a scrap asks, is looked for among the operation's events (the unary
	// pluses keep the planner from scanning every earlier progress event for each row instead).
	rows, err := t.query(`SELECT e.at, e.cell, e.operation, e.kind, e.to_state, e.quantity,
			o.quantity - o.scrapped - o.units_done, o.unit_time_ns,
			COALESCE(o.rework_of, 0) <> 0, EXISTS (SELECT 1 FROM nonconformances n WHERE n.operation = o.id),
			CASE WHEN e.kind = ? OR e.to_state = ? THEN
				EXISTS (SELECT 1 FROM events p WHERE p.operation = e.operation AND +p.kind = ? AND p.quantity > 0 AND +p.at < ?)
			ELSE 0 END
		FROM events e JOIN operations o ON o.id = e.operation
		WHERE e.kind IN (?, ?, ?) AND e.at >= ? AND e.at < ?
			AND (e.kind <> ? OR e.to_state IN (?, ?))
			AND e.cell IS NOT NULL AND e.cell <> '' AND (? = '' OR e.cell = ?)
		ORDER BY e.id`,
		book.EventOperationScrap, string(book.Scrapped), book.EventOperationProgress, micros(from),
		book.EventOperationProgress, book.EventOperationScrap, book.EventOperation, micros(from), micros(to),
		book.EventOperation, string(book.Done), string(book.Scrapped), cell, cell)
	if err != nil {
		return nil, fmt.Errorf("reading the units counted from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := collect(t.ctx, rows, func(sc scanner) (book.UnitCount, error) {
		var c book.UnitCount
		var at, unitTime int64
		var kind, toState string
		var quantity, uncounted int
		err := sc.Scan(&at, &c.Cell, &c.Operation, &kind, &toState, &quantity, &uncounted, &unitTime, &c.Rework, &c.Failed, &c.GoodBefore)
		c.At, c.UnitTime = fromMicros(at), time.Duration(unitTime)
		switch {
		case kind == book.EventOperationProgress:
			c.Done = quantity
		case kind == book.EventOperationScrap || toState == string(book.Scrapped):
			c.Scrapped = quantity
		default:
			c.Done = max(uncounted, 0)
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the units counted from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// EndedOperations returns the operations ended in [from, to) with their work order's SKU, by id.
func (t *readTx) EndedOperations(from, to time.Time) ([]book.EndedOperation, error) {
	rows, err := t.query(`SELECT o.id, o.cell, w.sku, o.ended_at, o.quantity - o.scrapped, o.scrapped, o.state,
			COALESCE(o.rework_of, 0) <> 0, EXISTS (SELECT 1 FROM nonconformances n WHERE n.operation = o.id)
		FROM operations o JOIN work_orders w ON w.id = o.work_order
		WHERE o.ended_at >= ? AND o.ended_at < ? AND o.state IN (?, ?) AND o.cell <> ''
		ORDER BY o.id`, micros(from), micros(to), string(book.Done), string(book.Scrapped))
	if err != nil {
		return nil, fmt.Errorf("reading the operations ended from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := collect(t.ctx, rows, func(sc scanner) (book.EndedOperation, error) {
		var o book.EndedOperation
		var ended int64
		var state string
		err := sc.Scan(&o.ID, &o.Cell, &o.SKU, &ended, &o.Done, &o.Scrapped, &state, &o.Rework, &o.Failed)
		o.Ended = fromMicros(ended)
		if state == string(book.Scrapped) {
			o.Done = 0
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the operations ended from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}
