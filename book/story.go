package book

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Story is what the book knows of how one unit was made: its work order and each operation
// that made it, with who acted on it and what its machine read, and the makers' notes and
// photos of the unit. It holds what is private to the studio too (people's names and ids,
// private notes and photos; never the order's customer): the certificate and the public page
// take from it what they may show.
type Story struct {
	Unit      Unit
	WorkOrder WorkOrder
	// Finished is true once the unit is made: its work order is done and the unit was not
	// scrapped.
	Finished bool
	// Steps are the operations of the unit's work order that are done, in routing order.
	Steps []StoryStep
	// Notes and Photos are the makers' notes and photos of the unit: of its work order's
	// operations, on every unit or on this one, by time.
	Notes  []Note
	Photos []Photo
	// Repairs are the repairs done to the unit after it was made, by the time they were done:
	// only repairs whose work is finished.
	Repairs []StoryRepair
}

// StoryRepair is a repair done to a unit after it was made: the services carried out, each
// operation of its work with who acted on it, and the makers' notes and photos of its diagnosis
// and its work.
type StoryRepair struct {
	// Repair is the repair's id.
	Repair string
	// Done is when its work order completed.
	Done time.Time
	// Services are the ids of the services carried out, in order.
	Services []string
	// Steps are the operations of its diagnosis and its work, done, in order.
	Steps []StoryStep
	// Notes and Photos are the makers' notes and photos of the repair's diagnosis and work.
	Notes  []Note
	Photos []Photo
}

// StoryStep is one operation that made a unit.
type StoryStep struct {
	Operation Operation
	// Acts are who started, paused, resumed, completed and scrapped the operation, in order
	// (see OperationPeople).
	Acts []Act
	// Readings summarise what the operation's machine read during it, by quantity.
	Readings []ReadingSummary
	// Lots are the lots the operation made and consumed: the one it made first, then the
	// consumed ones by material.
	Lots []OperationLot
	// Checks are the quality checks recorded at the operation, by time; NonConformances the
	// ones that failed, with their decisions.
	Checks          []CheckRecord
	NonConformances []NonConformance
}

// story reads the story of unit number of work order wo.
func (b *Book) story(tx ReadTx, wo WorkOrder, number int) (Story, error) {
	s := Story{WorkOrder: wo, Finished: wo.State == WorkDone}
	ops, err := tx.Operations(wo.ID)
	if err != nil {
		return Story{}, fmt.Errorf("reading the operations of work order %d: %w", wo.ID, err)
	}
	events, err := tx.Events(EventFilter{WorkOrder: wo.ID, Kinds: []string{EventOperation, EventOperationScrap}})
	if err != nil {
		return Story{}, fmt.Errorf("reading the history of work order %d: %w", wo.ID, err)
	}
	acts := map[int64][]Act{}
	for _, e := range events {
		if a, ok := actOf(e); ok {
			b.nameActor(&a, e)
			acts[e.Operation] = append(acts[e.Operation], a)
		}
	}
	checks, err := tx.WorkOrderChecks(wo.ID)
	if err != nil {
		return Story{}, err
	}
	ncs, err := tx.WorkOrderNonConformances(wo.ID)
	if err != nil {
		return Story{}, err
	}
	for _, op := range ops {
		if op.State != Done {
			continue
		}
		rs, err := tx.Readings(op.ID)
		if err != nil {
			return Story{}, fmt.Errorf("reading the readings of operation %d: %w", op.ID, err)
		}
		lots, err := tx.OperationLots(op.ID)
		if err != nil {
			return Story{}, fmt.Errorf("reading the lots of operation %d: %w", op.ID, err)
		}
		st := StoryStep{Operation: op, Acts: acts[op.ID], Readings: rs, Lots: lots}
		for _, c := range checks {
			if c.Operation == op.ID {
				st.Checks = append(st.Checks, c)
			}
		}
		for _, nc := range ncs {
			if nc.Operation == op.ID {
				st.NonConformances = append(st.NonConformances, nc)
			}
		}
		s.Steps = append(s.Steps, st)
	}
	notes, err := tx.Notes(wo.ID)
	if err != nil {
		return Story{}, fmt.Errorf("reading the notes of work order %d: %w", wo.ID, err)
	}
	for _, n := range notes {
		if n.Unit == 0 || n.Unit == number {
			s.Notes = append(s.Notes, n)
		}
	}
	photos, err := tx.Photos(wo.ID)
	if err != nil {
		return Story{}, fmt.Errorf("reading the photos of work order %d: %w", wo.ID, err)
	}
	for _, p := range photos {
		if p.Unit == 0 || p.Unit == number {
			s.Photos = append(s.Photos, p)
		}
	}
	return s, nil
}

// Story returns the story of the unit with a serial: an error wrapping ErrUnknownUnit when no
// unit has it.
func (b *Book) Story(ctx context.Context, serial string) (Story, error) {
	var s Story
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		s, err = b.storyOf(tx, serial)
		return err
	})
	return s, err
}

// storyOf reads the story of the unit with a serial.
func (b *Book) storyOf(tx ReadTx, serial string) (Story, error) {
	u, err := tx.Unit(serial)
	if errors.Is(err, ErrNotFound) {
		return Story{}, fmt.Errorf("%w %q", ErrUnknownUnit, serial)
	}
	if err != nil {
		return Story{}, fmt.Errorf("reading unit %q: %w", serial, err)
	}
	wo, err := tx.WorkOrder(u.WorkOrder)
	if err != nil {
		return Story{}, fmt.Errorf("reading work order %d: %w", u.WorkOrder, err)
	}
	s, err := b.story(tx, wo, u.Number)
	if err != nil {
		return Story{}, err
	}
	s.Unit = u
	s.Finished = s.Finished && u.Scrapped == nil
	if s.Repairs, err = b.storyRepairs(tx, serial); err != nil {
		return Story{}, err
	}
	return s, nil
}

// storyRepairs reads the repairs of the unit serial whose work is done, by the time it was
// done: the steps of their diagnosis and work (as story reads a work order's) and the public
// notes and photos of those work orders.
func (b *Book) storyRepairs(tx ReadTx, serial string) ([]StoryRepair, error) {
	rs, err := tx.Repairs(RepairFilter{Serial: serial})
	if err != nil {
		return nil, fmt.Errorf("reading the repairs of unit %q: %w", serial, err)
	}
	var out []StoryRepair
	for _, r := range rs {
		if r.ReadyAt == nil || r.Diagnosis == nil {
			continue
		}
		sr := StoryRepair{Repair: r.ID, Done: *r.ReadyAt, Services: r.Diagnosis.Services}
		for _, id := range []int64{r.DiagnosisWorkOrder, r.WorkOrder} {
			wo, err := tx.WorkOrder(id)
			if err != nil {
				return nil, fmt.Errorf("reading work order %d of repair %s: %w", id, r.ID, err)
			}
			st, err := b.story(tx, wo, 1)
			if err != nil {
				return nil, err
			}
			sr.Steps = append(sr.Steps, st.Steps...)
			for _, n := range st.Notes {
				if !n.Private {
					sr.Notes = append(sr.Notes, n)
				}
			}
			for _, p := range st.Photos {
				if !p.Private {
					sr.Photos = append(sr.Photos, p)
				}
			}
		}
		out = append(out, sr)
	}
	slices.SortStableFunc(out, func(x, y StoryRepair) int { return x.Done.Compare(y.Done) })
	return out, nil
}
