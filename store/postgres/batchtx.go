package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cellforge/cellforge/book"
)

// copyRows is how many rows of a table a batch gathers before it sends them with COPY: it
// bounds the memory of a large batch, and a COPY of this size costs little per row.
const copyRows = 4096

// The ids of work orders and operations are taken from their sequences in blocks of at least
// firstIDBlock, doubling up to maxIDBlock: a small batch wastes few, a large one asks seldom.
const (
	firstIDBlock = 64
	maxIDBlock   = 16384
)

// The columns a batch copies into, in the order of the values of a row.
var (
	orderColumns     = []string{"order_id", "drop_id", "sku", "quantity", "customer", "priority", "due", "notes", "hash", "intake_at", "batch"}
	workOrderColumns = []string{"id", "order_id", "drop_id", "sku", "quantity", "priority", "due", "state", "intake_at", "completed_at", "remake_of"}
	operationColumns = []string{"id", "work_order", "seq", "name", "capability", "quantity", "unit_time_ns", "setup_ns",
		"changeover_attr", "changeover_value", "state", "cell", "reason", "scrapped", "units_done",
		"queued_at", "started_at", "ended_at", "version", "due", "priority", "step", "rework_of"}
	eventColumns = []string{"id", "at", "actor", "kind", "cell", "drop_id", "order_id", "work_order", "operation",
		"from_state", "to_state", "reason", "quantity", "batch"}
)

// batchTx implements book.BatchTx on a batch's transaction (see batch.go): it gathers the rows
// and sends them with COPY, and keeps the events until the batch is published.
type batchTx struct {
	ctx context.Context
	tx  pgx.Tx
	// err is the error of a failed COPY: the transaction is aborted, and every later method
	// fails with it.
	err error

	// the rows not sent yet
	orders, workOrders, operations [][]any
	// orderIDs are the ids of the batch's orders, to refuse one twice.
	orderIDs map[string]struct{}
	// events are the batch's events, sent when it is published; at most maxEvents.
	events    []*book.Event
	maxEvents int
	// the ids taken from the sequences and not handed out yet
	workOrderIDs, operationIDs idBlock

	// units and counts are what the batch adds to drop_units and state_counts when it is
	// published.
	units  map[[2]string]int64 // by drop and SKU
	counts map[[2]string]int64 // by entity and state
}

var _ book.BatchTx = (*batchTx)(nil)

func newBatchTx(ctx context.Context, tx pgx.Tx, events int) *batchTx {
	return &batchTx{
		ctx: ctx, tx: tx, maxEvents: events,
		orderIDs:     make(map[string]struct{}),
		workOrderIDs: idBlock{sequence: "work_orders"},
		operationIDs: idBlock{sequence: "operations"},
		units:        make(map[[2]string]int64),
		counts:       make(map[[2]string]int64),
	}
}

// usable returns why the batch can take no more rows: a failed COPY, or its context ended.
func (t *batchTx) usable() error {
	if t.err != nil {
		return t.err
	}
	return t.ctx.Err()
}

// InsertOrder inserts an order of the batch. An order id inserted twice is an error wrapping
// ErrConflict; one stored already fails the batch with such an error when the order is sent,
// at a later method or when fill returns.
func (t *batchTx) InsertOrder(o book.Order) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("inserting order %q: %w", o.OrderID, err)
	}
	if _, dup := t.orderIDs[o.OrderID]; dup {
		return fmt.Errorf("inserting order %q: inserted twice: %w", o.OrderID, ErrConflict)
	}
	t.orderIDs[o.OrderID] = struct{}{}
	t.orders = append(t.orders, []any{o.OrderID, o.Drop, o.SKU, o.Quantity, o.Customer, o.Priority, micros(o.Due),
		o.Notes, o.Hash, micros(o.IntakeAt), o.Batch})
	t.units[[2]string{o.Drop, o.SKU}] += int64(o.Quantity)
	return t.flushIfFull()
}

