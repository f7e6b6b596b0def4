package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// completionsSQL selects the completions of a drop, through the partial index
// events_completed, whose kind it names literally.
const completionsSQL = `SELECT w.id, w.order_id, w.intake_at, max(e.at)
	FROM work_orders w JOIN events e ON e.work_order = w.id AND e.kind = '` + book.EventWorkOrderCompleted + `'
	WHERE w.drop_id = $1
	GROUP BY w.id ORDER BY w.id`

// Completions returns the completed work orders of a drop, by work order id: their order, the
// time of their workorder.completed event (the latest, should there be several) and their
// intake.
func (t *readTx) Completions(drop string) ([]book.Completion, error) {
	rows, err := t.query(completionsSQL, drop)
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %q: %w", drop, err)
	}
	cs, err := collect(rows, func(r pgx.Rows) (book.Completion, error) {
		var c book.Completion
		var intake, completed int64
		err := r.Scan(&c.WorkOrder, &c.OrderID, &intake, &completed)
		c.IntakeAt, c.CompletedAt = fromMicros(intake), fromMicros(completed)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading completions of drop %q: %w", drop, err)
	}
	return cs, nil
}

const eventCols = `id, at, actor, kind, coalesce(cell, ''), drop_id, order_id, coalesce(work_order, 0),
	coalesce(operation, 0), from_state, to_state, reason, quantity, batch`

func scanEvent(r pgx.Rows) (book.Event, error) {
	var e book.Event
	var at int64
	var from, to string
	err := r.Scan(&e.ID, &at, &e.Actor, &e.Kind, &e.Cell, &e.Drop, &e.OrderID, &e.WorkOrder, &e.Operation,
		&from, &to, &e.Reason, &e.Quantity, &e.Batch)
	e.At, e.From, e.To = fromMicros(at), book.State(from), book.State(to)
	return e, err
}

// Events returns the events f selects, by id ascending.
func (t *readTx) Events(f book.EventFilter) ([]book.Event, error) {
	q := &pgutil.SQL{}
	q.WriteString(`SELECT ` + eventCols + ` FROM events WHERE id > ` + q.Arg(f.AfterID))
	if f.WorkOrder != 0 {
		q.WriteString(` AND work_order = ` + q.Arg(f.WorkOrder))
	}
	if f.Operation != 0 {
		q.WriteString(` AND operation = ` + q.Arg(f.Operation))
	}
	if f.Cell != "" {
		q.WriteString(` AND cell = ` + q.Arg(f.Cell))
	}
	if len(f.Kinds) > 0 {
		q.WriteString(` AND kind = ANY(` + q.Arg(f.Kinds) + `)`)
	}
	if !f.Since.IsZero() {
		q.WriteString(` AND at >= ` + q.Arg(microsAtLeast(f.Since)))
	}
	q.WriteString(` ORDER BY id LIMIT ` + q.Arg(rowLimit(f.Limit)))
	rows, err := t.query(q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	events, err := collect(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return events, nil
}

// LastEventID returns the id of the latest event, 0 when there is none.
func (t *readTx) LastEventID() (int64, error) {
	var id int64
	if err := t.queryRow(`SELECT coalesce(max(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the last event id: %w", err)
	}
	return id, nil
}

// Idempotency returns the record of a key, or ok false.
func (t *readTx) Idempotency(principal, key string) (book.IdempotencyRecord, bool, error) {
	rec := book.IdempotencyRecord{Principal: principal, Key: key}
	var created int64
	err := t.queryRow(`SELECT request_hash, status, response, created_at FROM idempotency
		WHERE principal = $1 AND key = $2`, principal, key).Scan(&rec.RequestHash, &rec.Status, &rec.Response, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return book.IdempotencyRecord{}, false, nil
	}
	if err != nil {
		return book.IdempotencyRecord{}, false, fmt.Errorf("reading idempotency key of %q: %w", principal, err)
	}
	rec.CreatedAt = fromMicros(created)
	if len(rec.Response) == 0 {
		rec.Response = nil // stored as an empty bytea
	}
	return rec, true, nil
}

// Counts returns the number of work orders per state and operations per state. A state that
// had work orders or operations once and has none now counts 0. In a write transaction the
// counts include its own changes, kept in memory until commit (see commit.go).
func (t *readTx) Counts() (map[book.WorkOrderState]int, map[book.State]int, error) {
	rows, err := t.query(`SELECT entity, state, n FROM state_counts`)
	if err != nil {
		return nil, nil, fmt.Errorf("reading counts: %w", err)
	}
	type count struct {
		k entityState
		n int
	}
	stored, err := collect(rows, func(r pgx.Rows) (count, error) {
		var c count
		err := r.Scan(&c.k.entity, &c.k.state, &c.n)
		return c, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading counts: %w", err)
	}
	counts := make(map[entityState]int, len(stored))
	for _, c := range stored {
		counts[c.k] = c.n
	}
	if t.w != nil {
		for k, n := range t.w.counts {
			counts[k] += n
		}
	}
	wos, ops := make(map[book.WorkOrderState]int), make(map[book.State]int)
	for k, n := range counts {
		switch k.entity {
		case entityWorkOrder:
			wos[book.WorkOrderState(k.state)] = n
		case entityOperation:
			ops[book.State(k.state)] = n
		}
	}
	return wos, ops, nil
}
