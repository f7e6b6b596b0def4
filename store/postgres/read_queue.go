package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// queueEntryQuery selects queue entries: operations o joined with their work orders w.
const queueEntryQuery = `SELECT ` + opCols + `, w.order_id, w.drop_id, w.sku, w.priority, w.due
	FROM operations o JOIN work_orders w ON w.id = o.work_order `

// readySQL selects the ready operations. The literal state matches the partial index
// operations_ready, whose order is the ORDER BY's: the read stops after limit entries
// without sorting. A parameter would not match the index's condition.
const readySQL = queueEntryQuery + `WHERE o.state = '` + string(book.Ready) + `'
	ORDER BY o.due, o.priority DESC, o.work_order, o.seq LIMIT $1`

// queueSQL selects the queue of a cell. queue_rank orders running, then paused, then queued;
// the partial index operations_queue holds exactly this order, so the read stops after limit
// entries without sorting.
const queueSQL = queueEntryQuery + `WHERE o.cell = $1 AND o.queue_rank IS NOT NULL
	ORDER BY o.queue_rank, o.due, o.priority DESC, o.work_order, o.seq LIMIT $2`

// queueOrderSQL selects the ids and ranks of a cell's queue in queueSQL's order.
const queueOrderSQL = `SELECT o.id, o.queue_rank FROM operations o
	WHERE o.cell = $1 AND o.queue_rank IS NOT NULL
	ORDER BY o.queue_rank, o.due, o.priority DESC, o.work_order, o.seq`

// finishedSQL selects the operations done or scrapped that ended at or after a time, by
// ended_at and id, through the partial index operations_ended.
const finishedSQL = queueEntryQuery + `WHERE o.ended_at >= $1
	AND o.state IN ('` + string(book.Done) + `', '` + string(book.Scrapped) + `')
	ORDER BY o.ended_at, o.id LIMIT $2`

func scanQueueEntry(rows pgx.Rows) (book.QueueEntry, error) {
	var e book.QueueEntry
	var due int64
	op, err := scanOperation(rows, &e.OrderID, &e.Drop, &e.SKU, &e.Priority, &due)
	e.Operation, e.Due = op, fromMicros(due)
	return e, err
}

// queueEntries runs a query of queue entries; what names the read in an error.
func (t *readTx) queueEntries(what, sql string, args ...any) ([]book.QueueEntry, error) {
	rows, err := t.query(sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	entries, err := collect(rows, scanQueueEntry)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return entries, nil
}

// ReadyOperations returns up to n (all when n <= 0) operations in state ready, earliest
// due first, then higher priority first, then by work order id and seq.
func (t *readTx) ReadyOperations(n int) ([]book.QueueEntry, error) {
	return t.queueEntries("ready operations", readySQL, rowLimit(n))
}

// Queue returns up to n (all when n <= 0) operations queued, running or paused at a
// cell: running first, then paused, then queued; each earliest due first, then higher
// priority, then work order id and seq.
func (t *readTx) Queue(cell string, n int) ([]book.QueueEntry, error) {
	return t.queueEntries(fmt.Sprintf("queue of cell %q", cell), queueSQL, cell, rowLimit(n))
}

// QueueOrder returns the operations of a cell's queue, in Queue's order, by id and state.
func (t *readTx) QueueOrder(cell string) ([]book.QueueRef, error) {
	rows, err := t.query(queueOrderSQL, cell)
	if err != nil {
		return nil, fmt.Errorf("reading the order of the queue of cell %q: %w", cell, err)
	}
	states := [...]book.State{book.Running, book.Paused, book.Queued}
	refs, err := collect(rows, func(r pgx.Rows) (book.QueueRef, error) {
		var ref book.QueueRef
		var rank int
		if err := r.Scan(&ref.ID, &rank); err != nil {
			return ref, err
		}
		if rank < 0 || rank >= len(states) {
			return ref, fmt.Errorf("operation %d: queue rank %d", ref.ID, rank)
		}
		ref.State = states[rank]
		return ref, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the order of the queue of cell %q: %w", cell, err)
	}
	return refs, nil
}

// QueueEntries returns the queue entries of operations by id, in no particular order; ids
// that name no operation are left out.
func (t *readTx) QueueEntries(ids []int64) ([]book.QueueEntry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return t.queueEntries(fmt.Sprintf("%d queue entries", len(ids)), queueEntryQuery+`WHERE o.id = ANY($1)`, ids)
}

// FinishedOperations returns up to n (all when n <= 0) operations done or scrapped
// that ended at or after since, by end time and then id, each with its work order's order id,
// drop, SKU, priority and due.
func (t *readTx) FinishedOperations(since time.Time, n int) ([]book.QueueEntry, error) {
	return t.queueEntries("operations finished since "+since.Format(time.RFC3339), finishedSQL, microsAtLeast(since), rowLimit(n))
}