// InsertWorkOrder inserts a work order of the batch and its operations, setting their ids and
// the operations' WorkOrder. The ids are final: taken from the tables' sequences.
func (t *batchTx) InsertWorkOrder(wo *book.WorkOrder, ops []book.Operation) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err)
	}
	id, err := t.workOrderIDs.next(t.ctx, t.tx, 1)
	if err != nil {
		return t.fail(fmt.Errorf("inserting work order of order %q: %w", wo.OrderID, err))
	}
	due := micros(wo.Due)
	t.workOrders = append(t.workOrders, []any{id, wo.OrderID, wo.Drop, wo.SKU, wo.Quantity, wo.Priority, due,
		string(wo.State), micros(wo.IntakeAt), nullMicros(wo.CompletedAt), nullInt64(wo.RemakeOf)})
	t.counts[[2]string{"work_order", string(wo.State)}]++
	for i := range ops {
		op := &ops[i]
		opID, err := t.operationIDs.next(t.ctx, t.tx, len(ops)-i)
		if err != nil {
			return t.fail(fmt.Errorf("inserting operation %d of work order %d: %w", op.Seq, id, err))
		}
		t.operations = append(t.operations, []any{opID, id, op.Seq, op.Name, op.Capability, op.Quantity,
			int64(op.UnitTime), int64(op.Setup), op.ChangeoverAttr, op.ChangeoverValue, string(op.State), op.Cell,
			op.Reason, op.Scrapped, op.UnitsDone, nullMicros(op.QueuedAt), nullMicros(op.StartedAt),
			nullMicros(op.EndedAt), op.Version, due, wo.Priority, op.Step, nullInt64(op.ReworkOf)})
		op.ID, op.WorkOrder = opID, id
		t.counts[[2]string{"operation", string(op.State)}]++
	}
	wo.ID = id
	return t.flushIfFull()
}

// AppendEvent keeps an event of the batch, to be sent when the batch is published. e.ID is
// set then, not now: see "Event ids" at the top of batch.go.
func (t *batchTx) AppendEvent(e *book.Event) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("appending %s event: %w", e.Kind, err)
	}
	if len(t.events) >= t.maxEvents {
		return fmt.Errorf("appending %s event: the batch was to append %d events", e.Kind, t.maxEvents)
	}
	t.events = append(t.events, e)
	return nil
}

// fail records err, which aborted the transaction, for every later method.
func (t *batchTx) fail(err error) error {
	t.err = err
	return err
}

// flushIfFull sends the rows gathered once a table has copyRows of them.
func (t *batchTx) flushIfFull() error {
	if len(t.orders) < copyRows && len(t.workOrders) < copyRows && len(t.operations) < copyRows {
		return nil
	}
	return t.flush()
}

// flush sends every row gathered. An order id stored already is an error naming it and
// wrapping ErrConflict.
func (t *batchTx) flush() error {
	if err := t.usable(); err != nil {
		return err
	}
	if err := t.copy("orders", orderColumns, &t.orders); err != nil {
		if id, ok := storedOrder(err); ok {
			return t.fail(fmt.Errorf("inserting order %q: stored already: %w: %w", id, ErrConflict, err))
		}
		return t.fail(fmt.Errorf("inserting orders: %w", err))
	}
	if err := t.copy("work_orders", workOrderColumns, &t.workOrders); err != nil {
		return t.fail(fmt.Errorf("inserting work orders: %w", err))
	}
	if err := t.copy("operations", operationColumns, &t.operations); err != nil {
		return t.fail(fmt.Errorf("inserting operations: %w", err))
	}
	return nil
}

// copy sends *rows into table with COPY and empties *rows.
func (t *batchTx) copy(table string, cols []string, rows *[][]any) error {
	if len(*rows) == 0 {
		return nil
	}
	if _, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(*rows)); err != nil {
		return classify(err)
	}
	clear(*rows) // lets go of the strings
	*rows = (*rows)[:0]
	return nil
}

