package book_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// summarise adds values read one second apart from t0, with tolerance tol.
func summarise(tol float64, values ...float64) book.ReadingSummary {
	s := book.ReadingSummary{Quantity: "temperature", Tolerance: tol}
	for i, v := range values {
		s.Add(t0.Add(time.Duration(i)*time.Second), v)
	}
	return s
}

var t0 = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

func TestReadingSummary(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tol       float64
		values    []float64
		min, max  float64
		held      float64
		hold      time.Duration
		heldFrom  int // index of the first reading held
		holdCount int
	}{
		{
			name: "a single reading", values: []float64{42},
			min: 42, max: 42, held: 42, hold: 0, heldFrom: 0, holdCount: 1,
		},
		{
			// 20 to 60 °C in steps, then five readings at 60: the hold starts where the ramp
			// came within 2 % (60 is 2.4 from 57.6).
			name: "a ramp then a hold", values: []float64{20, 30, 40, 50, 58, 60, 60, 60, 60, 60},
			min: 20, max: 60, held: (58 + 5*60) / 6.0, hold: 5 * time.Second, heldFrom: 4, holdCount: 6,
		},
		{
			// Noise of up to ±1 % about 80 stays one hold.
			name: "noise within the tolerance", values: []float64{79.2, 80.8, 80, 79.6, 80.4, 80},
			min: 79.2, max: 80.8, held: 80, hold: 5 * time.Second, heldFrom: 0, holdCount: 6,
		},
		{
			// Two holds at 40 and 60, the second longer: it is the one held.
			name: "two holds, the longer chosen", values: []float64{40, 40, 40, 50, 60, 60, 60, 60, 30},
			min: 30, max: 60, held: 60, hold: 3 * time.Second, heldFrom: 4, holdCount: 4,
		},
		{
			// The first of two holds as long is kept.
			name: "two holds as long, the first kept", values: []float64{40, 40, 60, 60},
			min: 40, max: 60, held: 40, hold: time.Second, heldFrom: 0, holdCount: 2,
		},
		{
			// An absolute tolerance of 0.05 (pH): 4.48 to 4.6 breaks the hold, which 2 % (0.09)
			// would not.
			name: "the profile's tolerance", tol: 0.05, values: []float64{4.5, 4.52, 4.48, 4.6, 4.6},
			min: 4.48, max: 4.6, held: 4.5, hold: 2 * time.Second, heldFrom: 0, holdCount: 3,
		},
		{
			// A slow drift is held while its spread stays within the band, 2 % of 100 either
			// way: the spread, not the step, counts.
			name: "a drift past the band", values: []float64{100, 101, 102, 103, 104, 105},
			min: 100, max: 105, held: 102, hold: 4 * time.Second, heldFrom: 0, holdCount: 5,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summarise(tc.tol, tc.values...)
			if s.Samples != len(tc.values) || s.Min != tc.min || s.Max != tc.max {
				t.Errorf("samples %d, min %v, max %v; want %d, %v, %v", s.Samples, s.Min, s.Max, len(tc.values), tc.min, tc.max)
			}
			if math.Abs(s.Held-tc.held) > 1e-9 || s.HoldTime != tc.hold || s.HoldSamples != tc.holdCount {
				t.Errorf("held %v for %v over %d readings; want %v for %v over %d", s.Held, s.HoldTime, s.HoldSamples, tc.held, tc.hold, tc.holdCount)
			}
			if want := t0.Add(time.Duration(tc.heldFrom) * time.Second); !s.HeldFrom.Equal(want) {
				t.Errorf("held from %v, want %v (reading %d)", s.HeldFrom, want, tc.heldFrom)
			}
			if !s.First.Equal(t0) || !s.Last.Equal(t0.Add(time.Duration(len(tc.values)-1)*time.Second)) {
				t.Errorf("first %v, last %v; want the first and last readings' times", s.First, s.Last)
			}
		})
	}
}

