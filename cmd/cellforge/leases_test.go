package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// silenced is a store's leases that stop answering once cut: a daemon whose process froze or
// whose network went away, which neither renews nor releases its lease. (The database cannot
// be made to ignore one client only, so the fault is injected here.)
type silenced struct {
	leaser
	cut atomic.Bool
}

var errCut = errors.New("cut off from the database")

func (s *silenced) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, int64, error) {
	if s.cut.Load() {
		<-ctx.Done() // a request that never gets an answer
		return false, 0, errCut
	}
	return s.leaser.AcquireLease(ctx, name, holder, ttl)
}

func (s *silenced) ReleaseLease(ctx context.Context, name, holder string) error {
	if s.cut.Load() {
		return errCut
	}
	return s.leaser.ReleaseLease(ctx, name, holder)
}

// timeline records what ran under a lease, in order.
type timeline struct {
	mu     sync.Mutex
	events []string
}

func (tl *timeline) add(e string) {
	tl.mu.Lock()
	tl.events = append(tl.events, e)
	tl.mu.Unlock()
}

func (tl *timeline) has(e string) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, x := range tl.events {
		if x == e {
			return true
		}
	}
	return false
}

// work is what runs under a lease in the test: it notes its start and its end.
func work(tl *timeline, who string) func(context.Context) (func(context.Context) error, error) {
	return func(context.Context) (func(context.Context) error, error) {
		return func(ctx context.Context) error {
			tl.add(who + " started")
			<-ctx.Done()
			tl.add(who + " stopped")
			return nil
		}, nil
	}
}

func openLeases(t *testing.T, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestLeaseWorkNeverRunsTwice: daemon A holds a lease and runs its work; B waits. A is cut off
// from the database (it neither renews nor releases): its work stops before B's starts, and B
// takes the lease over. Then B stops cleanly and releases it: A, back, takes it at once.
func TestLeaseWorkNeverRunsTwice(t *testing.T) {
	url := pgtest.URL(t)
	log := slog.New(slog.DiscardHandler)
	const ttl = 2 * time.Second
	a := &silenced{leaser: openLeases(t, url)}
	b := openLeases(t, url)
	la := newLease(a, "cells:loom-1", "A", ttl, log)
	lb := newLease(b, "cells:loom-1", "B", ttl, log)
	tl := &timeline{}

	actx, stopA := context.WithCancel(context.Background())
	defer stopA()
	aDone := make(chan error, 1)
	go func() { aDone <- la.keep(actx, nil, work(tl, "A")) }()
	waitFor(t, 10*time.Second, "A to run its work", func() bool { return tl.has("A started") })

	bctx, stopB := context.WithCancel(context.Background())
	bDone := make(chan error, 1)
	go func() { bDone <- lb.keep(bctx, nil, work(tl, "B")) }()
	a.cut.Store(true)
	waitFor(t, 10*ttl, "B to take the lease over", func() bool { return tl.has("B started") })

	tl.mu.Lock()
	got := append([]string(nil), tl.events...)
	tl.mu.Unlock()
	want := []string{"A started", "A stopped", "B started"}
	if len(got) != len(want) {
		t.Fatalf("timeline %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("timeline %v, want %v: the work ran in two places at once", got, want)
		}
	}

	// B stops cleanly: it releases the lease, and A, reconnected, takes it without waiting
	// for the lease to expire.
	stopB()
	if err := <-bDone; err != nil {
		t.Fatalf("B's keep: %v", err)
	}
	a.cut.Store(false)
	waitFor(t, ttl/2+5*time.Second, "A to take the released lease", func() bool {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		return len(tl.events) == 5 && tl.events[3] == "B stopped" && tl.events[4] == "A started"
	})
	stopA()
	if err := <-aDone; err != nil {
		t.Fatalf("A's keep: %v", err)
	}
	ls, err := b.Leases(context.Background())
	if err != nil || len(ls) != 1 || ls[0].Holder != "A" || ls[0].Epoch != 3 {
		t.Fatalf("leases after A took it back: %+v %v, want A's at epoch 3", ls, err)
	}
}

// TestLeaseSoleOwnerHoldsAtOnce: a store one process owns (SQLite) holds every lease without
// asking: the work runs at once and stops with its context.
func TestLeaseSoleOwnerHoldsAtOnce(t *testing.T) {
	l := newLease(soleOwner{}, "site", "this daemon", time.Second, slog.New(slog.DiscardHandler))
	tl := &timeline{}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.keep(ctx, nil, work(tl, "sole")) }()
	waitFor(t, 5*time.Second, "the work to start", func() bool { return tl.has("sole started") })
	stop()
	if err := <-done; err != nil || !tl.has("sole stopped") {
		t.Fatalf("keep: %v, timeline %v", err, tl.events)
	}
}

