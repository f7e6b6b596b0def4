package oee

import (
	"testing"
	"time"
)

// TestClipped: a stop's time within the working windows, which clipped finds by a binary
// search: before, between, across and after them, and with none.
func TestClipped(t *testing.T) {
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	at := func(d, h int) time.Time { return day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	ws := [][2]time.Time{{at(0, 8), at(0, 16)}, {at(1, 8), at(1, 16)}, {at(2, 8), at(2, 16)}}
	for _, c := range []struct {
		name string
		a, b time.Time
		ws   [][2]time.Time
		want time.Duration
	}{
		{"before every window", at(0, 1), at(0, 7), ws, 0},
		{"after every window", at(2, 17), at(3, 1), ws, 0},
		{"between two windows", at(0, 17), at(1, 7), ws, 0},
		{"within one", at(1, 9), at(1, 10), ws, time.Hour},
		{"over the start of one", at(1, 7), at(1, 9), ws, time.Hour},
		{"over the end of one", at(0, 15), at(0, 18), ws, time.Hour},
		{"across three", at(0, 15), at(2, 9), ws, 10 * time.Hour},
		{"ending where one starts", at(1, 7), at(1, 8), ws, 0},
		{"starting where one ends", at(0, 16), at(0, 17), ws, 0},
		{"no windows", at(0, 9), at(0, 10), nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := clipped(c.a, c.b, c.ws); got != c.want {
				t.Errorf("clipped = %s, want %s", got, c.want)
			}
		})
	}
}
