package web

import (
	"context"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// Late orders and recent turnaround, as the dashboard, the drop page and the promise check show
// them. A drop is late when the plan finishes it after the drop's date; an order is late when
// the plan finishes it after its own due date, which a rush order may be while its drop ships
// early. The pages name the late orders rather than count them.

// lateRow is a late order as a page names it.
type lateRow struct {
	OrderID   string
	Customer  string
	Drop      string
	Due       time.Time
	Predicted time.Time // the plan's finish
	LateBy    time.Duration
	New       bool // of the batch being checked, not in the book
}

// lateList is a table of late orders: the first ones, and how many there are in all.
type lateList struct {
	ID       string // the table's element id
	Rows     []lateRow
	All      int
	ShowDrop bool
}

// More is how many late orders the table does not list.
func (l lateList) More() int { return l.All - len(l.Rows) }

// dashboardLate is how many late orders the dashboard names; the drop pages name the rest.
const dashboardLate = 10

// worstLate returns the limit latest of the late orders of drops, each list latest first as
// the planner sorts them, with the drop of each and the count of them all.
func worstLate(drops []planner.DropForecast, limit int) (rows []lateRow, all int) {
	next := make([]int, len(drops))
	for _, d := range drops {
		all += len(d.Late)
	}
	for len(rows) < min(limit, all) {
		best := -1
		for i, d := range drops {
			if next[i] < len(d.Late) && (best < 0 || d.Late[next[i]].LateBy > drops[best].Late[next[best]].LateBy) {
				best = i
			}
		}
		l := drops[best].Late[next[best]]
		next[best]++
		rows = append(rows, lateRow{OrderID: l.OrderID, Drop: drops[best].Drop, Due: l.Due, Predicted: l.Predicted,
			LateBy: time.Duration(l.LateBy), New: l.WorkOrder == 0})
	}
	return rows, all
}

// nameCustomers fills in the customers of late orders: those of a batch being checked from its
// customers by order id (nil outside a check), the others from the book, in one look-up.
func (p *Pages) nameCustomers(ctx context.Context, rows []lateRow, batch map[string]string) error {
	var ids []string
	for i, r := range rows {
		if r.New {
			rows[i].Customer = batch[r.OrderID]
		} else {
			ids = append(ids, r.OrderID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	stored, err := p.book.Orders(ctx, ids)
	if err != nil {
		return err
	}
	for i, r := range rows {
		if o, ok := stored[r.OrderID]; ok && !r.New {
			rows[i].Customer = o.Customer
		}
	}
	return nil
}

// lateOf returns the table of the late orders of drops, the first limit of them named.
func (p *Pages) lateOf(ctx context.Context, id string, drops []planner.DropForecast, limit int, showDrop bool) (lateList, error) {
	l := lateList{ID: id, ShowDrop: showDrop}
	l.Rows, l.All = worstLate(drops, limit)
	return l, p.nameCustomers(ctx, l.Rows, nil)
}

// forecasts returns the current plan's forecasts of the drops with open work, and false when
// there is no plan.
func (p *Pages) forecasts() ([]planner.DropForecast, bool) {
	if p.cfg.Planner == nil {
		return nil, false
	}
	if pl := p.cfg.Planner.Current(); pl != nil {
		return pl.Drops, true
	}
	return nil, false
}

// Turnaround periods, as the dashboard names them.
const (
	periodThisWeek = "this-week"
	periodLastWeek = "last-week"
	periodAll      = "all"
)

// periodRow is the turnaround of the work orders completed in a period: [From, To), or ever
// when From is zero.
type periodRow struct {
	Period     string
	From, To   time.Time
	Turnaround book.Turnaround
}

// LastDay is the period's last day, for its name.
func (r periodRow) LastDay() time.Time { return r.To.Add(-time.Nanosecond) }

// turnaroundPeriods summarizes the turnaround of the work orders completed this week (from
// Monday, in loc), last week and ever, over every drop.
func turnaroundPeriods(completions map[string][]book.Completion, now time.Time, loc *time.Location) []periodRow {
	l := now.In(loc)
	monday := time.Date(l.Year(), l.Month(), l.Day()-(int(l.Weekday())+6)%7, 0, 0, 0, 0, loc)
	rows := []periodRow{
		{Period: periodThisWeek, From: monday, To: time.Date(monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0, 0, loc)},
		{Period: periodLastWeek, From: time.Date(monday.Year(), monday.Month(), monday.Day()-7, 0, 0, 0, 0, loc), To: monday},
		{Period: periodAll},
	}
	var done [3][]book.Completion
	for _, cs := range completions {
		for _, c := range cs {
			for i, r := range rows {
				if r.From.IsZero() || !c.CompletedAt.Before(r.From) && c.CompletedAt.Before(r.To) {
					done[i] = append(done[i], c)
				}
			}
		}
	}
	for i := range rows {
		rows[i].Turnaround = book.Summarize("", done[i])
	}
	return rows
}
