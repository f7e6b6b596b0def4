package configs

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve on hosts without a zoneinfo database

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Hours are working hours: the days of the week and the time of day a cell works, in a time
// zone. The scheduler plans work at a cell only within its hours; a cell without hours works
// around the clock.
type Hours struct {
	Location *time.Location
	// Days are the working days, indexed by time.Weekday.
	Days [7]bool
	// Open and Close are the start and end of the working day since local midnight; Open is
	// before Close (a shift over midnight is two cells' worth of planning and not supported).
	Open, Close time.Duration
	Line        int
}

// Windows returns the working intervals that overlap [from, to), in order, cut to [from, to).
func (h *Hours) Windows(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	day := from.In(h.Location)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, h.Location)
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, h.Location) {
		if !h.Days[day.Weekday()] {
			continue
		}
		open := clock(day, h.Open)
		closing := clock(day, h.Close)
		if closing.After(from) && open.Before(to) {
			out = append(out, [2]time.Time{maxTime(open, from), minTime(closing, to)})
		}
	}
	return out
}

// clock is the wall-clock time d after midnight of day, in day's location (DST-aware: 08:00 is
// 08:00 on the day the clocks change).
func clock(day time.Time, d time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, day.Location())
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// hours decodes and checks an hours mapping (timezone, days, open, close) under key of m.
func (d *decoder) hours(m *mapping, key string) value[*Hours] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Hours]{}
	}
	v := value[*Hours]{Line: e.Key.Line}
	field := m.Field(key)
	hm, ok := d.Mapping(e.Val, m.Object, field, "timezone", "days", "open", "close")
	if !ok {
		v.Bad = true
		return v
	}
	h := &Hours{Location: time.UTC, Line: e.Key.Line}
	bad := false
	if tz := d.Str(hm, "timezone"); tz.Bad {
		bad = true
	} else if tz.Set() {
		loc, err := time.LoadLocation(tz.V)
		if err != nil || tz.V == "" || tz.V == "Local" {
			d.Add(tz.Line, m.Object, hm.Field("timezone"), "unknown time zone %s (want an IANA name such as Europe/Lisbon, or UTC)", yamlfile.Quote(tz.V))
			bad = true
		} else {
			h.Location = loc
		}
	}
	days, ok := hm.Entries["days"]
	switch {
	case !ok:
		d.Add(e.Key.Line, m.Object, hm.Field("days"), "required")
		bad = true
	case days.Val.Kind != yaml.SequenceNode || len(days.Val.Content) == 0:
		d.Add(days.Key.Line, m.Object, hm.Field("days"), "expected a list of days such as [mon, tue, wed, thu, fri], got %s", yamlfile.Describe(days.Val))
		bad = true
	default:
		for _, n := range days.Val.Content {
			s, isBad := d.Scalar(n, m.Object, hm.Field("days"), "a day")
			wd, known := weekdays[strings.ToLower(s)]
			switch {
			case isBad:
				bad = true
			case !known:
				d.Add(n.Line, m.Object, hm.Field("days"), "unknown day %s (want mon, tue, wed, thu, fri, sat or sun)", yamlfile.Quote(s))
				bad = true
			case h.Days[wd]:
				d.Add(n.Line, m.Object, hm.Field("days"), "%s listed twice", yamlfile.Quote(s))
				bad = true
			default:
				h.Days[wd] = true
			}
		}
	}
	open, okOpen := d.timeOfDay(hm, "open", e.Key.Line)
	closing, okClose := d.timeOfDay(hm, "close", e.Key.Line)
	if okOpen && okClose && closing <= open {
		d.Add(hm.Entries["close"].Key.Line, m.Object, hm.Field("close"), "%s is not after open %s (shifts over midnight are not supported)",
			fmtClock(closing), fmtClock(open))
		bad = true
	}
	h.Open, h.Close = open, closing
	if bad || !okOpen || !okClose {
		v.Bad = true
		return v
	}
	v.V = h
	return v
}

// timeOfDay decodes a required HH:MM time of day (00:00 to 24:00).
func (d *decoder) timeOfDay(m *mapping, key string, objectLine int) (time.Duration, bool) {
	v := d.Str(m, key)
	switch {
	case v.Bad:
		return 0, false
	case !v.Set():
		d.Add(objectLine, m.Object, m.Field(key), "required")
		return 0, false
	}
	var h, min int
	if n, err := fmt.Sscanf(v.V, "%d:%d", &h, &min); err != nil || n != 2 || len(v.V) != 5 || h < 0 || min < 0 || min > 59 || h > 24 || (h == 24 && min > 0) {
		d.Add(v.Line, m.Object, m.Field(key), "invalid time %s (want HH:MM from 00:00 to 24:00, such as 08:30)", yamlfile.Quote(v.V))
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(min)*time.Minute, true
}

func fmtClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// CellHours returns the working hours of the cell with that id: its own, else the factory's;
// nil when it works around the clock or there is no such cell.
func (f *Factory) CellHours(id string) *Hours {
	c, ok := f.Cell(id)
	if !ok {
		return nil
	}
	if c.Hours != nil {
		return c.Hours
	}
	return f.Hours
}
