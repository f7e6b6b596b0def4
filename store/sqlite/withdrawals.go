package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/cellforge/cellforge/book"
)

// withdrawals sets the Withdrawn of the orders in out that were withdrawn, among ids.
func (t *readTx) withdrawals(ids []any, out map[string]book.Order) error {
	rows, err := t.query(`SELECT order_id, at, actor, reason FROM order_withdrawals
		WHERE order_id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var w book.Withdrawal
		var at int64
		if err := rows.Scan(&w.OrderID, &at, &w.Actor, &w.Reason); err != nil {
			return err
		}
		w.At = fromMicros(at)
		if o, ok := out[w.OrderID]; ok {
			o.Withdrawn = &w
			out[w.OrderID] = o
		}
	}
	return rows.Err()
}

// WithdrawOrder records an order's withdrawal and takes its units off its drop's.
func (t *writeTx) WithdrawOrder(w book.Withdrawal) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, err)
	}
	var drop, sku string
	var quantity int
	err := t.queryRow(`SELECT drop_id, sku, quantity FROM orders WHERE order_id = ? AND +rowid < ?`,
		w.OrderID, t.vis.orders).Scan(&drop, &sku, &quantity)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, book.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, err)
	}
	res, err := t.exec(`INSERT INTO order_withdrawals (order_id, at, actor, reason) VALUES (?, ?, ?, ?)
		ON CONFLICT (order_id) DO NOTHING`, w.OrderID, micros(w.At), w.Actor, w.Reason)
	if err != nil {
		return fmt.Errorf("withdrawing order %q: %w", w.OrderID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("withdrawing order %q: withdrawn already: %w", w.OrderID, errors.Join(ErrConflict, err))
	}
	t.units[dropSKU{drop, sku}] -= quantity
	return nil
}
