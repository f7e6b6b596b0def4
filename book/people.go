package book

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Kinds of the actors of an operation's acts.
const (
	// ActorPerson is a person who signed in (actor "person:<id>").
	ActorPerson = "person"
	// ActorMachine is a cell's controller acting for its machine (actor "cell:<id>" of a cell
	// with a machine): the act is the machine's, not a person's.
	ActorMachine = "machine"
	// ActorCell is the controller of a cell without a machine (a fault a person reported there
	// pauses its work in the cell's name).
	ActorCell = "cell"
	// ActorClient is an API client with a token (actor "token:<name>").
	ActorClient = "client"
	// ActorSystem is anything else: the dispatcher, a tool.
	ActorSystem = "system"
)

// Act is one change of an operation's course, as the event log tells it: who started, paused,
// resumed, completed or scrapped it, and when.
type Act struct {
	// Action is start, pause, resume, complete or scrap; a scrap of some units only is a
	// scrap with their Quantity, the operation going on.
	Action Action    `json:"action"`
	At     time.Time `json:"at"`
	// Actor is the actor as the log records it; Kind says what it is (ActorPerson, ...).
	Actor string `json:"actor"`
	Kind  string `json:"kind"`
	// Person is the id of the person, for ActorPerson; Name their name in the factory, and
	// PublicName the name they allow the public pages to show ("" when they did not opt in).
	Person     string `json:"person,omitempty"`
	Name       string `json:"name,omitempty"`
	PublicName string `json:"public_name,omitempty"`
	// Machine is the device id of the machine, for ActorMachine; Cell the cell it acted at.
	Machine  string `json:"machine,omitempty"`
	Cell     string `json:"cell,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
}

// OperationPeople returns who acted on an operation, in the order of the event log: each
// start, pause, resume, completion and scrap with its time and actor. A cell controller's acts
// are named as its machine's (ActorMachine, with the device id), not as a person's; a person
// is named by the factory's people (their public name only where they opted in).
func (b *Book) OperationPeople(ctx context.Context, op int64) ([]Act, error) {
	var events []Event
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.Operation(op); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: %d", ErrUnknownOperation, op)
			}
			return err
		}
		// By the operation alone, which its index serves; an operation has few events, and
		// actOf keeps the changes of its course among them.
		var err error
		events, err = tx.Events(EventFilter{Operation: op})
		return err
	})
	if err != nil {
		return nil, err
	}
	acts := make([]Act, 0, len(events))
	for _, e := range events {
		a, ok := actOf(e)
		if !ok {
			continue
		}
		b.nameActor(&a, e)
		acts = append(acts, a)
	}
	return acts, nil
}

// actOf returns the act an event of an operation records: its action, told by the states it
// went between.
func actOf(e Event) (Act, bool) {
	a := Act{At: e.At, Actor: e.Actor, Reason: e.Reason}
	switch {
	case e.Kind != EventOperation && e.Kind != EventOperationScrap:
		return a, false // progress, labels and the like
	case e.Kind == EventOperationScrap:
		a.Action, a.Quantity = ActionScrap, e.Quantity
	case e.To == Running && e.From == Paused:
		a.Action = ActionResume
	case e.To == Running:
		a.Action = ActionStart
	case e.To == Paused:
		a.Action = ActionPause
	case e.To == Done:
		a.Action = ActionComplete
	case e.To == Scrapped:
		a.Action = ActionScrap
	default:
		return a, false // queued by the dispatcher, sent back when a cell went down
	}
	return a, true
}

// nameActor fills in what the actor of event e is.
func (b *Book) nameActor(a *Act, e Event) {
	kind, id, _ := strings.Cut(e.Actor, ":")
	switch kind {
	case "person":
		a.Kind, a.Person, a.Name = ActorPerson, id, id
		if p, ok := b.person(id); ok {
			a.Name, a.PublicName = p.Name, p.PublicName
		}
	case "cell":
		a.Kind, a.Cell = ActorCell, id
		if c, ok := b.cfg().cells[id]; ok {
			for _, d := range c.Devices {
				if d.Modbus() {
					a.Kind, a.Machine = ActorMachine, d.ID
				}
			}
		}
	case "token":
		a.Kind, a.Name = ActorClient, id
	default:
		a.Kind = ActorSystem
	}
}

// person returns the person with id among the factory's people.
func (b *Book) person(id string) (configs.Person, bool) {
	for _, p := range b.cfg().factory.People {
		if p.ID == id {
			return p, true
		}
	}
	return configs.Person{}, false
}
