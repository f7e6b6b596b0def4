package book

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// A cell's controller tells the book what it sees (TrackStop): producing, or stopped for a
// reason it knows. The book keeps one open stop per cell at most, closing it and opening the
// next one as the condition changes, each change one transaction. A person gives the reason of
// a stop afterwards (GiveStopReason), within the factory's reason window; the tablet asks for
// the ones long enough that ended without one (PromptStops).

// Event kinds of stops. Each names the stop's cell, the operation it holds up and its reason
// code (Reason, "" while none); the stop itself is read from the store (OpenStop, Stops). A
// no-work stop appends none: it would wake every tablet for nothing.
const (
	EventStopOpened = "stop.opened"
	EventStopClosed = "stop.closed"
	// EventStopReason records a reason given (or fixed) by a person; its actor is the person.
	EventStopReason = "stop.reason"
)

// IsStopEvent reports whether an event kind is one of the stops': they change no operation,
// work order or plan.
func IsStopEvent(kind string) bool {
	return kind == EventStopOpened || kind == EventStopClosed || kind == EventStopReason
}

// PromptStopsLimit is the most stops PromptStops returns.
const PromptStopsLimit = 20

// Errors of stops.
var (
	// ErrReasonWindowClosed is returned (wrapped) when a reason is given to a stop that ended
	// longer than the factory's reason window ago.
	ErrReasonWindowClosed = errors.New("the stop's reason window has closed")
	// ErrNoWorkStop is returned (wrapped) when a reason is given to a no-work stop: it is not
	// planned production time, and nobody is asked why.
	ErrNoWorkStop = errors.New("a stop with no work to do takes no reason")
)

// stopKinds are the kinds a condition may name.
var stopKinds = []StopKind{StopFault, StopLost, StopReported, StopSetup, StopPaused, StopIdle, StopCheck, StopNoWork}

// TrackStop records what a cell's controller sees now, in one transaction: when c differs from
// the cell's open stop (kind, operation, detail, reason), that stop ends now and, unless c.Kind
// is empty (the cell is producing), a new one opens now with c's reason (Auto when it has one).
// The same condition again changes nothing. It returns the cell's open stop, ID 0 when the cell
// is producing. An unknown cell wraps ErrUnknownCell; a kind or reason the book does not know
// wraps ErrInvalid naming the field.
func (b *Book) TrackStop(ctx context.Context, cell string, c StopCondition) (Stop, error) {
	cv := b.cfg()
	if _, ok := cv.cells[cell]; !ok {
		return Stop{}, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	if c.Kind != "" && !slices.Contains(stopKinds, c.Kind) {
		return Stop{}, fieldErr("kind", "%q is not a kind of stop", c.Kind)
	}
	if c.Kind == "" && (c.Operation != 0 || c.Detail != "" || c.Reason != "") {
		return Stop{}, fieldErr("kind", "a cell producing has no stop to describe")
	}
	if c.Reason != "" {
		if _, ok := cv.factory.Stops.StopReason(c.Reason); !ok {
			return Stop{}, b.unknownReason(c.Reason)
		}
	}
	// A controller reports its condition at every look at its machine: the same one again is
	// answered from a read, without taking the write lock or waking the book's followers.
	open, ok, err := b.OpenStop(ctx, cell)
	if err != nil {
		return Stop{}, fmt.Errorf("tracking the stops of cell %s: %w", cell, err)
	}
	if unchanged(open, ok, c) {
		return open, nil
	}
	actor := "cell:" + cell
	var out Stop
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		open, ok, err := tx.OpenStop(cell)
		if err != nil {
			return err
		}
		if unchanged(open, ok, c) {
			out = open
			return nil
		}
		if ok {
			end := now
			if end.Before(open.Start) {
				end = open.Start // the clock stepped back: the stop lasted no time
			}
			if err := tx.EndStop(open.ID, end); err != nil {
				return err
			}
			open.End = &end
			if err := appendStopEvent(tx, EventStopClosed, actor, open, now); err != nil {
				return err
			}
		}
		if c.Kind == "" {
			return nil
		}
		s := Stop{Cell: cell, Kind: c.Kind, Operation: c.Operation, Detail: c.Detail, Start: now}
		if c.Reason != "" {
			at := now
			s.Reason, s.ReasonBy, s.ReasonAt, s.Auto = c.Reason, actor, &at, true
		}
		if err := tx.InsertStop(&s); err != nil {
			return err
		}
		out = s
		return appendStopEvent(tx, EventStopOpened, actor, s, now)
	})
	if err != nil {
		return Stop{}, fmt.Errorf("tracking the stops of cell %s: %w", cell, err)
	}
	return out, nil
}

// unchanged reports whether condition c is that of the cell's open stop (ok false when the
// cell has none): the same kind, operation, detail and reason, or producing without a stop.
func unchanged(open Stop, ok bool, c StopCondition) bool {
	if !ok {
		return c.Kind == ""
	}
	return open.Kind == c.Kind && open.Operation == c.Operation && open.Detail == c.Detail && sameReason(open, c.Reason)
}

