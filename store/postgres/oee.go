package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// What OEE and first-pass yield read: the units the event log counted, and the operations that
// ended. Both are one statement over a window, read through the indexes of events by kind and
// time (events_kind_at) and of operations by end (operations_ended).

// unitCountsSQL selects the events that counted units in [$5, $6). The first good unit before
// the window, which only a scrap asks, is looked for among the operation's own events
// (events_operation). %s is the cell's term, or nothing: a cell is compared as e.cell || ”,
// which no index answers, so that the planner does not AND the day's events with the cell's
// of the whole year (events_cell).
const unitCountsSQL = `SELECT e.at, e.cell, e.operation, e.kind, e.to_state, e.quantity,
		o.quantity - o.scrapped - o.units_done, o.unit_time_ns,
		COALESCE(o.rework_of, 0) <> 0, EXISTS (SELECT 1 FROM nonconformances n WHERE n.operation = o.id),
		CASE WHEN e.kind = $1 OR e.to_state = $2 THEN
			EXISTS (SELECT 1 FROM events p WHERE p.operation = e.operation AND p.kind = $3 AND p.quantity > 0 AND p.at < $5)
		ELSE false END
	FROM events e JOIN operations o ON o.id = e.operation
	WHERE e.kind IN ($3, $1, $4) AND e.at >= $5 AND e.at < $6
		AND (e.kind <> $4 OR e.to_state IN ($7, $2))
		AND e.cell IS NOT NULL AND e.cell <> ''%s
	ORDER BY e.id`

// UnitCounts returns the events that counted units at operations in [from, to), at cell ("" for
// every cell), by id. A completion counts the good units its operation had not counted in
// progress: quantity less scrapped less units done (the sum of its progress events).
func (t *readTx) UnitCounts(from, to time.Time, cell string) ([]book.UnitCount, error) {
	args := []any{book.EventOperationScrap, string(book.Scrapped), book.EventOperationProgress, book.EventOperation,
		micros(from), micros(to), string(book.Done)}
	cellTerm := ""
	if cell != "" {
		cellTerm, args = ` AND e.cell || '' = $8`, append(args, cell)
	}
	rows, err := t.query(fmt.Sprintf(unitCountsSQL, cellTerm), args...)
	if err != nil {
		return nil, fmt.Errorf("reading the units counted from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := collect(rows, scanUnitCount)
	if err != nil {
		return nil, fmt.Errorf("reading the units counted from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

func scanUnitCount(sc pgx.Rows) (book.UnitCount, error) {
	var c book.UnitCount
	var at, unitTime, quantity, uncounted int64
	var kind, toState string
	if err := sc.Scan(&at, &c.Cell, &c.Operation, &kind, &toState, &quantity, &uncounted, &unitTime, &c.Rework, &c.Failed, &c.GoodBefore); err != nil {
		return c, err
	}
	c.At, c.UnitTime = fromMicros(at), time.Duration(unitTime)
	switch {
	case kind == book.EventOperationProgress:
		c.Done = int(quantity)
	case kind == book.EventOperationScrap || toState == string(book.Scrapped):
		c.Scrapped = int(quantity)
	default:
		c.Done = int(max(uncounted, 0))
	}
	return c, nil
}

// endedOperationsSQL selects the operations ended in [$1, $2) through the index of ends
// (operations_ended) with their work order's SKU; how the work orders are joined (by key, or
// hashed once for a long window) is the planner's to choose.
const endedOperationsSQL = `SELECT o.id, o.cell, w.sku, o.ended_at, o.quantity - o.scrapped, o.scrapped, o.state,
		COALESCE(o.rework_of, 0) <> 0, EXISTS (SELECT 1 FROM nonconformances n WHERE n.operation = o.id)
	FROM operations o JOIN work_orders w ON w.id = o.work_order
	WHERE o.ended_at >= $1 AND o.ended_at < $2 AND o.state IN ($3, $4) AND o.cell <> ''
	ORDER BY o.id`

// EndedOperations returns the operations ended in [from, to) with their work order's SKU, by id.
func (t *readTx) EndedOperations(from, to time.Time) ([]book.EndedOperation, error) {
	rows, err := t.query(endedOperationsSQL, micros(from), micros(to), string(book.Done), string(book.Scrapped))
	if err != nil {
		return nil, fmt.Errorf("reading the operations ended from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out, err := collect(rows, func(sc pgx.Rows) (book.EndedOperation, error) {
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
