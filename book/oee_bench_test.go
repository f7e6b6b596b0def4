package book_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/sqlite"
)

// oeeBenchFactory is 20 cells working 08:00-16:00, Monday to Friday.
func oeeBenchFactory(cells int) string {
	var s strings.Builder
	s.WriteString("site: bench\nhours: {days: [mon, tue, wed, thu, fri], open: \"08:00\", close: \"16:00\"}\ncells:\n")
	for i := range cells {
		fmt.Fprintf(&s, "  - {id: cell-%02d, capabilities: [weave]}\n", i)
	}
	s.WriteString(`products:
  - sku: SCARF
    routing:
      - {capability: weave, unit_time: 10m}
drops:
  - id: big
    date: 2027-01-10
    windows: {SCARF: 1000000}
`)
	return s.String()
}

// BenchmarkOEEYear measures OEE by shift over a year of 20 cells (250 working days of 8 hours,
// 30 stops a cell a day, 40 units a cell a day counted one by one, one scrapped, the rest
// completed by a person), read through a SQLite store: the first call (cold, nothing kept) and
// a second one (warm: the closed buckets kept, only the open day read), beside a cell's queue
// read from the same store as the peer; and the Pareto of the year's stops, cold and warm.
func BenchmarkOEEYear(b *testing.B) {
	const cells, stopsPerDay, unitsPerDay = 20, 30, 40
	days := oeeBenchDays
	f, err := configs.Parse("bench.yaml", []byte(oeeBenchFactory(cells)), nil)
	if err != nil {
		b.Fatal(err)
	}
	f.Stops = configs.DefaultStops()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "book.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	ss := &stopStore{Store: st}
	// 2026: the 250 first weekdays from Monday 5 January.
	var workdays []time.Time
	for d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); len(workdays) < days; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			workdays = append(workdays, d)
		}
	}
	reasons := []string{"breakdown", "changeover", "material", "", "break", "other"}
	for di, day := range workdays {
		open := day.Add(8 * time.Hour)
		if err := st.Write(ctx, func(tx book.Tx) error {
			for c := range cells {
				cell := fmt.Sprintf("cell-%02d", c)
				orderID := fmt.Sprintf("O-%03d-%02d", di, c)
				if err := tx.InsertOrder(book.Order{OrderID: orderID, Drop: "big", SKU: "SCARF", Quantity: unitsPerDay, Due: day, IntakeAt: day}); err != nil {
					return err
				}
				end := open.Add(8 * time.Hour)
				wo := book.WorkOrder{OrderID: orderID, Drop: "big", SKU: "SCARF", Quantity: unitsPerDay, Due: day, State: book.WorkDone, IntakeAt: day, CompletedAt: &end}
				ops := []book.Operation{{Seq: 0, Name: "weave", Capability: "weave", Quantity: unitsPerDay, UnitTime: 10 * time.Minute,
					State: book.Done, Cell: cell, Scrapped: 1, UnitsDone: unitsPerDay - 5, StartedAt: &open, EndedAt: &end}}
				if err := tx.InsertWorkOrder(&wo, ops); err != nil {
					return err
				}
				op, err := tx.Operations(wo.ID)
				if err != nil {
					return err
				}
				ev := func(at time.Time, kind string, to book.State, q int) error {
					return tx.AppendEvent(&book.Event{At: at, Actor: "bench", Kind: kind, Cell: cell, Drop: "big", OrderID: orderID,
						WorkOrder: wo.ID, Operation: op[0].ID, From: book.Running, To: to, Quantity: q})
				}
				for u := range unitsPerDay - 5 {
					if err := ev(open.Add(time.Duration(u)*11*time.Minute+time.Minute), book.EventOperationProgress, book.Running, 1); err != nil {
						return err
					}
				}
				if err := ev(open.Add(7*time.Hour), book.EventOperationScrap, book.Running, 1); err != nil {
					return err
				}
				if err := ev(end.Add(-time.Minute), book.EventOperation, book.Done, 0); err != nil {
					return err
				}
				for s := range stopsPerDay {
					start := open.Add(time.Duration(s) * 16 * time.Minute)
					length := time.Duration(1+s%9) * time.Minute
					e := start.Add(length)
					if err := tx.InsertStop(&book.Stop{Cell: cell, Kind: book.StopFault, Start: start, End: &e, Reason: reasons[s%len(reasons)]}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	last := workdays[len(workdays)-1]
	now := last.Add(12 * time.Hour) // the last day open
	q := book.OEEQuery{From: workdays[0], To: last.AddDate(0, 0, 1), By: oee.ByShift}
	newBook := func() *book.Book {
		return book.New(book.Config{Store: ss, Factory: f, Now: func() time.Time { return now }})
	}
	check := func(rep oee.Report) {
		// Every day 39 good units a cell; on the last, open until 12:00, the 22 counted by then.
		if got, want := rep.Total.Good, cells*(days-1)*(unitsPerDay-1)+cells*22; got != want {
			b.Fatalf("%d good units in the year, want %d", got, want)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			rep, err := newBook().OEE(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			check(rep)
		}
	})
	b.Run("warm", func(b *testing.B) {
		bk := newBook()
		if _, err := bk.OEE(ctx, q); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rep, err := bk.OEE(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			check(rep)
		}
	})
	pareto := func(b *testing.B, bk *book.Book) {
		if p, err := bk.StopPareto(ctx, q.From, q.To, ""); err != nil || len(p) != len(reasons)+1 {
			b.Fatalf("Pareto %+v, %v", p, err)
		}
	}
	b.Run("pareto-cold", func(b *testing.B) {
		for b.Loop() {
			pareto(b, newBook())
		}
	})
	b.Run("pareto-warm", func(b *testing.B) {
		bk := newBook()
		pareto(b, bk)
		for b.Loop() {
			pareto(b, bk)
		}
	})
	b.Run("peer-queue", func(b *testing.B) {
		for b.Loop() {
			if err := st.Read(ctx, func(tx book.ReadTx) error {
				_, err := tx.Queue("cell-00", 100)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// oeeBenchDays is the working days of BenchmarkOEEYear: a year's.
var oeeBenchDays = 250

func init() {
	if d := os.Getenv("OEE_DAYS"); d != "" {
		oeeBenchDays, _ = strconv.Atoi(d)
	}
}
