package book_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestChanged: a reader waiting on Changed wakes after a write that commits, and keeps waiting
// through a write that fails and rolls back, until the next one that commits.
func TestChanged(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, fx *fixture, op book.Operation) error
		wake  bool
	}{
		{
			name: "import",
			write: func(t *testing.T, fx *fixture, _ book.Operation) error {
				_, err := fx.importCSV(t, "winter", "order_id,sku,quantity\nW-2,SCARF,1\n")
				return err
			},
			wake: true,
		},
		{
			name: "transition",
			write: func(t *testing.T, fx *fixture, op book.Operation) error {
				_, err := fx.act(t, op.ID, book.ActionStart, "")
				return err
			},
			wake: true,
		},
		{
			name: "illegal transition",
			write: func(t *testing.T, fx *fixture, op book.Operation) error {
				_, err := fx.act(t, op.ID, book.ActionComplete, "") // it is queued, not running
				return err
			},
		},
		{
			name: "stale version",
			write: func(t *testing.T, fx *fixture, op book.Operation) error {
				_, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op.ID,
					Action: book.ActionStart, Actor: "ana", Version: op.Version + 7})
				return err
			},
		},
		{
			name: "refused import",
			write: func(t *testing.T, fx *fixture, _ book.Operation) error {
				_, err := fx.importCSV(t, "winter", "order_id,sku,quantity\nW-3,TEAPOT,1\n")
				return err
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nW-1,RUG,2\n")
			op := fx.ops(t, "W-1")[0]
			if op.State != book.Queued {
				t.Fatalf("fixture changed: W-1's first operation is %s", op.State)
			}

			changed := fx.book.Changed()
			woke, stop := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				select {
				case <-changed:
					close(woke)
				case <-stop:
				}
			})
			t.Cleanup(func() {
				close(stop)
				wg.Wait()
			})

			err := tc.write(t, fx, op)
			if !tc.wake {
				if err == nil {
					t.Fatal("the write succeeded, want it refused")
				}
				// Write closes the channel before it returns: a failed write that woke
				// the reader would have closed it by now.
				select {
				case <-changed:
					t.Fatalf("a failed write (%v) closed the channel", err)
				default:
				}
				// the reader still waits, for the next write that commits
				if _, err := fx.act(t, op.ID, book.ActionStart, ""); err != nil {
					t.Fatalf("start: %v", err)
				}
			} else if err != nil {
				t.Fatalf("write: %v", err)
			}
			select {
			case <-woke:
			case <-time.After(10 * time.Second):
				t.Fatal("the reader waiting on Changed did not wake within 10s of a committed write")
			}
			select {
			case <-fx.book.Changed():
				t.Error("after the wake-up Changed returns a closed channel: the next reader would not wait")
			default:
			}
		})
	}
}

// TestChangedFollower follows the book the way the doc comment of Changed says: take the
// channel, read, wait. It must end up having read the book's last state, however the writes
// and its reads interleave.
func TestChangedFollower(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nW-1,RUG,2\n")
	op := fx.ops(t, "W-1")[0]

	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan book.State, 100)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			changed := fx.book.Changed()
			got, err := fx.book.Operation(ctx, op.ID)
			if err != nil {
				return // cancelled
			}
			select {
			case seen <- got.State:
			case <-ctx.Done():
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	})
	defer wg.Wait()
	defer cancel()

	for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
		fx.mustAct(t, op.ID, a)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case st := <-seen:
			if st == book.Done {
				return
			}
		case <-deadline:
			t.Fatal("the follower did not read the completed operation within 10s")
		}
	}
}