func TestReadingSummaryCloseEndsTheHold(t *testing.T) {
	// The same values either side of a pause: closed, the hold does not span it.
	for _, tc := range []struct {
		name  string
		close bool
		hold  time.Duration
	}{
		{name: "going on", close: false, hold: 5 * time.Second},
		{name: "closed between", close: true, hold: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summarise(0, 60, 60, 60)
			if tc.close {
				s.Close()
			}
			s.Add(t0.Add(4*time.Second), 60)
			s.Add(t0.Add(5*time.Second), 60)
			if s.HoldTime != tc.hold || s.Samples != 5 {
				t.Errorf("hold %v over %d samples, want %v over 5", s.HoldTime, s.Samples, tc.hold)
			}
		})
	}
}

func TestReadingSummaryIgnoresWhatIsNoReading(t *testing.T) {
	s := summarise(0, 60, 60)
	for _, v := range []struct {
		at time.Time
		v  float64
	}{{t0.Add(3 * time.Second), math.NaN()}, {t0.Add(3 * time.Second), math.Inf(1)}, {t0, 10}} {
		if s.Add(v.at, v.v) {
			t.Errorf("Add(%v, %v) counted", v.at, v.v)
		}
	}
	if s.Samples != 2 || s.Min != 60 {
		t.Errorf("samples %d, min %v; want the two readings only", s.Samples, s.Min)
	}
}

