package book

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultHoldTolerance is how far, as a share of the value a hold began at, a reading may stray
// either way and still count as held, for a quantity whose profile gives no tolerance of its
// own: 2 %.
const DefaultHoldTolerance = 0.02

// maxReadings is how many quantities an operation's record may summarise: a machine's profile
// marks a few.
const maxReadings = 32

// ReadingSummary summarises what a machine read of one quantity while it worked an operation
// (a dye bath's temperature): the lowest and highest readings, and the value held, the mean of
// the longest stretch of consecutive readings that stayed within a band of Tolerance either
// way (spread at most twice the tolerance), with how long that stretch lasted, from its first
// reading to its last. It is built one reading at a time with Add, and kept in the book with
// [Book.RecordReadings], so that it goes on across a pause, a resume and a restart of the
// daemon.
type ReadingSummary struct {
	// Quantity names what was read: the register of the machine's profile.
	Quantity string `json:"quantity"`
	// Unit is the quantity's unit, "" for none.
	Unit    string  `json:"unit,omitempty"`
	Samples int     `json:"samples"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	// Held is the mean of the readings of the longest stretch held; HoldTime how long it
	// lasted (0 for a single reading), HeldFrom when it began and HoldSamples how many
	// readings it counts. Of two stretches as long, the first is kept.
	Held        float64       `json:"held"`
	HoldTime    time.Duration `json:"-"`
	HeldFrom    time.Time     `json:"held_from"`
	HoldSamples int           `json:"hold_samples"`
	// First and Last are the times of the first and the last reading.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Tolerance is the half-width of the band a held value stays in, in Unit; 0 takes
	// DefaultHoldTolerance of the value the stretch began at.
	Tolerance float64 `json:"tolerance,omitempty"`
	// Open is the stretch the last reading belongs to, which the next reading may extend;
	// nil once the summary is closed (the operation paused or left the machine), so that a
	// hold never spans a pause.
	Open *Stretch `json:"-"`
}

// Stretch is a run of consecutive readings within a band: its first and last times, the value
// it began at, its lowest and highest readings, their sum and count.
type Stretch struct {
	From, To      time.Time
	Begin         float64
	Min, Max, Sum float64
	Count         int
}

// HoldSeconds returns HoldTime in seconds, as the API shows it.
func (s ReadingSummary) HoldSeconds() float64 { return s.HoldTime.Seconds() }

// band returns the half-width of the band of a stretch that began at begin.
func (s *ReadingSummary) band(begin float64) float64 {
	if s.Tolerance > 0 {
		return s.Tolerance
	}
	return DefaultHoldTolerance * math.Abs(begin)
}

// Add takes a reading v made at at and reports whether it was counted: a reading that is not
// a finite number, or older than the last one counted, is not. Times are kept to the
// microsecond, as the store keeps them.
func (s *ReadingSummary) Add(at time.Time, v float64) bool {
	at = at.Truncate(time.Microsecond)
	if math.IsNaN(v) || math.IsInf(v, 0) || s.Samples > 0 && at.Before(s.Last) {
		return false
	}
	if s.Samples == 0 {
		s.Min, s.Max, s.First = v, v, at
	}
	s.Min, s.Max = min(s.Min, v), max(s.Max, v)
	s.Samples++
	s.Last = at
	o := s.Open
	if o != nil && max(o.Max, v)-min(o.Min, v) <= 2*s.band(o.Begin) {
		o.To = at
		o.Min, o.Max = min(o.Min, v), max(o.Max, v)
		o.Sum += v
		o.Count++
	} else {
		o = &Stretch{From: at, To: at, Begin: v, Min: v, Max: v, Sum: v, Count: 1}
		s.Open = o
	}
	if d := o.To.Sub(o.From); s.HoldSamples == 0 || d > s.HoldTime {
		// The mean of readings all alike may round past them (3 × 59.7 / 3 is
		// 59.70000000000001): it is kept within the stretch's readings.
		held := min(max(o.Sum/float64(o.Count), o.Min), o.Max)
		s.Held, s.HoldTime, s.HeldFrom, s.HoldSamples = held, d, o.From, o.Count
	}
	return true
}

// Close ends the stretch under way: the next reading begins a new one.
func (s *ReadingSummary) Close() { s.Open = nil }

// check reports what is wrong with a summary, as RecordReadings refuses it.
func (s ReadingSummary) check() error {
	finite := func(vs ...float64) bool {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case s.Quantity == "" || len(s.Quantity) > 64:
		return errors.New("quantity: want 1 to 64 characters")
	case len(s.Unit) > 64:
		return errors.New("unit: longer than 64 characters")
	case s.Samples < 1:
		return fmt.Errorf("samples: %d, want at least 1", s.Samples)
	case !finite(s.Min, s.Max, s.Held, s.Tolerance):
		return errors.New("min, max, held and tolerance must be finite numbers")
	case s.Min > s.Max:
		return fmt.Errorf("min %v is above max %v", s.Min, s.Max)
	case s.Held < s.Min || s.Held > s.Max:
		return fmt.Errorf("held %v is outside min %v and max %v", s.Held, s.Min, s.Max)
	case s.Tolerance < 0:
		return fmt.Errorf("tolerance: %v is negative", s.Tolerance)
	case s.Last.Before(s.First):
		return errors.New("last reading before the first")
	case s.HoldSamples < 1 || s.HoldSamples > s.Samples:
		return fmt.Errorf("hold_samples: %d, want 1 to the %d samples", s.HoldSamples, s.Samples)
	case s.HoldTime < 0 || s.HeldFrom.Before(s.First) || s.HeldFrom.Add(s.HoldTime).After(s.Last):
		return errors.New("the hold lies outside the readings")
	}
	if o := s.Open; o != nil {
		switch {
		case o.Count < 1 || o.Count > s.Samples:
			return fmt.Errorf("open stretch: %d readings, want 1 to the %d samples", o.Count, s.Samples)
		case !finite(o.Begin, o.Min, o.Max, o.Sum) || o.Min > o.Max || o.Begin < o.Min || o.Begin > o.Max:
			return errors.New("open stretch: its values are not those of a stretch")
		case o.To.Before(o.From) || o.From.Before(s.First) || o.To.After(s.Last):
			return errors.New("open stretch: it lies outside the readings")
		}
	}
	return nil
}

// RecordReadings stores the summaries of the readings of an operation's machine, each in place
// of what was stored for its quantity, all or nothing: a summary that is not whole (a count
// below one, a minimum above its maximum, a value held outside them, a quantity twice) refuses
// the call with ErrInvalid naming it, and nothing is written. Only an operation that was
// started has readings (ErrInvalid otherwise).
//
// The caller, the cell controller, builds each summary on what [Book.Readings] returned when
// the job came to its machine, so what is stored accumulates across pauses and restarts.
func (b *Book) RecordReadings(ctx context.Context, op int64, rs []ReadingSummary) error {
	if len(rs) > maxReadings {
		return fmt.Errorf("%w: %d readings for operation %d, at most %d", ErrInvalid, len(rs), op, maxReadings)
	}
	seen := make(map[string]int, len(rs))
	for i, r := range rs {
		if err := r.check(); err != nil {
			return fmt.Errorf("%w: operation %d: reading %d (%q): %v", ErrInvalid, op, i+1, r.Quantity, err)
		}
		if j, dup := seen[r.Quantity]; dup {
			return fmt.Errorf("%w: operation %d: reading %d: quantity %q given twice (first as reading %d)", ErrInvalid, op, i+1, r.Quantity, j+1)
		}
		seen[r.Quantity] = i
	}
	return b.store.Write(ctx, func(tx Tx) error {
		o, err := tx.Operation(op)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %d", ErrUnknownOperation, op)
		}
		if err != nil {
			return err
		}
		if o.StartedAt == nil {
			return fmt.Errorf("%w: operation %d is %s: it was never started, so no machine read for it", ErrInvalid, op, o.State)
		}
		return tx.PutReadings(op, rs)
	})
}

// Readings returns the summaries of the readings stored for an operation, by quantity; none
// for an operation no machine worked (a manual step).
func (b *Book) Readings(ctx context.Context, op int64) ([]ReadingSummary, error) {
	var out []ReadingSummary
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.Operation(op); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: %d", ErrUnknownOperation, op)
			}
			return err
		}
		var err error
		out, err = tx.Readings(op)
		return err
	})
	return out, err
}
