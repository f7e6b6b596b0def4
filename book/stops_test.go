package book_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// newStopsFixture is a fixture whose factory has the default stops section: the parser leaves
// it out for now, so the test sets it.
func newStopsFixture(t *testing.T) *fixture {
	t.Helper()
	fx := newFixture(t)
	fx.factory.Stops = configs.DefaultStops()
	return fx
}

// stopEvents returns the stop events of the log as "kind cell reason" lines.
func (fx *fixture) stopEvents(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range fx.events(t) {
		if book.IsStopEvent(e.Kind) {
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Kind, e.Cell, e.Actor, e.Reason)))
		}
	}
	return out
}

func (fx *fixture) track(t *testing.T, cell string, c book.StopCondition) book.Stop {
	t.Helper()
	s, err := fx.book.TrackStop(context.Background(), cell, c)
	if err != nil {
		t.Fatalf("TrackStop(%s, %+v): %v", cell, c, err)
	}
	return s
}

// TestTrackStop: each change of a cell's condition ends its open stop and opens the next one, in
// one transaction with its events; the same condition again changes nothing; producing closes
// the stop; a no-work stop is recorded but appends no event.
func TestTrackStop(t *testing.T) {
	ctx := context.Background()
	fault := book.StopCondition{Kind: book.StopFault, Operation: 7, Detail: "over-temperature", Reason: "breakdown"}
	for _, tc := range []struct {
		name   string
		steps  []book.StopCondition
		open   book.StopCondition // the open stop's condition at the end; Kind "" for none
		stops  int                // stops recorded
		events []string
	}{
		{name: "producing stays producing", steps: []book.StopCondition{{}, {}}, stops: 0},
		{name: "a fault opens a stop with its reason", steps: []book.StopCondition{fault}, open: fault, stops: 1,
			events: []string{"stop.opened weave-1 cell:weave-1 breakdown"}},
		{name: "the same condition again changes nothing", steps: []book.StopCondition{fault, fault, fault}, open: fault, stops: 1,
			events: []string{"stop.opened weave-1 cell:weave-1 breakdown"}},
		{name: "producing closes the stop", steps: []book.StopCondition{fault, {}}, stops: 1,
			events: []string{"stop.opened weave-1 cell:weave-1 breakdown", "stop.closed weave-1 cell:weave-1 breakdown"}},
		{name: "another condition closes one and opens the next", steps: []book.StopCondition{{Kind: book.StopIdle, Operation: 7}, fault},
			open: fault, stops: 2,
			events: []string{"stop.opened weave-1 cell:weave-1", "stop.closed weave-1 cell:weave-1", "stop.opened weave-1 cell:weave-1 breakdown"}},
		{name: "another detail is another stop", steps: []book.StopCondition{{Kind: book.StopFault, Detail: "a"}, {Kind: book.StopFault, Detail: "b"}},
			open: book.StopCondition{Kind: book.StopFault, Detail: "b"}, stops: 2,
			events: []string{"stop.opened weave-1 cell:weave-1", "stop.closed weave-1 cell:weave-1", "stop.opened weave-1 cell:weave-1"}},
		{name: "no work is recorded without an event", steps: []book.StopCondition{{Kind: book.StopNoWork}, {Kind: book.StopIdle}},
			open: book.StopCondition{Kind: book.StopIdle}, stops: 2, events: []string{"stop.opened weave-1 cell:weave-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newStopsFixture(t)
			var last book.Stop
			for _, c := range tc.steps {
				fx.clock.Advance(time.Minute)
				last = fx.track(t, "weave-1", c)
			}
			open, ok, err := fx.book.OpenStop(ctx, "weave-1")
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.open.Kind != "") || last.ID != open.ID {
				t.Fatalf("open stop = %+v, %v; TrackStop returned %+v; want one of %+v", open, ok, last, tc.open)
			}
			if ok {
				got := book.StopCondition{Kind: open.Kind, Operation: open.Operation, Detail: open.Detail, Reason: open.Reason}
				if got != tc.open || open.End != nil || open.Auto != (tc.open.Reason != "") {
					t.Errorf("open stop = %+v, want the condition %+v", open, tc.open)
				}
			}
			all, err := fx.book.Stops(ctx, book.StopFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tc.stops {
				t.Fatalf("%d stops recorded, want %d: %+v", len(all), tc.stops, all)
			}
			for i, s := range all {
				if i < len(all)-1 || tc.open.Kind == "" {
					if s.End == nil || s.End.Sub(s.Start) != time.Minute {
						t.Errorf("stop %d = %+v, want it ended a minute after it started", i, s)
					}
				}
			}
			if got := fx.stopEvents(t); strings.Join(got, "\n") != strings.Join(tc.events, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.events, "\n"))
			}
		})
	}
}

