package book_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/margin"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/sqlite"
)

// benchFactory has a drop with room for large batches: weaving at two cells, dyeing at one.
const benchFactory = `
site: bench
cells:
  - {id: dye-1, capabilities: [dye]}
  - {id: weave-1, capabilities: [weave]}
  - {id: weave-2, capabilities: [weave]}
  - {id: pack-1, capabilities: [pack]}
products:
  - sku: RUG
    routing:
      - {capability: dye, unit_time: 10m, setup: 30m, changeover: {attribute: colour, value: indigo}}
      - {capability: weave, unit_time: 1h}
      - {capability: pack, unit_time: 5m}
  - sku: SCARF
    routing:
      - {capability: weave, unit_time: 20m}
      - {capability: pack, unit_time: 2m}
drops:
  - id: big
    date: 2027-01-10
    windows: {RUG: 1000000, SCARF: 1000000}
`

// openBench opens a store on a new file, closed when the test ends, and a book of benchFactory
// over it, after edit changes its Config (nil for none).
func openBench(tb testing.TB, edit func(*book.Config)) *book.Book {
	tb.Helper()
	f := booktest.Parse(tb, "bench.yaml", []byte(benchFactory))
	st, _ := booktest.Store(tb, "book.db")
	cfg := book.Config{Store: st, Factory: f}
	if edit != nil {
		edit(&cfg)
	}
	return book.New(cfg)
}

