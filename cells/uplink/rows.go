package uplink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/network"
)

var _ book.RowReader = (*routedRows)(nil)

// routedRows reads routed orders as the rows of a batch, line n being the n-th order. Each
// order goes through intake's JSON reader, so that intake alone says what a well-formed row
// is, at the site as at the hub.
type routedRows struct {
	orders []network.RoutedOrder
	next   int
}

// rowObject is an order as intake's JSON batch has it.
type rowObject struct {
	OrderID  string `json:"order_id"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Customer string `json:"customer,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Due      string `json:"due,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// Next returns the next order as a row, an intake.RowErrors for a malformed one, io.EOF after
// the last.
func (r *routedRows) Next() (intake.Row, error) {
	if r.next >= len(r.orders) {
		return intake.Row{}, io.EOF
	}
	o := r.orders[r.next]
	r.next++
	line := r.next
	obj := rowObject{OrderID: o.OrderID, SKU: o.SKU, Quantity: o.Quantity, Customer: o.Customer, Priority: o.Priority, Notes: o.Notes}
	if !o.Due.IsZero() {
		obj.Due = o.Due.UTC().Format(time.RFC3339Nano)
	}
	raw, err := json.Marshal([]rowObject{obj})
	if err != nil {
		return intake.Row{}, fmt.Errorf("encoding routed order %q: %w", o.OrderID, err)
	}
	jr, err := intake.NewJSON(bytes.NewReader(raw))
	if err != nil {
		return intake.Row{}, atLine(err, line)
	}
	row, err := jr.Next()
	if err != nil {
		return intake.Row{}, atLine(err, line)
	}
	row.Line = line
	return row, nil
}

// atLine puts a row's problems at its line of the batch.
func atLine(err error, line int) error {
	var es intake.RowErrors
	if !errors.As(err, &es) {
		return err
	}
	out := make(intake.RowErrors, len(es))
	for i, e := range es {
		e.Line = line
		out[i] = e
	}
	return out
}
