package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// withdrawals sets the Withdrawn of the orders in out that were withdrawn, among ids.
func (t *readTx) withdrawals(ids []string, out map[string]book.Order) error {
	rows, err := t.query(`SELECT order_id, at, actor, reason FROM order_withdrawals WHERE order_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	ws, err := collect(rows, func(r pgx.Rows) (book.Withdrawal, error) {
		var w book.Withdrawal
		var at int64
		err := r.Scan(&w.OrderID, &at, &w.Actor, &w.Reason)
		w.At = fromMicros(at)
		return w, err
	})
	if err != nil {
		return err
	}
	for _, w := range ws {
		if o, ok := out[w.OrderID]; ok {
			o.Withdrawn = &w
			out[w.OrderID] = o
		}
	}
	return nil
}

// WithdrawOrder records an order's withdrawal and takes its units off its drop's.
func (t *writeTx) WithdrawOrder(w book.Withdrawal) error {
	var drop, sku string
	var quantity int
	err := t.queryRow(`SELECT drop_id, sku, quantity FROM orders WHERE order_id = $1`, w.OrderID).Scan(&drop, &sku, &quantity)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, err)
	}
	tag, err := t.exec(`INSERT INTO order_withdrawals (order_id, at, actor, reason) VALUES ($1, $2, $3, $4)
		ON CONFLICT (order_id) DO NOTHING`, w.OrderID, micros(w.At), w.Actor, w.Reason)
	if err != nil {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("withdrawing order %q: withdrawn already: %w", w.OrderID, ErrConflict)
	}
	t.addUnits(drop, sku, -quantity)
	return nil
}
