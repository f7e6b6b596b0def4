package booktest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// OEEYearFactory is the factory file of the benchmarks of OEE over a year: cells cell-00,
// cell-01, ... weaving, 08:00-16:00 Monday to Friday; SCARF woven in 10 minutes a unit and sold
// by drop "big"; a manager's token "manager-token-0000000001".
func OEEYearFactory(cells int) string {
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
tokens:
  - name: boss
    role: manager
    token: "manager-token-0000000001"
`)
	return s.String()
}

// OEEYearReasons are the reasons the stops of FillOEEYear are given in turn ("" for none).
var OEEYearReasons = []string{"breakdown", "changeover", "material", "", "break", "other"}

// OEEYearDays is the number of working days the benchmarks of OEE fill: a year's 250, or
// fewer for a quick run, from the environment's OEE_DAYS.
func OEEYearDays() int {
	if d, err := strconv.Atoi(os.Getenv("OEE_DAYS")); err == nil && d > 0 {
		return d
	}
	return 250
}

// FillOEEYear stores the work of days working days of OEEYearFactory's cells from Monday 5
// January 2026, in one transaction a day, and returns the days: for each cell each day, an order
// of SCARF x unitsPerDay woven from 08:00 to 16:00 (unitsPerDay-5 units counted one by one
// every 11 minutes from 08:01, one scrapped at 15:00 after them, the rest completed at 15:59)
// and stopsPerDay stops every 16 minutes from 08:00, of 1 to 9 minutes, with OEEYearReasons in
// turn.
func FillOEEYear(tb testing.TB, st book.Store, cells, days, stopsPerDay, unitsPerDay int) []time.Time {
	tb.Helper()
	var workdays []time.Time
	for d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); len(workdays) < days; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			workdays = append(workdays, d)
		}
	}
	for di, day := range workdays {
		if err := st.Write(context.Background(), func(tx book.Tx) error {
			for c := range cells {
				if err := fillOEEDay(tx, di, day, fmt.Sprintf("cell-%02d", c), stopsPerDay, unitsPerDay); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return workdays
}

// fillOEEDay stores one cell's day of FillOEEYear.
func fillOEEDay(tx book.Tx, di int, day time.Time, cell string, stopsPerDay, unitsPerDay int) error {
	open, end := day.Add(8*time.Hour), day.Add(16*time.Hour)
	orderID := fmt.Sprintf("O-%03d-%s", di, strings.TrimPrefix(cell, "cell-"))
	if err := tx.InsertOrder(book.Order{OrderID: orderID, Drop: "big", SKU: "SCARF", Quantity: unitsPerDay, Due: day, IntakeAt: day}); err != nil {
		return err
	}
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
		e := start.Add(time.Duration(1+s%9) * time.Minute)
		reason := OEEYearReasons[s%len(OEEYearReasons)]
		if err := tx.InsertStop(&book.Stop{Cell: cell, Kind: book.StopFault, Start: start, End: &e, Reason: reason}); err != nil {
			return err
		}
	}
	return nil
}