// TestTrackStopRefusesBadConditions: an unknown cell, kind or reason is refused, nothing stored.
func TestTrackStopRefusesBadConditions(t *testing.T) {
	fx := newStopsFixture(t)
	for _, tc := range []struct {
		name  string
		cell  string
		c     book.StopCondition
		want  error
		field string
	}{
		{name: "unknown cell", cell: "nowhere", c: book.StopCondition{Kind: book.StopIdle}, want: book.ErrUnknownCell},
		{name: "unknown kind", cell: "weave-1", c: book.StopCondition{Kind: "nap"}, want: book.ErrInvalid, field: "kind"},
		{name: "producing with a detail", cell: "weave-1", c: book.StopCondition{Detail: "x"}, want: book.ErrInvalid, field: "kind"},
		{name: "unknown reason", cell: "weave-1", c: book.StopCondition{Kind: book.StopFault, Reason: "gremlins"}, want: book.ErrInvalid, field: "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fx.book.TrackStop(context.Background(), tc.cell, tc.c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("TrackStop = %v, want %v", err, tc.want)
			}
			var fe *book.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("TrackStop = %v, want field %s", err, tc.field)
			}
		})
	}
	if all, err := fx.book.Stops(context.Background(), book.StopFilter{}); err != nil || len(all) != 0 {
		t.Errorf("stops after refusals = %+v, %v; want none", all, err)
	}
}

// TestTrackStopOneOpenPerCell: goroutines racing to report conditions of the same cell leave
// one open stop at most, each stop ended before the next started.
func TestTrackStopOneOpenPerCell(t *testing.T) {
	fx := newStopsFixture(t)
	ctx := context.Background()
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				c := book.StopCondition{Kind: book.StopFault, Detail: fmt.Sprintf("fault-%d", (w+i)%3)}
				if _, err := fx.book.TrackStop(ctx, "weave-1", c); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := fx.book.Stops(ctx, book.StopFilter{Cell: "weave-1"})
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for i, s := range all {
		if s.End == nil {
			open++
			if i != len(all)-1 {
				t.Errorf("stop %d of %d is open, not the last", i, len(all))
			}
		}
	}
	if open != 1 {
		t.Errorf("%d open stops, want 1: %+v", open, all)
	}
}

// TestGiveStopReason: the rules of a reason given by a person.
func TestGiveStopReason(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		kind    book.StopKind
		ended   bool
		after   time.Duration // from the stop's end (or start while it lasts) to the reason
		first   string        // a reason given before, by another person
		code    string
		want    error
		field   string
		reason  string // the stop's reason after
		by      string
		events  int // stop.reason events
		changed bool
	}{
		{name: "while it lasts", kind: book.StopIdle, code: "material", reason: "material", by: "person:ana", events: 1, changed: true},
		{name: "after it ended", kind: book.StopIdle, ended: true, after: time.Hour, code: "material", reason: "material", by: "person:ana", events: 1, changed: true},
		{name: "on the window's last moment", kind: book.StopIdle, ended: true, after: 24 * time.Hour, code: "other", reason: "other", by: "person:ana", events: 1, changed: true},
		{name: "after the window", kind: book.StopIdle, ended: true, after: 24*time.Hour + time.Second, code: "other", want: book.ErrReasonWindowClosed},
		{name: "an unknown code", kind: book.StopIdle, ended: true, code: "gremlins", want: book.ErrInvalid, field: "reason"},
		{name: "an empty code", kind: book.StopIdle, ended: true, code: "", want: book.ErrInvalid, field: "reason"},
		{name: "no work", kind: book.StopNoWork, ended: true, code: "other", want: book.ErrNoWorkStop},
		{name: "the same code twice", kind: book.StopIdle, ended: true, first: "material", code: "material", reason: "material", by: "person:bo", events: 1},
		{name: "a fix", kind: book.StopIdle, ended: true, first: "material", code: "no-operator", reason: "no-operator", by: "person:ana", events: 2, changed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newStopsFixture(t)
			s := fx.track(t, "weave-1", book.StopCondition{Kind: tc.kind})
			fx.clock.Advance(5 * time.Minute)
			if tc.ended {
				fx.track(t, "weave-1", book.StopCondition{})
			}
			if tc.first != "" {
				if _, err := fx.book.GiveStopReason(ctx, s.ID, tc.first, "person:bo"); err != nil {
					t.Fatal(err)
				}
			}
			fx.clock.Advance(tc.after)
			before := fx.clock.Now()
			got, err := fx.book.GiveStopReason(ctx, s.ID, tc.code, "person:ana")
			if !errors.Is(err, tc.want) {
				t.Fatalf("GiveStopReason = %+v, %v; want %v", got, err, tc.want)
			}
			var fe *book.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("GiveStopReason = %v, want field %s", err, tc.field)
			}
			stored, err := fx.book.Stops(ctx, book.StopFilter{})
			if err != nil || len(stored) != 1 {
				t.Fatalf("stops = %+v, %v", stored, err)
			}
			st := stored[0]
			if st.Reason != tc.reason || st.ReasonBy != tc.by || st.Auto {
				t.Errorf("stored stop = %+v, want reason %q by %q", st, tc.reason, tc.by)
			}
			if tc.want == nil && (got.Reason != st.Reason || got.ReasonBy != st.ReasonBy) {
				t.Errorf("returned %+v, stored %+v", got, st)
			}
			if tc.changed && (st.ReasonAt == nil || !st.ReasonAt.Equal(before)) {
				t.Errorf("reason at %v, want %v", st.ReasonAt, before)
			}
			n := 0
			for _, e := range fx.events(t) {
				if e.Kind == book.EventStopReason {
					n++
				}
			}
			if n != tc.events {
				t.Errorf("%d stop.reason events, want %d", n, tc.events)
			}
		})
	}
	t.Run("unknown stop", func(t *testing.T) {
		fx := newStopsFixture(t)
		if _, err := fx.book.GiveStopReason(ctx, 99, "other", "person:ana"); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("GiveStopReason of no stop = %v, want ErrNotFound", err)
		}
	})
}

