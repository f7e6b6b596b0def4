package chart

import (
	"math"
	"time"
)

// timeTick is one labelled position on a time axis.
type timeTick struct {
	t     time.Time
	label string
}

type timeUnit int

const (
	unitMinute timeUnit = iota
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
)

// timeStep is a candidate tick interval: n units.
type timeStep struct {
	unit timeUnit
	n    int
	secs float64 // approximate length, to choose the step
}

var timeSteps = []timeStep{
	{unitMinute, 1, 60}, {unitMinute, 2, 120}, {unitMinute, 5, 300}, {unitMinute, 10, 600},
	{unitMinute, 15, 900}, {unitMinute, 30, 1800},
	{unitHour, 1, 3600}, {unitHour, 2, 7200}, {unitHour, 3, 3 * 3600}, {unitHour, 6, 6 * 3600},
	{unitHour, 12, 12 * 3600},
	{unitDay, 1, 86400}, {unitDay, 2, 2 * 86400},
	{unitWeek, 1, 7 * 86400}, {unitWeek, 2, 14 * 86400},
	{unitMonth, 1, 30.4 * 86400}, {unitMonth, 2, 61 * 86400}, {unitMonth, 3, 91 * 86400},
	{unitMonth, 6, 182 * 86400},
}

// seconds returns t-from in seconds without time.Duration's ±292-year saturation.
func seconds(t, from time.Time) float64 {
	return float64(t.Unix()-from.Unix()) + float64(t.Nanosecond()-from.Nanosecond())/1e9
}

// timeScale maps [from, to] onto the pixel range [a, b].
func timeScale(from, to time.Time, a, b float64) func(time.Time) float64 {
	span := seconds(to, from)
	if span <= 0 {
		span = 1
	}
	k := (b - a) / span
	return func(t time.Time) float64 { return a + seconds(t, from)*k }
}

// widen gives a zero or inverted window a width, so a single point or an instant still has an
// axis around it.
func widen(from, to time.Time) (time.Time, time.Time) {
	if to.Before(from) {
		from, to = to, from
	}
	if !to.After(from) {
		from, to = from.Add(-30*time.Minute), to.Add(30*time.Minute)
	}
	return from, to
}

// timeTicks returns at most about n ticks on calendar boundaries in loc between from and to
// (which must be ordered), labelled "14:00" within a day, "Mon 3" by day and "3 Mar" by week,
// "Mar" by month (with the year in January and on the first tick) and "2027" by year.
func timeTicks(from, to time.Time, loc *time.Location, n int) []timeTick {
	span := seconds(to, from)
	n = max(n, 1)
	step := timeStep{unit: unitYear, n: 1}
	found := false
	for _, s := range timeSteps {
		if span/s.secs <= float64(n) {
			step, found = s, true
			break
		}
	}
	if !found {
		years := niceStep(span / (365.25 * 86400) / float64(n))
		step.n = int(math.Max(1, math.Min(years, 1e6)))
	}
	f := from.In(loc)
	y, mo, d := f.Date()
	h, mi := f.Hour(), f.Minute()
	var at func(k int) time.Time
	switch step.unit {
	case unitMinute:
		base := time.Date(y, mo, d, h, mi-mi%step.n, 0, 0, loc)
		at = func(k int) time.Time { return base.Add(time.Duration(k*step.n) * time.Minute) }
	case unitHour:
		h0 := h - h%step.n
		at = func(k int) time.Time { return time.Date(y, mo, d, h0+k*step.n, 0, 0, 0, loc) }
	case unitDay:
		at = func(k int) time.Time { return time.Date(y, mo, d+k*step.n, 0, 0, 0, 0, loc) }
	case unitWeek:
		d0 := d - (int(f.Weekday())+6)%7 // back to Monday
		at = func(k int) time.Time { return time.Date(y, mo, d0+7*k*step.n, 0, 0, 0, 0, loc) }
	case unitMonth:
		m0 := int(mo) - (int(mo)-1)%step.n
		at = func(k int) time.Time { return time.Date(y, time.Month(m0+k*step.n), 1, 0, 0, 0, 0, loc) }
	default:
		y0 := y - mod(y, step.n)
		at = func(k int) time.Time { return time.Date(y0+k*step.n, 1, 1, 0, 0, 0, 0, loc) }
	}
	multiDay := span > 86400
	var ticks []timeTick
	for k := 0; k < 4*n+8; k++ {
		t := at(k)
		if t.After(to) {
			break
		}
		if t.Before(from) {
			continue
		}
		ticks = append(ticks, timeTick{t: t, label: tickLabel(t, step.unit, multiDay, len(ticks) == 0)})
	}
	return ticks
}

func tickLabel(t time.Time, unit timeUnit, multiDay, first bool) string {
	switch unit {
	case unitMinute, unitHour:
		if multiDay && t.Hour() == 0 && t.Minute() == 0 {
			return t.Format("Mon 2")
		}
		return t.Format("15:04")
	case unitDay:
		return t.Format("Mon 2")
	case unitWeek:
		return t.Format("2 Jan")
	case unitMonth:
		if first || t.Month() == time.January {
			return t.Format("Jan 2006")
		}
		return t.Format("Jan")
	default:
		return t.Format("2006")
	}
}

func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// dayWindow returns the days from tmin's to tmax's, midnight to midnight in loc: the time axis of
// a chart with a point per day.
func dayWindow(tmin, tmax time.Time, loc *time.Location) (time.Time, time.Time) {
	if tmax.Before(tmin) {
		tmin, tmax = tmax, tmin
	}
	a, b := tmin.In(loc), tmax.In(loc)
	return time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, loc), time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, loc)
}

// dayTicks returns at most about n ticks at the middle of the days from midnight from to
// midnight to in loc, a day or a whole number of days apart (weeks when the days are many),
// labelled with the date: "Mon 7 Dec".
func dayTicks(from, to time.Time, loc *time.Location, n int) []timeTick {
	f := from.In(loc)
	days := 0
	for time.Date(f.Year(), f.Month(), f.Day()+days, 0, 0, 0, 0, loc).Before(to) {
		days++
	}
	step := 1
	for _, s := range []int{1, 2, 7, 14, 28, 91, 182, 364} {
		step = s
		if days <= s*max(n, 1) {
			break
		}
	}
	var ticks []timeTick
	for k := 0; k < days; k += step {
		t := time.Date(f.Year(), f.Month(), f.Day()+k, 12, 0, 0, 0, loc)
		ticks = append(ticks, timeTick{t: t, label: formatDate(t)})
	}
	return ticks
}

// formatDate is the label of a day.
func formatDate(t time.Time) string { return t.Format("Mon 2 Jan") }

// formatWhen is the time format of tooltips.
func formatWhen(t time.Time) string { return t.Format("Mon 2 Jan 15:04") }

// formatDay is the time format of summaries, which may span years.
func formatDay(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04") }
