package oee

import (
	"fmt"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// By is how a window is cut into buckets.
type By string

// The kinds of bucket.
const (
	ByShift By = "shift"
	ByDay   By = "day"
	ByWeek  By = "week"
)

// MaxBuckets caps the buckets of one report: a year by shifts of an hour is about 9,000.
const MaxBuckets = 10000

// Bucket is one interval of a report, whole: a report's window may cut its first and last.
type Bucket struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Shift names the shift of a bucket by shift, "" otherwise.
	Shift string `json:"shift,omitempty"`
}

// Buckets cuts [from, to) into buckets in loc (UTC when nil): days and weeks (from Monday) start
// at local midnight, shifts at their start on each day and last until the next shift starts, the
// last of a day until the first of the next. A day in which the clocks change lasts 23 or 25
// hours. Every bucket overlapping [from, to) is returned whole, in order.
func Buckets(from, to time.Time, by By, loc *time.Location, shifts []configs.Shift) ([]Bucket, error) {
	if loc == nil {
		loc = time.UTC
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("to %s is not after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var out []Bucket
	add := func(b Bucket) error {
		if b.End.After(from) && b.Start.Before(to) && b.Start.Before(b.End) {
			if len(out) == MaxBuckets {
				return fmt.Errorf("by %s: more than %d buckets from %s to %s", by, MaxBuckets, from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
			out = append(out, b)
		}
		return nil
	}
	f := from.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	switch by {
	case ByDay:
		for ; day.Before(to); day = nextDay(day, 1) {
			if err := add(Bucket{Start: day, End: nextDay(day, 1)}); err != nil {
				return nil, err
			}
		}
	case ByWeek:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		for day = nextDay(day, -back); day.Before(to); day = nextDay(day, 7) {
			if err := add(Bucket{Start: day, End: nextDay(day, 7)}); err != nil {
				return nil, err
			}
		}
	case ByShift:
		if len(shifts) == 0 {
			shifts = []configs.Shift{{Name: "day"}}
		}
		// The last shift of the day before may reach past midnight into from's day.
		for day = nextDay(day, -1); day.Before(to); day = nextDay(day, 1) {
			for i, s := range shifts {
				end := clock(nextDay(day, 1), shifts[0].Start)
				if i+1 < len(shifts) {
					end = clock(day, shifts[i+1].Start)
				}
				if err := add(Bucket{Start: clock(day, s.Start), End: end, Shift: s.Name}); err != nil {
					return nil, err
				}
			}
		}
	default:
		return nil, fmt.Errorf("by: %q is not shift, day or week", by)
	}
	return out, nil
}

// nextDay is local midnight n days after the local midnight day.
func nextDay(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}

// clock is the wall-clock time d after midnight of day, in day's location.
func clock(day time.Time, d time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, day.Location())
}