// TestTrackStopKeepsAPersonsReason: the same condition reported again after a person gave the
// open stop a reason keeps the stop and the reason.
func TestTrackStopKeepsAPersonsReason(t *testing.T) {
	fx := newStopsFixture(t)
	ctx := context.Background()
	for _, c := range []book.StopCondition{{Kind: book.StopIdle}, {Kind: book.StopFault, Detail: "jam", Reason: "breakdown"}} {
		t.Run(string(c.Kind), func(t *testing.T) {
			s := fx.track(t, "weave-2", c)
			if _, err := fx.book.GiveStopReason(ctx, s.ID, "material", "person:ana"); err != nil {
				t.Fatal(err)
			}
			again := fx.track(t, "weave-2", c)
			if again.ID != s.ID || again.Reason != "material" || again.Auto {
				t.Errorf("after the same condition: %+v, want stop %d with the person's reason", again, s.ID)
			}
			fx.track(t, "weave-2", book.StopCondition{})
		})
	}
}

// TestPromptStops: the tablet asks about the cell's ended stops at least Prompt long, not
// no-work, without a reason, ended within the window, newest first, at most 20.
func TestPromptStops(t *testing.T) {
	fx := newStopsFixture(t)
	ctx := context.Background()
	stop := func(cell string, kind book.StopKind, length time.Duration) book.Stop {
		s := fx.track(t, cell, book.StopCondition{Kind: kind})
		fx.clock.Advance(length)
		fx.track(t, cell, book.StopCondition{})
		fx.clock.Advance(time.Minute)
		return s
	}
	old := stop("weave-1", book.StopIdle, 5*time.Minute)
	fx.clock.Advance(24 * time.Hour) // old's window closes
	short := stop("weave-1", book.StopIdle, time.Minute)
	exact := stop("weave-1", book.StopIdle, 2*time.Minute)
	stop("weave-1", book.StopNoWork, 10*time.Minute)
	explained := stop("weave-1", book.StopFault, 10*time.Minute)
	if _, err := fx.book.GiveStopReason(ctx, explained.ID, "breakdown", "person:ana"); err != nil {
		t.Fatal(err)
	}
	other := stop("weave-2", book.StopIdle, 10*time.Minute)
	last := stop("weave-1", book.StopLost, 3*time.Minute)
	open := fx.track(t, "weave-1", book.StopCondition{Kind: book.StopIdle})
	fx.clock.Advance(time.Hour)

	ids := func(cell string) []int64 {
		got, err := fx.book.PromptStops(ctx, cell)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range got {
			out = append(out, s.ID)
		}
		return out
	}
	if got, want := ids("weave-1"), []int64{last.ID, exact.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("PromptStops(weave-1) = %v, want %v (old %d, short %d, open %d left out)", got, want, old.ID, short.ID, open.ID)
	}
	if got, want := ids("weave-2"), []int64{other.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("PromptStops(weave-2) = %v, want %v", got, want)
	}
	fx.track(t, "weave-1", book.StopCondition{})
	for range 25 {
		stop("weave-1", book.StopIdle, 3*time.Minute)
	}
	if got := ids("weave-1"); len(got) != book.PromptStopsLimit || got[0] < got[1] {
		t.Errorf("PromptStops after 25 more = %v, want the newest %d first", got, book.PromptStopsLimit)
	}
	if _, err := fx.book.PromptStops(ctx, "nowhere"); !errors.Is(err, book.ErrUnknownCell) {
		t.Errorf("PromptStops(nowhere) = %v, want ErrUnknownCell", err)
	}
}