// storedOrderKey is how the server names the key of a unique violation of orders.
var storedOrderKey = regexp.MustCompile(`^Key \(order_id\)=\((.*)\) already exists\.$`)

// storedOrder returns the order id of err when it is a unique violation of orders' key.
func storedOrder(err error) (string, bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "orders_pkey" {
		return "", false
	}
	m := storedOrderKey.FindStringSubmatch(pe.Detail)
	if m == nil {
		return pe.Detail, true
	}
	return m[1], true
}

// publishRows sends the batch's events with ids taken now, after every event visible, and sets
// their IDs; and adds the batch's rows to drop_units and state_counts. The transaction holds
// the write lock; the other rows were sent before it was taken (flush).
func (t *batchTx) publishRows() error {
	if err := t.usable(); err != nil {
		return err
	}
	if len(t.events) > 0 {
		// every write that appends events waits for the write lock: these ids are larger than
		// every event's visible, and smaller than those of every write after
		ids, err := takeIDs(t.ctx, t.tx, "events", len(t.events))
		if err != nil {
			return err
		}
		rows := pgx.CopyFromSlice(len(t.events), func(i int) ([]any, error) {
			e := t.events[i]
			return []any{ids[i], micros(e.At), e.Actor, e.Kind, nullString(e.Cell), e.Drop, e.OrderID,
				nullInt64(e.WorkOrder), nullInt64(e.Operation), string(e.From), string(e.To), e.Reason, e.Quantity, e.Batch}, nil
		})
		if _, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{"events"}, eventColumns, rows); err != nil {
			return fmt.Errorf("inserting %d events: %w", len(t.events), classify(err))
		}
		for i, e := range t.events {
			e.ID = ids[i]
		}
	}
	return t.addDerived()
}

// addDerived adds the batch's orders to drop_units and its work orders and operations to
// state_counts, one statement each.
func (t *batchTx) addDerived() error {
	steps := []struct {
		what, sql string
		m         map[[2]string]int64
	}{
		{"adding the batch's units to drop_units", `INSERT INTO drop_units (drop_id, sku, units)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
			ON CONFLICT (drop_id, sku) DO UPDATE SET units = drop_units.units + excluded.units`, t.units},
		{"counting the batch's states in state_counts", `INSERT INTO state_counts (entity, state, n)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
			ON CONFLICT (entity, state) DO UPDATE SET n = state_counts.n + excluded.n`, t.counts},
	}
	for _, st := range steps {
		if len(st.m) == 0 {
			continue
		}
		var a, b []string
		var n []int64
		for k, v := range st.m {
			a, b, n = append(a, k[0]), append(b, k[1]), append(n, v)
		}
		if _, err := t.tx.Exec(t.ctx, st.sql, a, b, n); err != nil {
			return fmt.Errorf("%s: %w", st.what, classify(err))
		}
	}
	return nil
}

// idBlock hands out ids of a table taken from its identity sequence in blocks.
type idBlock struct {
	sequence string // the table
	ids      []int64
	size     int // of the next block
}

// next returns the next id, taking a new block of at least want ids when none is left.
func (b *idBlock) next(ctx context.Context, tx pgx.Tx, want int) (int64, error) {
	if len(b.ids) == 0 {
		b.size = min(max(b.size*2, firstIDBlock, want), max(maxIDBlock, want))
		ids, err := takeIDs(ctx, tx, b.sequence, b.size)
		if err != nil {
			return 0, err
		}
		b.ids = ids
	}
	id := b.ids[0]
	b.ids = b.ids[1:]
	return id, nil
}

// takeIDs takes n ids from the identity sequence of table, ascending. Sequences are not
// transactional: no other transaction ever takes the same, whether this one commits or not.
func takeIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, fmt.Errorf("taking %d ids of %s: %w", n, table, classify(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("taking %d ids of %s: %w", n, table, classify(err))
	}
	return ids, nil
}
