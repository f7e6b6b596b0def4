package oee

import (
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

func TestBuckets(t *testing.T) {
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	in := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	three := []configs.Shift{{Name: "early", Start: 6 * time.Hour}, {Name: "late", Start: 14 * time.Hour}, {Name: "night", Start: 22 * time.Hour}}
	tests := []struct {
		name     string
		from, to time.Time
		by       By
		loc      *time.Location
		shifts   []configs.Shift
		want     []Bucket
	}{
		{
			name: "days in UTC, the window cutting the first and last",
			from: utc("2026-12-07 10:00"), to: utc("2026-12-09 01:00"), by: ByDay,
			want: []Bucket{
				{Start: utc("2026-12-07 00:00"), End: utc("2026-12-08 00:00")},
				{Start: utc("2026-12-08 00:00"), End: utc("2026-12-09 00:00")},
				{Start: utc("2026-12-09 00:00"), End: utc("2026-12-10 00:00")},
			},
		},
		{
			// 2026-12-09 is a Wednesday: its week starts on Monday the 7th.
			name: "weeks from Monday",
			from: utc("2026-12-09 00:00"), to: utc("2026-12-17 00:00"), by: ByWeek,
			want: []Bucket{
				{Start: utc("2026-12-07 00:00"), End: utc("2026-12-14 00:00")},
				{Start: utc("2026-12-14 00:00"), End: utc("2026-12-21 00:00")},
			},
		},
		{
			// The night shift of Sunday reaches into Monday until 06:00; Monday's night into Tuesday.
			name: "shifts crossing midnight",
			from: utc("2026-12-07 00:00"), to: utc("2026-12-08 00:00"), by: ByShift, shifts: three,
			want: []Bucket{
				{Start: utc("2026-12-06 22:00"), End: utc("2026-12-07 06:00"), Shift: "night"},
				{Start: utc("2026-12-07 06:00"), End: utc("2026-12-07 14:00"), Shift: "early"},
				{Start: utc("2026-12-07 14:00"), End: utc("2026-12-07 22:00"), Shift: "late"},
				{Start: utc("2026-12-07 22:00"), End: utc("2026-12-08 06:00"), Shift: "night"},
			},
		},
		{
			name: "no shifts: one a day from midnight",
			from: utc("2026-12-07 05:00"), to: utc("2026-12-07 06:00"), by: ByShift,
			want: []Bucket{{Start: utc("2026-12-07 00:00"), End: utc("2026-12-08 00:00"), Shift: "day"}},
		},
		{
			// Lisbon moves its clocks from 01:00 to 02:00 on 29 March 2026: a day of 23 hours.
			name: "a spring day of 23 hours",
			from: in(lisbon, "2026-03-29 00:00"), to: in(lisbon, "2026-03-30 00:00"), by: ByDay, loc: lisbon,
			want: []Bucket{{Start: in(lisbon, "2026-03-29 00:00"), End: in(lisbon, "2026-03-30 00:00")}},
		},
		{
			// And back from 02:00 to 01:00 on 25 October 2026: the night shift from Saturday 22:00
			// to Sunday 06:00 lasts 9 hours.
			name: "an autumn night shift of 9 hours",
			from: in(lisbon, "2026-10-25 00:00"), to: in(lisbon, "2026-10-25 06:00"), by: ByShift, loc: lisbon, shifts: three,
			want: []Bucket{{Start: in(lisbon, "2026-10-24 22:00"), End: in(lisbon, "2026-10-25 06:00"), Shift: "night"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Buckets(tc.from, tc.to, tc.by, tc.loc, tc.shifts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d buckets %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tc.want[i].Start) || !got[i].End.Equal(tc.want[i].End) || got[i].Shift != tc.want[i].Shift {
					t.Errorf("bucket %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	lengths := []struct {
		name string
		b    Bucket
		want time.Duration
	}{
		{"spring day", Bucket{Start: in(lisbon, "2026-03-29 00:00"), End: in(lisbon, "2026-03-30 00:00")}, 23 * time.Hour},
		{"autumn night", Bucket{Start: in(lisbon, "2026-10-24 22:00"), End: in(lisbon, "2026-10-25 06:00")}, 9 * time.Hour},
		{"autumn day", Bucket{Start: in(lisbon, "2026-10-25 00:00"), End: in(lisbon, "2026-10-26 00:00")}, 25 * time.Hour},
	}
	for _, tc := range lengths {
		t.Run("length of "+tc.name, func(t *testing.T) {
			if got := tc.b.End.Sub(tc.b.Start); got != tc.want {
				t.Errorf("lasts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBucketsRefuses(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		by       By
		want     string
	}{
		{"an unknown kind", at, at.Add(time.Hour), "month", `by: "month" is not shift, day or week`},
		{"an empty window", at, at, ByDay, "is not after from"},
		{"too many buckets", at, at.AddDate(40, 0, 0), ByDay, "more than 10000 buckets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Buckets(tc.from, tc.to, tc.by, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
