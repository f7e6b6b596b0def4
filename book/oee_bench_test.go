package book_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/sqlite"
)

// BenchmarkOEEYear measures OEE by shift over a year of 20 cells (250 working days of 8 hours,
// 30 stops a cell a day, 40 units a cell a day counted one by one, one scrapped, the rest
// completed by a person), read through a SQLite store: the first call (cold, nothing kept) and
// a second one (warm: the closed buckets kept, only the open day read), beside a cell's queue
// read from the same store as the peer; and the Pareto of the year's stops, cold and warm.
func BenchmarkOEEYear(b *testing.B) {
	const cells, stopsPerDay, unitsPerDay = 20, 30, 40
	days := booktest.OEEYearDays()
	f, err := configs.Parse("bench.yaml", []byte(booktest.OEEYearFactory(cells)), nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "book.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	ss := &stopStore{Store: st}
	workdays := booktest.FillOEEYear(b, st, cells, days, stopsPerDay, unitsPerDay)
	reasons := booktest.OEEYearReasons
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
