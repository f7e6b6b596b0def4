package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestCancelledReadsLeaveNoOldSnapshot hammers the store as a browser hopping between pages
// does: reads of an operation, a queue, a sign-in session and the sign-ins of a person, each
// cancelled at a random moment, beside writes that move the operation's version on and add
// sessions and sign-ins (some of them cancelled too). No read may go back in time: each sees at
// least the version, and finds the session and the sign-in, that had committed before it began. Afterwards every connection of the reader pool,
// all taken at once, must be outside any transaction: it sees a write made after the hammer,
// and can begin and roll back.
func TestCancelledReadsLeaveNoOldSnapshot(t *testing.T) {
	const readers = 6
	reads := 1000 // per reader
	if raceDetector {
		reads = 300
	}
	s, _ := openTest(t)
	s.now = func() time.Time { return t0 }
	op := storetest.ImportOrders(t, s, "drop-1", 0, 1)[0].Ops[0]
	id := op.ID
	var version, sessions atomic.Int64 // committed before now
	version.Store(op.Version)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 1))
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithCancel(context.Background())
			if rng.IntN(4) == 0 {
				time.AfterFunc(time.Duration(rng.IntN(200))*time.Microsecond, cancel)
			}
			next := op
			err := s.Write(ctx, func(tx book.Tx) error { return tx.UpdateOperation(&next) })
			switch {
			case err == nil:
				op = next
				version.Store(op.Version)
			case !errors.Is(err, context.Canceled):
				t.Errorf("write: %v", err)
			}
			err = s.PutSession(ctx, fmt.Sprintf("h-%d", i), "amira", "operator", t0.Add(time.Hour), 0, t0)
			if err == nil {
				err = s.SignedIn(ctx, "amira", fmt.Sprintf("c-%d", i), t0)
			}
			switch {
			case err == nil:
				sessions.Store(i)
			case !errors.Is(err, context.Canceled):
				t.Errorf("storing session: %v", err)
			}
			cancel()
		}
	}()

	var stale atomic.Int64
	var rwg sync.WaitGroup
	for g := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			var seen int64
			for range reads {
				floor, session := version.Load(), sessions.Load()
				ctx, cancel := context.WithCancel(context.Background())
				timer := time.AfterFunc(time.Duration(rng.IntN(150))*time.Microsecond, cancel)
				var got int64
				err := s.Read(ctx, func(tx book.ReadTx) error {
					if _, err := tx.Queue("laser", 50); err != nil {
						return err
					}
					for range 3 {
						o, err := tx.Operation(id)
						if err != nil {
							return err
						}
						got = o.Version
					}
					return nil
				})
				switch {
				case err == nil && (got < floor || got < seen):
					stale.Add(1)
					t.Errorf("read version %d of operation %d after version %d had committed (and %d was seen)", got, id, floor, seen)
				case err == nil:
					seen = got
				case !errors.Is(err, context.Canceled):
					t.Errorf("read: %v", err)
				}
				if session > 0 {
					_, _, _, err := s.Session(ctx, fmt.Sprintf("h-%d", session))
					switch {
					case errors.Is(err, book.ErrNotFound):
						stale.Add(1)
						t.Errorf("session h-%d stored before the read is not found", session)
					case err != nil && !errors.Is(err, context.Canceled):
						t.Errorf("reading session: %v", err)
					}
					found := false
					err = s.SignInFailures(ctx, "amira", func(client string, _ int, _, _ time.Time) {
						found = found || client == fmt.Sprintf("c-%d", session)
					})
					switch {
					case err == nil && !found:
						stale.Add(1)
						t.Errorf("the sign-in from c-%d stored before the read is not found", session)
					case err != nil && !errors.Is(err, context.Canceled):
						t.Errorf("reading sign-ins: %v", err)
					}
				}
				timer.Stop()
				cancel()
				if stale.Load() > 5 {
					return // enough said
				}
			}
		}()
	}
	rwg.Wait()
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	ctx := context.Background()
	final := op
	storetest.MustWrite(t, s, func(tx book.Tx) error { return tx.UpdateOperation(&final) })
	if err := s.PutSession(ctx, "h-final", "amira", "operator", t0.Add(time.Hour), 0, t0); err != nil {
		t.Fatal(err)
	}
	n := s.reader.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := s.reader.Conn(ctx)
		if err != nil {
			t.Fatalf("taking reader connection %d of %d: %v", i+1, n, err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		var v int64
		var person string
		if err := c.QueryRowContext(ctx, `SELECT version FROM operations WHERE id = ?`, op.ID).Scan(&v); err != nil {
			t.Errorf("reader connection %d: %v", i, err)
		} else if v != final.Version {
			t.Errorf("reader connection %d sees version %d of operation %d, the last written is %d: it is inside an old read transaction",
				i, v, op.ID, final.Version)
		}
		if err := c.QueryRowContext(ctx, `SELECT person FROM sessions WHERE token_hash = 'h-final'`).Scan(&person); err != nil {
			t.Errorf("reader connection %d does not see the last session: %v", i, err)
		}
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			t.Errorf("reader connection %d: BEGIN: %v", i, err)
		} else if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Errorf("reader connection %d: ROLLBACK: %v", i, err)
		}
	}
}
