package pgutil

import (
	"slices"
	"strings"
	"time"
)

// Micros is t as stored: unix microseconds.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// MicrosAtLeast is the first stored time at or after t: t rounded up to the microsecond, so
// that a stored time is >= it exactly when the time it stands for is >= t.
func MicrosAtLeast(t time.Time) int64 {
	us := t.UnixMicro() // rounds down: the nanoseconds of a Time are never negative
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

// FromMicros is the time stored as us, in UTC.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// WithoutNUL deals with the texts of a read that hold a NUL byte. PostgreSQL refuses such a
// text outright, where SQLite compares it; no stored text holds one (the stores never write
// one), so it matches nothing, and a read that names one finds nothing rather than failing.
// none tells that a text argument holds one: the read finds nothing. From a list of texts,
// those that hold one are left out, which changes nothing of what the list matches.
func WithoutNUL(args []any) (out []any, none bool) {
	out = args
	cloned := false
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if HoldsNUL(v) {
				return nil, true
			}
		case []string:
			if !slices.ContainsFunc(v, HoldsNUL) {
				continue
			}
			if !cloned {
				out, cloned = slices.Clone(args), true
			}
			out[i] = slices.DeleteFunc(slices.Clone(v), HoldsNUL)
		}
	}
	return out, false
}

// HoldsNUL tells whether s holds a NUL byte, which no PostgreSQL text can hold.
func HoldsNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }
