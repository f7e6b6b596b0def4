package book

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Story is what the book knows of how one unit was made: its work order and each operation
// that made it, with who acted on it. It holds what is private to the studio too (the order's
// customer is not in it, but person ids and every operation are): the certificate and the
// public page take from it what they may show.
type Story struct {
	Serial    string
	WorkOrder WorkOrder
	// Number is the unit's number within its work order, from 1.
	Number int
	// Finished is true once the unit is made: its work order is done and the unit was not
	// scrapped.
	Finished bool
	// Steps are the operations of the unit's work order that are done, in routing order.
	Steps []StoryStep
}

// StoryStep is one operation that made a unit.
type StoryStep struct {
	Operation Operation
	// People are the people who started, paused, resumed, completed or scrapped units of the
	// operation, by person id (without the "person:" of their actor), in the order of their
	// first action. Machines and API clients are not people.
	People []string
}

// personActor is the prefix of the actors that are people.
const personActor = "person:"

// story reads the story of unit number of work order wo.
func story(tx ReadTx, wo WorkOrder, number int) (Story, error) {
	s := Story{WorkOrder: wo, Number: number, Finished: wo.State == WorkDone}
	ops, err := tx.Operations(wo.ID)
	if err != nil {
		return Story{}, fmt.Errorf("reading the operations of work order %d: %w", wo.ID, err)
	}
	events, err := tx.Events(EventFilter{WorkOrder: wo.ID, Kinds: []string{EventOperation, EventOperationScrap}})
	if err != nil {
		return Story{}, fmt.Errorf("reading the history of work order %d: %w", wo.ID, err)
	}
	people := map[int64][]string{}
	for _, e := range events {
		id, ok := strings.CutPrefix(e.Actor, personActor)
		if ok && id != "" && !slices.Contains(people[e.Operation], id) {
			people[e.Operation] = append(people[e.Operation], id)
		}
	}
	for _, op := range ops {
		if op.State != Done {
			continue
		}
		s.Steps = append(s.Steps, StoryStep{Operation: op, People: people[op.ID]})
	}
	return s, nil
}

// StoryOf returns the story of unit number (from 1) of work order wo.
func (b *Book) StoryOf(ctx context.Context, wo int64, number int) (Story, error) {
	var s Story
	err := b.store.Read(ctx, func(tx ReadTx) error {
		w, err := tx.WorkOrder(wo)
		if err != nil {
			return fmt.Errorf("reading work order %d: %w", wo, err)
		}
		s, err = story(tx, w, number)
		return err
	})
	return s, err
}
