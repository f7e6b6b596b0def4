package postgres

import (
	"context"
	"sync"
	"testing"
	"time"
)

func mustAcquire(t *testing.T, st *Store, name, holder string, ttl time.Duration) (bool, int64) {
	t.Helper()
	held, epoch, err := st.AcquireLease(context.Background(), name, holder, ttl)
	if err != nil {
		t.Fatalf("acquiring %s for %s: %v", name, holder, err)
	}
	return held, epoch
}

func TestLeaseHeldByOneAndRenewed(t *testing.T) {
	st, _ := openTest(t)
	if held, epoch := mustAcquire(t, st, "cells:a", "A", time.Minute); !held || epoch != 1 {
		t.Fatalf("first acquire: held %v epoch %d, want true 1", held, epoch)
	}
	if held, _ := mustAcquire(t, st, "cells:a", "B", time.Minute); held {
		t.Fatal("B took a lease A holds")
	}
	if held, epoch := mustAcquire(t, st, "cells:a", "A", time.Minute); !held || epoch != 1 {
		t.Fatalf("renewal: held %v epoch %d, want true 1 (same holder, same epoch)", held, epoch)
	}
	// another lease is another matter
	if held, epoch := mustAcquire(t, st, "site", "B", time.Minute); !held || epoch != 1 {
		t.Fatalf("B on another lease: held %v epoch %d", held, epoch)
	}
}

func TestLeaseExpiresByTheDatabaseClockAndChangesEpoch(t *testing.T) {
	st, _ := openTest(t)
	const ttl = 300 * time.Millisecond
	mustAcquire(t, st, "cells:a", "A", ttl)
	ls, err := st.Leases(context.Background())
	if err != nil || len(ls) != 1 {
		t.Fatalf("leases: %v %v", ls, err)
	}
	var dbClock time.Time
	if err := st.pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&dbClock); err != nil {
		t.Fatal(err)
	}
	if left := ls[0].Expires.Sub(dbClock); left > ttl || left < -time.Second {
		t.Fatalf("lease expires %s after the database's clock, want within the ttl %s", left, ttl)
	}
	deadline := time.Now().Add(10 * time.Second)
	var epoch int64
	for held := false; !held; {
		if time.Now().After(deadline) {
			t.Fatal("B never took the lease A stopped renewing")
		}
		held, epoch = mustAcquire(t, st, "cells:a", "B", time.Minute)
	}
	if epoch != 2 {
		t.Fatalf("epoch after a change of holder: %d, want 2", epoch)
	}
	if held, _ := mustAcquire(t, st, "cells:a", "A", time.Minute); held {
		t.Fatal("A renewed a lease B took after it expired")
	}
}

func TestLeaseReleaseHandsOverAtOnce(t *testing.T) {
	st, _ := openTest(t)
	ctx := context.Background()
	mustAcquire(t, st, "site", "A", time.Hour)
	// someone else's release changes nothing
	if err := st.ReleaseLease(ctx, "site", "B"); err != nil {
		t.Fatal(err)
	}
	if held, _ := mustAcquire(t, st, "site", "B", time.Hour); held {
		t.Fatal("B took the lease after releasing what it did not hold")
	}
	if err := st.ReleaseLease(ctx, "site", "A"); err != nil {
		t.Fatal(err)
	}
	if held, epoch := mustAcquire(t, st, "site", "B", time.Hour); !held || epoch != 2 {
		t.Fatalf("after A released: B held %v epoch %d, want true 2", held, epoch)
	}
	// A released lease taken back by its last holder is the same hold: the epoch stays
	if err := st.ReleaseLease(ctx, "site", "B"); err != nil {
		t.Fatal(err)
	}
	if held, epoch := mustAcquire(t, st, "site", "B", time.Hour); !held || epoch != 2 {
		t.Fatalf("B again: held %v epoch %d, want true 2", held, epoch)
	}
}

func TestLeaseOneHolderAmongMany(t *testing.T) {
	st, _ := openTest(t)
	const holders = 16
	var wg sync.WaitGroup
	results := make([]bool, holders)
	errs := make([]error, holders)
	for i := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _, errs[i] = st.AcquireLease(context.Background(), "cells:a", string(rune('A'+i)), time.Minute)
		}()
	}
	wg.Wait()
	n := 0
	for i, held := range results {
		if errs[i] != nil {
			t.Fatalf("holder %d: %v", i, errs[i])
		}
		if held {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d holders hold the lease at once, want 1", n)
	}
}

func TestLeaseRefusesBadInput(t *testing.T) {
	st, _ := openTest(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, lease, holder string
		ttl                 time.Duration
	}{
		{"empty name", "", "A", time.Second},
		{"empty holder", "site", "", time.Second},
		{"no ttl", "site", "A", 0},
		{"negative ttl", "site", "A", -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if held, _, err := st.AcquireLease(ctx, tc.lease, tc.holder, tc.ttl); err == nil || held {
				t.Fatalf("acquire: held %v err %v, want an error", held, err)
			}
		})
	}
	if err := st.ReleaseLease(ctx, "", "A"); err == nil {
		t.Fatal("release of an unnamed lease: no error")
	}
	if ls, err := st.Leases(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("refused acquires left leases: %v %v", ls, err)
	}
}