// sameReason reports whether a condition's reason is that of open stop s: the one it came with,
// or any once a person gave the stop one, so that the same condition reported again keeps the
// stop and the person's reason.
func sameReason(s Stop, reason string) bool {
	if s.Auto || s.Reason == "" {
		return s.Reason == reason
	}
	return true
}

// appendStopEvent appends an event of kind about stop s, unless s is a no-work stop.
func appendStopEvent(tx Tx, kind, actor string, s Stop, now time.Time) error {
	if s.Kind == StopNoWork {
		return nil
	}
	e := Event{At: now, Actor: actor, Kind: kind, Cell: s.Cell, Operation: s.Operation, Reason: s.Reason}
	if err := tx.AppendEvent(&e); err != nil {
		return fmt.Errorf("appending %s event: %w", kind, err)
	}
	return nil
}

// OpenStop returns the stop of a cell that has not ended, or ok false when the cell is
// producing (or has no controller telling the book).
func (b *Book) OpenStop(ctx context.Context, cell string) (Stop, bool, error) {
	if _, ok := b.cfg().cells[cell]; !ok {
		return Stop{}, false, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	var (
		s  Stop
		ok bool
	)
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		s, ok, err = tx.OpenStop(cell)
		return err
	})
	return s, ok, err
}

// GiveStopReason gives stop id the reason code, by a person (or a client), and returns the
// stop. The code must be a reason of the factory's tree (else a *FieldError of field reason);
// the stop must not be a no-work stop (ErrNoWorkStop), and must last or have ended at most the
// reason window ago (else ErrReasonWindowClosed). The same code again changes nothing (a
// double tap); another one replaces it (a fix), Auto false. An unknown stop wraps ErrNotFound.
func (b *Book) GiveStopReason(ctx context.Context, id int64, code string, by Actor) (Stop, error) {
	stops := b.cfg().factory.Stops
	if _, ok := stops.StopReason(code); !ok {
		return Stop{}, b.unknownReason(code)
	}
	var out Stop
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		s, err := tx.Stop(id)
		if err != nil {
			return err
		}
		switch {
		case s.Kind == StopNoWork:
			return fmt.Errorf("stop %d: %w", id, ErrNoWorkStop)
		case s.Reason == code:
			out = s
			return nil
		case s.End != nil && now.After(s.End.Add(stops.ReasonWindow)):
			return fmt.Errorf("stop %d ended %s, more than %s ago: %w", id, s.End.Format(time.RFC3339), stops.ReasonWindow, ErrReasonWindowClosed)
		}
		if err := tx.SetStopReason(id, code, string(by), now, false); err != nil {
			return err
		}
		at := now
		s.Reason, s.ReasonBy, s.ReasonAt, s.Auto = code, string(by), &at, false
		out = s
		e := Event{At: now, Actor: string(by), Kind: EventStopReason, Cell: s.Cell, Operation: s.Operation, Reason: code}
		if err := tx.AppendEvent(&e); err != nil {
			return fmt.Errorf("appending %s event: %w", EventStopReason, err)
		}
		return nil
	})
	if err != nil {
		return Stop{}, fmt.Errorf("giving stop %d a reason: %w", id, err)
	}
	return out, nil
}

// unknownReason is the error of a code that is not a reason of the factory's tree.
func (b *Book) unknownReason(code string) error {
	cv := b.cfg()
	codes := make([]string, 0, len(cv.factory.Stops.Reasons))
	for _, r := range cv.factory.Stops.Reasons {
		codes = append(codes, r.Code)
	}
	return &FieldError{Field: "reason", Reason: fmt.Sprintf("%q is not a stop reason of the factory (%v)", code, codes)}
}

// Stops returns the stops f selects, by start and then id.
func (b *Book) Stops(ctx context.Context, f StopFilter) ([]Stop, error) {
	if f.Cell != "" {
		if _, ok := b.cfg().cells[f.Cell]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownCell, f.Cell)
		}
	}
	var out []Stop
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Stops(f)
		return err
	})
	return out, err
}

// PromptStops returns what the tablet of a cell asks about: its stops that ended within the
// reason window, lasted at least the factory's Prompt, are not no-work stops and have no
// reason yet; newest first, at most PromptStopsLimit.
func (b *Book) PromptStops(ctx context.Context, cell string) ([]Stop, error) {
	cv := b.cfg()
	if _, ok := cv.cells[cell]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCell, cell)
	}
	stops := cv.factory.Stops
	var out []Stop
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.PromptStops(cell, b.clock().Add(-stops.ReasonWindow), stops.Prompt, PromptStopsLimit)
		return err
	})
	return out, err
}

// StopReasonOf returns the factory's reason of a stop, ok false when it has none (or one the
// factory no longer names).
func (b *Book) StopReasonOf(s Stop) (configs.StopReason, bool) {
	if s.Reason == "" {
		return configs.StopReason{}, false
	}
	return b.cfg().factory.Stops.StopReason(s.Reason)
}
