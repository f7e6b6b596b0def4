package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// BenchmarkImport measures a batch import: 100,000 orders, each with a work order of four
// operations and an order.received event, in one Write.
func BenchmarkImport(b *testing.B) {
	const orders = 100_000
	type row struct {
		o   book.Order
		wo  book.WorkOrder
		ops []book.Operation
		ev  book.Event
	}
	rows := make([]row, orders)
	for i := range rows {
		o, wo, ops, ev := storetest.Fixture("drop-1", i)
		rows[i] = row{o, wo, ops, ev}
	}
	ctx := context.Background()
	var elapsed time.Duration
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		s, err := Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("import-%d.db", n)), nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		err = s.Write(ctx, func(tx book.Tx) error {
			for i := range rows {
				r := rows[i] // a copy: the ids are set on it
				if err := tx.InsertOrder(r.o); err != nil {
					return err
				}
				if err := tx.InsertWorkOrder(&r.wo, r.ops); err != nil {
					return err
				}
				r.ev.WorkOrder = r.wo.ID
				if err := tx.AppendEvent(&r.ev); err != nil {
					return err
				}
			}
			return nil
		})
		b.StopTimer()
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(orders*b.N)/elapsed.Seconds(), "orders/s")
}

// BenchmarkQueue measures reading the first 100 entries of a cell's queue when 10,000 open
// work orders are queued over 10 cells.
func BenchmarkQueue(b *testing.B) {
	s, _ := openTest(b)
	const workOrders, cells = 10_000, 10
	storetest.MustWrite(b, s, func(tx book.Tx) error {
		for i := range workOrders {
			o, wo, ops, _ := storetest.Fixture("drop-1", i)
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			ops[0].State, ops[0].Cell = book.Queued, fmt.Sprintf("cell-%d", i%cells)
			if i < cells {
				ops[0].State = book.Running
			}
			if err := tx.InsertWorkOrder(&wo, ops); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		err := s.Read(ctx, func(tx book.ReadTx) error {
			q, err := tx.Queue("cell-3", 100)
			if err != nil {
				return err
			}
			if len(q) != 100 {
				return fmt.Errorf("queue has %d entries, want 100", len(q))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOrders measures looking up 100,000 order ids, as an import does to find the orders
// it already has, when 100,000 orders are stored.
func BenchmarkOrders(b *testing.B) {
	const orders = 100_000
	s, _ := openTest(b)
	ids := make([]string, orders)
	storetest.MustWrite(b, s, func(tx book.Tx) error {
		for i := range orders {
			o, _, _, _ := storetest.Fixture("drop-1", i)
			ids[i] = o.OrderID
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	for b.Loop() {
		err := s.Read(ctx, func(tx book.ReadTx) error {
			got, err := tx.Orders(ids)
			if err != nil {
				return err
			}
			if len(got) != orders {
				return fmt.Errorf("%d orders, want %d", len(got), orders)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