func TestRecordReadings(t *testing.T) {
	fx := newFixtureOf(t, "testdata/people.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nY1,YARN,5\n")
	d, err := fx.book.WorkOrder(ctx, fx.workOrders(t)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	dye, pack := d.Operations[0], d.Operations[1]
	temp := summarise(1, 20, 40, 59.5, 60, 60.2, 60)
	ph := book.ReadingSummary{Quantity: "ph", Tolerance: 0.1}
	ph.Add(t0, 7)
	ph.Add(t0.Add(time.Second), 4.5)
	ph.Close()

	if err := fx.book.RecordReadings(ctx, dye.ID, []book.ReadingSummary{temp}); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("readings of an operation never started: %v, want ErrInvalid", err)
	}
	fx.mustAct(t, dye.ID, book.ActionStart)

	bad := func(edit func(*book.ReadingSummary)) []book.ReadingSummary {
		r := temp
		o := *temp.Open
		r.Open = &o
		edit(&r)
		return []book.ReadingSummary{ph, r}
	}
	for _, tc := range []struct {
		name string
		rs   []book.ReadingSummary
		want string
	}{
		{name: "no samples", rs: bad(func(r *book.ReadingSummary) { r.Samples = 0 }), want: `reading 2 ("temperature"): samples: 0, want at least 1`},
		{name: "min above max", rs: bad(func(r *book.ReadingSummary) { r.Min = 70 }), want: "min 70 is above max 60.2"},
		{name: "held outside", rs: bad(func(r *book.ReadingSummary) { r.Held = 61 }), want: "held 61 is outside min 20 and max 60.2"},
		{name: "not a number", rs: bad(func(r *book.ReadingSummary) { r.Max = math.NaN() }), want: "must be finite numbers"},
		{name: "no quantity", rs: bad(func(r *book.ReadingSummary) { r.Quantity = "" }), want: "quantity: want 1 to 64 characters"},
		{name: "a quantity twice", rs: bad(func(r *book.ReadingSummary) { r.Quantity = "ph" }), want: `reading 2: quantity "ph" given twice (first as reading 1)`},
		{name: "a hold past the last reading", rs: bad(func(r *book.ReadingSummary) { r.HoldTime = time.Hour }), want: "the hold lies outside the readings"},
		{name: "an open stretch of more readings than all", rs: bad(func(r *book.ReadingSummary) { r.Open.Count = 7 }), want: "open stretch: 7 readings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fx.book.RecordReadings(ctx, dye.ID, tc.rs)
			if !errors.Is(err, book.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RecordReadings = %v, want ErrInvalid saying %q", err, tc.want)
			}
			// All or nothing: the good summary beside the bad one is not stored either.
			if got, err := fx.book.Readings(ctx, dye.ID); err != nil || len(got) != 0 {
				t.Errorf("after a refused call the book holds %+v (%v), want nothing", got, err)
			}
		})
	}

	if err := fx.book.RecordReadings(ctx, dye.ID, []book.ReadingSummary{temp, ph}); err != nil {
		t.Fatal(err)
	}
	// A later summary of a quantity replaces the one before; the other stays.
	temp.Add(t0.Add(6*time.Second), 60.1)
	if err := fx.book.RecordReadings(ctx, dye.ID, []book.ReadingSummary{temp}); err != nil {
		t.Fatal(err)
	}
	fx.restart(t) // what is stored outlives the process
	got, err := fx.book.Readings(ctx, dye.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Quantity != "ph" || got[1].Quantity != "temperature" {
		t.Fatalf("readings %+v, want ph and temperature", got)
	}
	if g := got[0]; g.Open != nil || g.Samples != 2 || g.Min != 4.5 || g.Tolerance != 0.1 {
		t.Errorf("ph read back as %+v, want 2 samples from 4.5, closed", g)
	}
	g := got[1]
	if g.Samples != 7 || g.Min != 20 || g.Max != 60.2 || g.HoldTime != 4*time.Second || g.HoldSamples != 5 ||
		!g.HeldFrom.Equal(t0.Add(2*time.Second)) || !g.Last.Equal(t0.Add(6*time.Second)) || math.Abs(g.Held-(59.5+60+60.2+60+60.1)/5) > 1e-9 {
		t.Errorf("temperature read back as %+v", g)
	}
	if g.Open == nil || *g.Open != *temp.Open {
		t.Errorf("open stretch read back as %+v, want %+v", g.Open, temp.Open)
	}
	// The stretch read back goes on as it would have in memory.
	g.Add(t0.Add(7*time.Second), 60)
	temp.Add(t0.Add(7*time.Second), 60)
	if g.HoldTime != temp.HoldTime || g.Held != temp.Held {
		t.Errorf("the summary read back went on to hold %v for %v, in memory %v for %v", g.Held, g.HoldTime, temp.Held, temp.HoldTime)
	}

	if got, err := fx.book.Readings(ctx, pack.ID); err != nil || len(got) != 0 {
		t.Errorf("readings of a manual step: %+v, %v; want none", got, err)
	}
	if _, err := fx.book.Readings(ctx, 4242); !errors.Is(err, book.ErrUnknownOperation) {
		t.Errorf("readings of an unknown operation: %v, want ErrUnknownOperation", err)
	}
	if err := fx.book.RecordReadings(ctx, 4242, []book.ReadingSummary{temp}); !errors.Is(err, book.ErrUnknownOperation) {
		t.Errorf("recording readings of an unknown operation: %v, want ErrUnknownOperation", err)
	}
}

// The mean of readings all alike may round above them (three readings of 59.7 sum to
// 179.10000000000002): the value held stays within the readings, and the book takes the
// summary (it refused it as held outside min and max, and the controller could not complete
// the bath).
func TestReadingsHeldAtTheirMeanStayWithinThem(t *testing.T) {
	fx := newFixtureOf(t, "testdata/people.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nY1,YARN,5\n")
	d, err := fx.book.WorkOrder(ctx, fx.workOrders(t)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	dye := d.Operations[0]
	fx.mustAct(t, dye.ID, book.ActionStart)
	for _, values := range [][]float64{{59.7, 59.7, 59.7}, {0.1, 0.2, 0.3, 0.3, 0.3}, {80.3, 80.3, 80.3, 80.3, 80.3, 80.3, 80.3}} {
		s := summarise(1, values...)
		if s.Held < s.Min || s.Held > s.Max {
			t.Errorf("readings %v: held %v, outside min %v and max %v", values, s.Held, s.Min, s.Max)
		}
		if err := fx.book.RecordReadings(ctx, dye.ID, []book.ReadingSummary{s}); err != nil {
			t.Errorf("readings %v: %v", values, err)
		}
	}
}
