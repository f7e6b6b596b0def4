package book_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func TestOperationPeople(t *testing.T) {
	fx := newFixtureOf(t, "testdata/people.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nY1,YARN,5\n")
	wo := fx.workOrders(t)[0]
	d, err := fx.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	dye, pack := d.Operations[0], d.Operations[1]
	for _, step := range []struct {
		op       int64
		action   book.Action
		actor    book.Actor
		reason   string
		quantity int
	}{
		{dye.ID, book.ActionStart, "cell:dye-1", "", 0},
		{dye.ID, book.ActionPause, "person:ana", "dye lot check", 0},
		{dye.ID, book.ActionResume, "person:jonas", "", 0},
		{dye.ID, book.ActionScrap, "token:mes", "stained", 1},
		{dye.ID, book.ActionComplete, "cell:dye-1", "", 0},
		{pack.ID, book.ActionStart, "person:ana", "", 0},
		{pack.ID, book.ActionPause, "cell:pack-1", "fault reported by ana: jam", 0},
		{pack.ID, book.ActionScrap, "person:someone-gone", "lost", 0},
	} {
		fx.clock.Advance(time.Minute)
		if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: step.op, Action: step.action,
			Actor: step.actor, Reason: step.reason, Quantity: step.quantity}); err != nil {
			t.Fatalf("%s by %s: %v", step.action, step.actor, err)
		}
		if step.action == book.ActionResume {
			// The machine's count is no act on the operation's course.
			if _, err := fx.book.Progress(ctx, dye.ID, 2, "cell:dye-1"); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, tc := range []struct {
		name string
		op   int64
		want []book.Act
	}{
		{name: "a machine's step", op: dye.ID, want: []book.Act{
			{Action: book.ActionStart, Actor: "cell:dye-1", Kind: book.ActorMachine, Machine: "vat-a", Cell: "dye-1"},
			{Action: book.ActionPause, Actor: "person:ana", Kind: book.ActorPerson, Person: "ana", Name: "Ana Lima", PublicName: "Ana L.", Reason: "dye lot check"},
			{Action: book.ActionResume, Actor: "person:jonas", Kind: book.ActorPerson, Person: "jonas", Name: "Jonas Feld"},
			{Action: book.ActionScrap, Actor: "token:mes", Kind: book.ActorClient, Name: "mes", Reason: "stained", Quantity: 1},
			{Action: book.ActionComplete, Actor: "cell:dye-1", Kind: book.ActorMachine, Machine: "vat-a", Cell: "dye-1"},
		}},
		{name: "a manual step", op: pack.ID, want: []book.Act{
			{Action: book.ActionStart, Actor: "person:ana", Kind: book.ActorPerson, Person: "ana", Name: "Ana Lima", PublicName: "Ana L."},
			{Action: book.ActionPause, Actor: "cell:pack-1", Kind: book.ActorCell, Cell: "pack-1", Reason: "fault reported by ana: jam"},
			{Action: book.ActionScrap, Actor: "person:someone-gone", Kind: book.ActorPerson, Person: "someone-gone", Name: "someone-gone", Reason: "lost"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.book.OperationPeople(ctx, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d acts, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i].At.IsZero() || i > 0 && !got[i].At.After(got[i-1].At) {
					t.Errorf("act %d at %v, want a time after the act before", i, got[i].At)
				}
				got[i].At = time.Time{}
				if got[i] != tc.want[i] {
					t.Errorf("act %d = %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := fx.book.OperationPeople(ctx, 4242); !errors.Is(err, book.ErrUnknownOperation) {
		t.Errorf("people of an unknown operation: %v, want ErrUnknownOperation", err)
	}
}
