package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

// gen writes a batch of at most left bytes.
type gen struct {
	w       *bufio.Writer
	left    int64
	written int64
	rows    int
	skus    []string // sold in the drop, taken in turn
	stored  int      // ids 0 to stored-1 are in the book
	maxRows int      // rowsThen writes at most this many rows, when not 0
	ids     idGen
}

// sku returns the SKU of the next row.
func (g *gen) sku() string { return g.skus[g.rows%len(g.skus)] }

// errFull says the batch has no room for what was to be written.
var errFull = errors.New("full")

// put writes s if it fits.
func (g *gen) put(s string) error {
	if int64(len(s)) > g.left {
		return errFull
	}
	g.left -= int64(len(s))
	g.written += int64(len(s))
	_, err := g.w.WriteString(s)
	return err
}

// fill writes b n times, or as many times as fit.
func (g *gen) fill(b byte, n int64) error {
	n = min(n, g.left)
	chunk := strings.Repeat(string(b), 1<<16)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if err := g.put(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// rowsThen writes rows made by row while they fit with room left for tail, then tail, which is
// a last row when lastRow says so.
func (g *gen) rowsThen(row func() string, tail string, lastRow bool) error {
	for g.maxRows == 0 || g.rows < g.maxRows {
		r := row()
		if int64(len(r)+len(tail)) > g.left {
			break
		}
		if err := g.put(r); err != nil {
			return err
		}
		g.rows++
	}
	if lastRow {
		g.rows++
	}
	return g.put(tail)
}

// idGen makes distinct order ids, the shortest first: 0 to z, then 00 to zz, and so on.
type idGen struct{ d []byte }

const idDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func (g *idGen) next() string {
	for i := len(g.d) - 1; i >= 0; i-- {
		k := strings.IndexByte(idDigits, g.d[i])
		if k < len(idDigits)-1 {
			g.d[i] = idDigits[k+1]
			return string(g.d)
		}
		g.d[i] = idDigits[0]
	}
	g.d = append(g.d, idDigits[0])
	for i := range g.d {
		g.d[i] = idDigits[0]
	}
	return string(g.d)
}

// shape is one kind of batch.
type shape struct {
	json  bool
	write func(g *gen) error
}

const csvHeader = "order_id,sku,quantity\n"

// shapes are the batches that cost the most memory to refuse, each as large as the limit lets it
// be.
var shapes = map[string]shape{
	// Three problems in three bytes: the most problems a byte can carry.
	"csv-empty-rows": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string { return ",,\n" }, "", false)
	}},
	// Well-formed rows with distinct ids and an unknown SKU: every id is kept to find a later
	// duplicate.
	"csv-unknown-sku": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string { return g.ids.next() + ",?,1\n" }, "", false)
	}},
	// Good rows, the shortest there can be, but for the last: every row is held to be stored
	// until the last one refuses the batch.
	"csv-good-but-last": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string { return g.ids.next() + "," + g.sku() + ",1\n" }, ",,\n", true)
	}},
	// csv-good-but-last without the bad row: a batch to check, not to refuse.
	"csv-good": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string { return g.ids.next() + "," + g.sku() + ",1\n" }, "", false)
	}},
	// Good rows as a studio writes them, with a customer, a priority and quoted notes.
	"csv-studio": {write: func(g *gen) error {
		if err := g.put("order_id,sku,quantity,customer,priority,notes\n"); err != nil {
			return err
		}
		return g.rowsThen(func() string {
			i := g.rows + 1
			return fmt.Sprintf("B-%07d,%s,%d,customer %d,%d,\"bench row %d, quoted\"\n", i, g.sku(), 1+i%3, i, i%3, i)
		}, "", false)
	}},
	// Good rows of the largest quantity: the drop's window is full after the first ones, and
	// every later row is refused when counted against it.
	"csv-over-window": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string { return g.ids.next() + "," + g.sku() + ",1000000\n" }, "", false)
	}},
	// The ids stored before (-stored) again with other content, each a conflict found by a
	// look-up in the store, then new good rows.
	"csv-stored-conflicts": {write: func(g *gen) error {
		if err := g.put(csvHeader); err != nil {
			return err
		}
		return g.rowsThen(func() string {
			if g.rows < g.stored {
				return g.ids.next() + "," + g.sku() + ",2\n"
			}
			return g.ids.next() + "," + g.sku() + ",1\n"
		}, ",,\n", true)
	}},
	// One row whose notes take the whole batch.
	"csv-long-field": {write: func(g *gen) error {
		if err := g.put("order_id,sku,quantity,notes\na," + g.sku() + ",1,"); err != nil {
			return err
		}
		g.rows++
		return g.fill('x', g.left)
	}},
	// A quoted field never closed: the rest of the batch, short lines, is inside it.
	"csv-open-quote": {write: func(g *gen) error {
		if err := g.put("order_id,sku,quantity,notes\na," + g.sku() + ",1,\""); err != nil {
			return err
		}
		g.rows++
		return g.rowsThen(func() string { return "b," + g.sku() + ",1,\n" }, "", false)
	}},
	// A header of millions of unknown columns.
	"csv-long-header": {write: func(g *gen) error {
		if err := g.put("order_id,sku,quantity"); err != nil {
			return err
		}
		for g.put(",x") == nil {
		}
		return g.put("\n")
	}},
	// Empty order objects: three problems in three bytes.
	"json-empty-objects": {json: true, write: func(g *gen) error {
		if err := g.put("[{}"); err != nil {
			return err
		}
		g.rows++
		return g.rowsThen(func() string { return ",{}" }, "]", false)
	}},
	// csv-good-but-last in JSON.
	"json-good-but-last": {json: true, write: func(g *gen) error {
		if err := g.put("["); err != nil {
			return err
		}
		return g.rowsThen(func() string {
			sep := ","
			if g.rows == 0 {
				sep = ""
			}
			return sep + `{"order_id":"` + g.ids.next() + `","sku":"` + g.sku() + `","quantity":1}`
		}, ",{}]", true)
	}},
	// One order whose id is a string as long as the batch.
	"json-long-string": {json: true, write: func(g *gen) error {
		if err := g.put(`{"orders":[{"order_id":"`); err != nil {
			return err
		}
		g.rows++
		if err := g.fill('x', g.left-len64(`"}]}`)); err != nil {
			return err
		}
		return g.put(`"}]}`)
	}},
	// A field of the batch object nested as deep as the batch goes.
	"json-deep": {json: true, write: func(g *gen) error {
		if err := g.put(`{"x":`); err != nil {
			return err
		}
		return g.fill('[', g.left)
	}},
	// White space as long as the batch between two orders.
	"json-white-space": {json: true, write: func(g *gen) error {
		o := `{"order_id":"a","sku":"` + g.sku() + `","quantity":1}`
		if err := g.put("[" + o + ","); err != nil {
			return err
		}
		g.rows += 2
		if err := g.fill(' ', g.left-len64(o+"]")); err != nil {
			return err
		}
		return g.put(strings.Replace(o, `"a"`, `"b"`, 1) + "]")
	}},
}

func len64(s string) int64 { return int64(len(s)) }