// TestLeaseWorkThatEndsOnItsOwnIsAnError: work that returns while its lease is held and its
// context has not ended is broken, as a part of the daemon that returns early is.
func TestLeaseWorkThatEndsOnItsOwnIsAnError(t *testing.T) {
	l := newLease(soleOwner{}, "site", "this daemon", time.Second, slog.New(slog.DiscardHandler))
	err := l.keep(context.Background(), nil, func(context.Context) (func(context.Context) error, error) {
		return func(context.Context) error { return nil }, nil
	})
	if !errors.Is(err, errEndedEarly) {
		t.Fatalf("keep: %v, want errEndedEarly", err)
	}
	boom := errors.New("boom")
	err = l.keep(context.Background(), nil, func(context.Context) (func(context.Context) error, error) {
		return func(context.Context) error { return boom }, nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("keep: %v, want the work's error", err)
	}
}

// TestLeaseGroupsOfTheDemo: the demo's cells on the shared RS-485 line are one lease; every
// other cell is a lease of its own, and every cell is in exactly one.
func TestLeaseGroupsOfTheDemo(t *testing.T) {
	f, err := loadConfig(filepath.Join(moduleRoot(t), "configs", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names, groups := leaseGroups(f)
	if len(names) != len(groups) {
		t.Fatalf("%d names for %d groups", len(names), len(groups))
	}
	seen := map[string]string{}
	for i, g := range groups {
		for _, c := range g {
			if other, ok := seen[c.ID]; ok {
				t.Fatalf("cell %s in %s and %s", c.ID, other, names[i])
			}
			seen[c.ID] = names[i]
		}
	}
	if len(seen) != len(f.Cells) {
		t.Fatalf("%d cells in the groups, the factory has %d", len(seen), len(f.Cells))
	}
	const shared = "cells:dye-1+dye-2+weave-3"
	for _, c := range []string{"dye-1", "dye-2", "weave-3"} {
		if seen[c] != shared {
			t.Errorf("cell %s under lease %q, want %q (its machine is on rs485-1)", c, seen[c], shared)
		}
	}
	if seen["weave-1"] != "cells:weave-1" || seen["pack-1"] != "cells:pack-1" {
		t.Errorf("weave-1 under %q, pack-1 under %q, want leases of their own", seen["weave-1"], seen["pack-1"])
	}
}

// TestLeaseTakeThatFailsGivesTheLeaseUp: work that cannot be readied (the book unreadable) is
// not fatal: the lease is released at once, for another daemon to take, and asked for again
// later.
func TestLeaseTakeThatFailsGivesTheLeaseUp(t *testing.T) {
	url := pgtest.URL(t)
	st, other := openLeases(t, url), openLeases(t, url)
	const name, ttl = "cells:loom-1", 10 * time.Second
	l := newLease(st, name, "A", ttl, slog.New(slog.DiscardHandler))
	tl := &timeline{}
	var tries atomic.Int32
	failed := make(chan struct{})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- l.keep(ctx, nil, func(ctx context.Context) (func(context.Context) error, error) {
			if tries.Add(1) == 1 {
				close(failed)
				return nil, errors.New("the book cannot be read")
			}
			return work(tl, "A")(ctx)
		})
	}()
	<-failed
	// B gets the lease long before A's would have expired: A released it
	waitFor(t, ttl/2, "B to take the lease A gave up", func() bool {
		held, _, err := other.AcquireLease(context.Background(), name, "B", time.Hour)
		return err == nil && held
	})
	if err := other.ReleaseLease(context.Background(), name, "B"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*ttl, "A to take the lease again and start its work", func() bool { return tl.has("A started") })
	stop()
	if err := <-done; err != nil {
		t.Fatalf("keep: %v", err)
	}
	if n := tries.Load(); n != 2 {
		t.Fatalf("%d tries, want 2", n)
	}
}

// TestClaimDataDirRefusesASecondDaemon: one daemon runs on a data directory at a time; the
// holder it is named by is its host and directory, the same after a restart.
func TestClaimDataDirRefusesASecondDaemon(t *testing.T) {
	dir := t.TempDir()
	holder, release, err := claimDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(holder, ":"+dir) {
		t.Errorf("holder %q does not name the data directory %s", holder, dir)
	}
	if _, _, err := claimDataDir(dir); err == nil || !strings.Contains(err.Error(), "another daemon runs on it") {
		t.Fatalf("a second claim while the first holds: %v, want refused", err)
	}
	release()
	again, release2, err := claimDataDir(dir)
	if err != nil {
		t.Fatalf("claim after the first released: %v", err)
	}
	defer release2()
	if again != holder {
		t.Errorf("holder after a restart %q, want the same %q", again, holder)
	}
}