// BenchmarkImport100k imports a 100,000-row CSV batch through the whole path: parsing, checks
// against the book, one transaction storing orders, work orders, operations and events, and the
// dispatch of every first operation.
func BenchmarkImport100k(b *testing.B) {
	const rows = 100_000
	var csv bytes.Buffer
	csv.WriteString("order_id,sku,quantity,customer\n")
	for i := 0; i < rows; i++ {
		sku := "SCARF"
		if i%3 == 0 {
			sku = "RUG"
		}
		fmt.Fprintf(&csv, "O-%07d,%s,%d,customer %d\n", i, sku, 1+i%4, i)
	}
	f, err := configs.Parse("bench.yaml", []byte(benchFactory), nil) // no machines, so no profiles
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		bk := book.New(book.Config{Store: st, Factory: f})
		rr, err := intake.NewCSV(bytes.NewReader(csv.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := bk.Import(context.Background(), book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if res.Created != rows || res.Queued != rows {
			b.Fatalf("result %+v", res)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRefuse1M refuses a batch of 1,000,000 rows, as many as a batch may have: short good
// rows and a bad last one. Every row is read, held and looked up in the store before the last
// one refuses the batch.
func BenchmarkRefuse1M(b *testing.B) {
	const rows = book.DefaultMaxRows
	var csv bytes.Buffer
	csv.WriteString("order_id,sku,quantity\n")
	for i := range rows - 1 {
		sku := "SCARF"
		if i%2 == 0 {
			sku = "RUG"
		}
		fmt.Fprintf(&csv, "%x,%s,1\n", i, sku)
	}
	csv.WriteString(",,\n")
	bk := openBench(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		rr, err := intake.NewCSV(bytes.NewReader(csv.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		_, err = bk.Import(context.Background(), book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"})
		var be *book.BatchError
		if !errors.As(err, &be) || be.BadRows != 1 {
			b.Fatalf("import: %v, want the last row refused", err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkShortfalls reads what the dashboard and the planner's drop page read of a drop's
// losses, in a book of 20,000 orders of which 1 % lost a unit (half of those made again): the
// Short list (Shortfalls) and the completed orders (Completions, which settles the orders that
// lost units), beside the store's read of the completed work orders alone, which is all
// Completions read before an order could have several work orders.
func BenchmarkShortfalls(b *testing.B) {
	const orders, lossy = 20_000, 200
	var csv bytes.Buffer
	csv.WriteString("order_id,sku,quantity\n")
	for i := range orders {
		fmt.Fprintf(&csv, "O-%06d,SCARF,2\n", i)
	}
	f, err := configs.Parse("bench.yaml", []byte(benchFactory), nil) // no machines, so no profiles
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "book.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	bk := book.New(book.Config{Store: st, Factory: f})
	rr, err := intake.NewCSV(&csv)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bk.Import(ctx, book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	for i := range lossy {
		id := fmt.Sprintf("O-%06d", i*orders/lossy)
		_, wo, err := bk.Order(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		d, err := bk.WorkOrder(ctx, wo.ID)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bk.Transition(ctx, book.TransitionRequest{Operation: d.Operations[0].ID, Action: book.ActionScrap,
			Actor: "bench", Reason: "moth holes", Quantity: 1}); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := bk.Remake(ctx, book.RemakeRequest{OrderID: id, Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("shortfalls", func(b *testing.B) {
		for b.Loop() {
			if s, err := bk.Shortfalls(ctx, "big"); err != nil || len(s) != lossy {
				b.Fatalf("%d shortfalls, %v; want %d", len(s), err, lossy)
			}
		}
	})
	b.Run("completions", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Completions(ctx, "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer-store-completions", func(b *testing.B) {
		for b.Loop() {
			if err := st.Read(ctx, func(tx book.ReadTx) error {
				_, err := tx.Completions("big")
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUnits measures what making units as records adds to the transactions that count
// them: a count of one unit at a rug's first step (dye), which makes the unit, beside the same
// count at its second step (weave), where the unit exists; and the completion of an uncounted
// first step of 1,000 units, which makes them all, beside the completion of the second step of
// 1,000 units made before. Each pair is the same transaction but for the units it makes.
func BenchmarkUnits(b *testing.B) {
	ctx := context.Background()
	bk := openBench(b, nil)
	seq := 0
	// order imports an order of RUG and returns its operations.
	order := func(b *testing.B, quantity int) []book.Operation {
		b.Helper()
		seq++
		id := fmt.Sprintf("U-%06d", seq)
		rr, err := intake.NewCSV(bytes.NewBufferString(fmt.Sprintf("order_id,sku,quantity\n%s,RUG,%d\n", id, quantity)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bk.Import(ctx, book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		_, wo, err := bk.Order(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		d, err := bk.WorkOrder(ctx, wo.ID)
		if err != nil {
			b.Fatal(err)
		}
		return d.Operations
	}
	act := func(b *testing.B, op int64, a book.Action) {
		b.Helper()
		if _, err := bk.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "bench"}); err != nil {
			b.Fatalf("%s operation %d: %v", a, op, err)
		}
	}
	// count counts units at a running operation, one more each op.
	count := func(b *testing.B, op int64) {
		done := 0
		for b.Loop() {
			done++
			if _, err := bk.Progress(ctx, op, done, "bench"); err != nil {
				b.Fatal(err)
			}
		}
		act(b, op, book.ActionComplete)
	}
	const counted = 1000 // more than a run counts; the drop sells a million rugs in all
	b.Run("count-making-a-unit", func(b *testing.B) {
		ops := order(b, counted)
		act(b, ops[0].ID, book.ActionStart)
		count(b, ops[0].ID)
	})
	b.Run("peer-count-a-made-unit", func(b *testing.B) {
		ops := order(b, counted)
		act(b, ops[0].ID, book.ActionStart)
		act(b, ops[0].ID, book.ActionComplete) // makes the units
		act(b, ops[1].ID, book.ActionStart)
		count(b, ops[1].ID)
	})
	const completed = 1000
	b.Run("complete-making-1000", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			ops := order(b, completed)
			act(b, ops[0].ID, book.ActionStart)
			b.StartTimer()
			act(b, ops[0].ID, book.ActionComplete)
		}
	})
	b.Run("peer-complete-1000-made", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			ops := order(b, completed)
			act(b, ops[0].ID, book.ActionStart)
			act(b, ops[0].ID, book.ActionComplete)
			act(b, ops[1].ID, book.ActionStart)
			b.StartTimer()
			act(b, ops[1].ID, book.ActionComplete)
		}
	})
}

// BenchmarkLotTrace traces a yarn lot that 25,000 dye baths consumed, the baths of 25,000 rug
// orders of 4 units each (100,000 units), in a book that also holds 25,000 orders dyed from
// another lot: the recall trace (Book.LotTrace: the lot's uses with their work orders and
// their orders' customers, then the work orders' 100,000 units), beside the store's read of
// the drop's 50,000 work orders, the rows the trace's answer is made of, and a tablet's queue
// page (Book.QueuePage, 50 entries), the floor's most frequent read.
func BenchmarkLotTrace(b *testing.B) {
	const orders, units = 50_000, 4
	const lotFactory = `
site: bench
cells:
  - {id: dye-1, capabilities: [dye]}
  - {id: weave-1, capabilities: [weave]}
products:
  - sku: RUG
    routing:
      - {capability: dye, makes_lot: true, materials: [yarn], unit_time: 10m}
      - {capability: weave, materials: [warp], unit_time: 1h}
drops:
  - id: big
    date: 2027-01-10
    windows: {RUG: 1000000}
`
	var csv bytes.Buffer
	csv.WriteString("order_id,sku,quantity,customer\n")
	for i := range orders {
		fmt.Fprintf(&csv, "O-%06d,RUG,%d,customer %d\n", i, units, i)
	}
	f, err := configs.Parse("bench.yaml", []byte(lotFactory), nil) // no machines, so no profiles
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "book.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	bk := book.New(book.Config{Store: st, Factory: f})
	rr, err := intake.NewCSV(&csv)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bk.Import(ctx, book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	// Every other order's dye bath consumed yarn lot Y-1, the others Y-2: written straight to
	// the store, as 50,000 starts would leave them.
	if err := st.Write(ctx, func(tx book.Tx) error {
		wos, err := tx.WorkOrders(book.WorkOrderFilter{Drop: "big"})
		if err != nil {
			return err
		}
		for i, wo := range wos {
			ops, err := tx.Operations(wo.ID)
			if err != nil {
				return err
			}
			lot := []string{"Y-1", "Y-2"}[i%2]
			if err := tx.PutOperationLot(book.OperationLot{Operation: ops[0].ID, Material: "yarn", Lot: lot,
				Role: book.LotConsumed, Actor: "bench"}); err != nil {
				return err
			}
			made := make([]book.Unit, units)
			for n := range made {
				made[n] = book.Unit{WorkOrder: wo.ID, Number: n + 1, OrderUnit: n + 1, Seq: int64(i*units + n + 1),
					Serial: fmt.Sprintf("%s-%d", wo.OrderID, n+1)}
			}
			if err := tx.InsertUnits(made); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("trace", func(b *testing.B) {
		for b.Loop() {
			tr, err := bk.LotTrace(ctx, "Y-1")
			if err != nil || len(tr.WorkOrders) != orders/2 || len(tr.WorkOrders[0].Units) != units {
				b.Fatalf("%d work orders traced, %v; want %d of %d units", len(tr.WorkOrders), err, orders/2, units)
			}
		}
	})
	b.Run("peer-store-work-orders", func(b *testing.B) {
		for b.Loop() {
			if err := st.Read(ctx, func(tx book.ReadTx) error {
				wos, err := tx.WorkOrders(book.WorkOrderFilter{Drop: "big"})
				if err == nil && len(wos) != orders {
					err = fmt.Errorf("%d work orders", len(wos))
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer-queue-page", func(b *testing.B) {
		for b.Loop() {
			if q, _, err := bk.QueuePage(ctx, "dye-1", 50); err != nil || len(q) != 50 {
				b.Fatalf("%d queued, %v", len(q), err)
			}
		}
	})
}

// BenchmarkDropMargin measures the margin of a drop of 10,000 orders of two scarves (20,000
// operations), 1,000 of whose first steps ran (started, paused, resumed and completed: four
// events each), priced and with rates: the book's whole read and computation, the read of its
// inputs alone and the pure computation alone, beside two peers in the same run, the
// turnaround of the same drop (a drop-wide read of the event log) and the store's read of the
// drop's 10,000 work orders.
func BenchmarkDropMargin(b *testing.B) {
	const orders, ran = 10_000, 1_000
	var csv bytes.Buffer
	csv.WriteString("order_id,sku,quantity\n")
	for i := range orders {
		fmt.Fprintf(&csv, "O-%06d,SCARF,2\n", i)
	}
	f := booktest.Parse(b, "bench.yaml", []byte(benchFactory))
	for i := range f.Cells {
		f.Cells[i].LabourRate, f.Cells[i].MachineRate = 1850, 400
	}
	for i := range f.Products {
		f.Products[i].Price = 4500
		for j := range f.Products[i].Routing {
			f.Products[i].Routing[j].MaterialCost = 325
		}
	}
	st, _ := booktest.Store(b, "book.db")
	ctx := context.Background()
	bk := book.New(book.Config{Store: st, Factory: f})
	rr, err := intake.NewCSV(&csv)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bk.Import(ctx, book.ImportRequest{Drop: "big", Rows: rr, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	wos, err := bk.WorkOrders(ctx, book.WorkOrderFilter{Drop: "big", Limit: ran})
	if err != nil {
		b.Fatal(err)
	}
	for _, wo := range wos {
		d, err := bk.WorkOrder(ctx, wo.ID)
		if err != nil {
			b.Fatal(err)
		}
		op := d.Operations[0].ID
		for _, a := range []book.Action{book.ActionStart, book.ActionPause, book.ActionResume, book.ActionComplete} {
			if _, err := bk.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "bench", Reason: "break"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("margin", func(b *testing.B) {
		for b.Loop() {
			if m, err := bk.Margin(ctx, "big"); err != nil || m.Total.Predicted.Units != 2*orders {
				b.Fatalf("%+v, %v", m.Total, err)
			}
		}
	})
	b.Run("inputs", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.MarginInputs(ctx, "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	in, err := bk.MarginInputs(ctx, "big")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("compute", func(b *testing.B) {
		for b.Loop() {
			margin.Compute(f, in)
		}
	})
	b.Run("peer-turnaround", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Turnaround(ctx, "big"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer-store-work-orders", func(b *testing.B) {
		for b.Loop() {
			if err := st.Read(ctx, func(tx book.ReadTx) error {
				_, err := tx.WorkOrders(book.WorkOrderFilter{Drop: "big"})
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