// TestStopsFilter: by cell, by window (stops overlapping it, the open one included), the
// unexplained ones, and paging.
func TestStopsFilter(t *testing.T) {
	fx := newStopsFixture(t)
	ctx := context.Background()
	t0 := fx.clock.Now()
	a := fx.track(t, "weave-1", book.StopCondition{Kind: book.StopIdle}) // t0 .. t0+10m
	fx.clock.Advance(10 * time.Minute)
	fx.track(t, "weave-1", book.StopCondition{})
	b := fx.track(t, "weave-2", book.StopCondition{Kind: book.StopNoWork}) // t0+10m .. t0+20m
	fx.clock.Advance(10 * time.Minute)
	fx.track(t, "weave-2", book.StopCondition{})
	c := fx.track(t, "weave-1", book.StopCondition{Kind: book.StopFault, Reason: "breakdown"}) // t0+20m ..
	fx.clock.Advance(10 * time.Minute)
	for _, tc := range []struct {
		name string
		f    book.StopFilter
		want []int64
	}{
		{name: "all", want: []int64{a.ID, b.ID, c.ID}},
		{name: "a cell", f: book.StopFilter{Cell: "weave-1"}, want: []int64{a.ID, c.ID}},
		{name: "a window", f: book.StopFilter{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)}, want: []int64{b.ID}},
		{name: "the open one", f: book.StopFilter{From: t0.Add(25 * time.Minute)}, want: []int64{c.ID}},
		{name: "unexplained", f: book.StopFilter{Unexplained: true}, want: []int64{a.ID}},
		{name: "a page", f: book.StopFilter{Limit: 2}, want: []int64{a.ID, b.ID}},
		{name: "the next page", f: book.StopFilter{AfterID: b.ID, Limit: 2}, want: []int64{c.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.book.Stops(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("Stops(%+v) = %v, want %v", tc.f, ids, tc.want)
			}
		})
	}
}

// TestOpenStopSurvivesRestart: the open stop and its reason are in the store, read back by a
// new book over the reopened store, and tracking goes on from it.
func TestOpenStopSurvivesRestart(t *testing.T) {
	fx := newStopsFixture(t)
	ctx := context.Background()
	s := fx.track(t, "dye-1", book.StopCondition{Kind: book.StopFault, Operation: 3, Detail: "heater failure", Reason: "breakdown"})
	fx.restart(t)
	open, ok, err := fx.book.OpenStop(ctx, "dye-1")
	if err != nil || !ok {
		t.Fatalf("OpenStop after a restart = %+v, %v, %v", open, ok, err)
	}
	if open.ID != s.ID || !open.Start.Equal(s.Start) || open.Detail != s.Detail || open.Reason != "breakdown" || !open.Auto ||
		open.ReasonBy != "cell:dye-1" || open.ReasonAt == nil || !open.ReasonAt.Equal(s.Start) || open.Operation != 3 {
		t.Errorf("after a restart: %+v, want %+v", open, s)
	}
	fx.clock.Advance(time.Minute)
	if again := fx.track(t, "dye-1", book.StopCondition{Kind: book.StopFault, Operation: 3, Detail: "heater failure", Reason: "breakdown"}); again.ID != s.ID {
		t.Errorf("the same condition after a restart opened stop %d, want %d kept", again.ID, s.ID)
	}
}

// TestTrackStopSameConditionWritesNothing: a controller reports its condition at every look at
// its machine; the same one again does not write, so it wakes none of the book's followers.
func TestTrackStopSameConditionWritesNothing(t *testing.T) {
	fx := newStopsFixture(t)
	for _, c := range []book.StopCondition{{}, {Kind: book.StopFault, Detail: "jam", Reason: "breakdown"}} {
		t.Run(string(c.Kind), func(t *testing.T) {
			fx.track(t, "weave-1", c)
			changed := fx.book.Changed()
			fx.track(t, "weave-1", c)
			select {
			case <-changed:
				t.Error("the same condition again woke the followers of the book")
			default:
			}
		})
	}
}
