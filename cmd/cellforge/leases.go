package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cellforge/cellforge/store/filelock"
	"github.com/cellforge/cellforge/store/postgres"
)

// leaser is what the floor needs of its store's leases: several daemons on one database each
// drive a cell only while they hold its lease (see lease).
type leaser interface {
	// AcquireLease takes lease name for holder for ttl, or renews it; held false when another
	// holder has it. Expiry is judged by the store's clock, not the daemon's.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (held bool, epoch int64, err error)
	// ReleaseLease gives holder's lease up now, on a clean stop.
	ReleaseLease(ctx context.Context, name, holder string) error
}

var _ leaser = (*postgres.Store)(nil)

// soleOwner is the leases of a store that one process owns: the SQLite store's file lock lets
// one daemon open the book, so that daemon holds every lease without asking anyone.
type soleOwner struct{}

func (soleOwner) AcquireLease(context.Context, string, string, time.Duration) (bool, int64, error) {
	return true, 1, nil
}

func (soleOwner) ReleaseLease(context.Context, string, string) error { return nil }

// leasesOf returns the leases of st: its own when it keeps them (PostgreSQL), else those of a
// store one process owns.
func leasesOf(st daemonStore) leaser {
	if l, ok := st.(leaser); ok {
		return l
	}
	return soleOwner{}
}

// daemonLock is the file in the data directory a daemon holds locked while it runs.
const daemonLock = "daemon.lock"

// claimDataDir makes this process the data directory's daemon, refusing a directory another
// live process holds, and names the daemon as a lease's holder by its host and its data
// directory. A daemon killed and started again on the same data directory is the same holder:
// it takes its cells back at once rather than after their leases expire, which is safe because
// the lock says the process before it is gone. The caller calls release when it stops.
func claimDataDir(dataDir string) (holder string, release func(), err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return "", nil, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(abs, daemonLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("locking the data directory: %w", err)
	}
	if err := filelock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return "", nil, fmt.Errorf("data directory %s: another daemon runs on it (%s is locked): give each daemon its own", abs, daemonLock)
		}
		return "", nil, fmt.Errorf("locking the data directory: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return host + ":" + abs, func() { f.Close() }, nil
}

// lease is one of the store's leases as this daemon keeps it. While held, it is renewed every
// ttl/3; when no renewal has succeeded for ttl/2 (counted from when the last good one was sent,
// before the store stamped it), what ran under it is stopped, well before the store lets
// another daemon take it (ttl after that renewal, by the store's clock).
type lease struct {
	name   string
	holder string
	ttl    time.Duration
	store  leaser
	log    *slog.Logger

	// renewed is when the last acquisition or renewal that succeeded was sent; zero while the
	// lease is not held. Touched by the goroutine that keeps the lease only.
	renewed time.Time
	epoch   int64
}

// newLease returns lease name of store, kept for ttl at a time by holder.
func newLease(store leaser, name, holder string, ttl time.Duration, log *slog.Logger) *lease {
	return &lease{name: name, holder: holder, ttl: ttl, store: store, log: log.With("lease", name)}
}

// held reports whether the lease is held at now: renewed within the last ttl/2.
func (l *lease) held(now time.Time) bool {
	return !l.renewed.IsZero() && now.Before(l.deadline())
}

// deadline is when what runs under the lease must have stopped unless it is renewed.
func (l *lease) deadline() time.Time { return l.renewed.Add(l.ttl / 2) }

// try acquires or renews the lease once, within the lease's deadline when it is held. A
// failure to ask leaves the lease as it was: held until its deadline, or not held.
func (l *lease) try(ctx context.Context) error {
	sent := time.Now()
	// an answer that does not come is no answer: a held lease is asked for no later than its
	// deadline, another for at most ttl/2
	deadline := sent.Add(l.ttl / 2)
	if !l.renewed.IsZero() {
		deadline = l.deadline()
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ok, epoch, err := l.store.AcquireLease(ctx, l.name, l.holder, l.ttl)
	switch {
	case err != nil:
		return fmt.Errorf("lease %s: %w", l.name, err)
	case !ok:
		if !l.renewed.IsZero() {
			l.log.Warn("lease taken by another daemon")
		}
		l.renewed = time.Time{}
	default:
		if l.renewed.IsZero() {
			l.log.Info("lease taken", "epoch", epoch, "ttl", l.ttl)
		}
		l.renewed, l.epoch = sent, epoch
	}
	return nil
}

// release gives the lease up, if held, so that another daemon takes it at once.
func (l *lease) release(ctx context.Context) {
	if l.renewed.IsZero() {
		return
	}
	l.renewed = time.Time{}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ttl/2)
	defer cancel()
	if err := l.store.ReleaseLease(rctx, l.name, l.holder); err != nil {
		l.log.Warn("releasing lease", "err", err)
		return
	}
	l.log.Info("lease released")
}

// hold runs run while the lease is held, renewing it: run's context ends when ctx ends or the
// lease is lost (not renewed by its deadline, or taken). hold returns once run returned: its
// error, or errEndedEarly when run returned nil while the lease was held and ctx had not ended.
func (l *lease) hold(ctx context.Context, run func(ctx context.Context) error) error {
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- run(rctx) }()
	renew := time.NewTimer(l.ttl / 3)
	defer renew.Stop()
	lost := time.NewTimer(time.Until(l.deadline()))
	defer lost.Stop()
	for {
		select {
		case err := <-done:
			if err == nil && ctx.Err() == nil {
				return fmt.Errorf("lease %s: %w", l.name, errEndedEarly)
			}
			return err
		case <-ctx.Done():
			stop()
			return <-done
		case <-lost.C:
			l.log.Warn("lease not renewed in time: stopping what runs under it", "renewed", l.renewed.Format(time.RFC3339Nano))
			l.renewed = time.Time{}
			stop()
			return <-done
		case <-renew.C:
			err := l.try(ctx)
			if err != nil && ctx.Err() == nil {
				l.log.Warn("renewing lease", "err", err)
			}
			if !l.held(time.Now()) {
				if ctx.Err() == nil {
					l.renewed = time.Time{}
				}
				stop()
				return <-done
			}
			lost.Reset(time.Until(l.deadline()))
			next := l.ttl / 3
			if err != nil {
				next = l.ttl / 10 // the deadline nears: ask again sooner
			}
			renew.Reset(next)
		}
	}
}

// keep runs what take readies each time this daemon holds the lease, until ctx ends: it asks
// for the lease every ttl/3 while another daemon holds it; once it holds it, take reads what
// the work starts from and returns the work, which runs until the lease is lost or ctx ends.
// ready, when not nil, is work readied under a lease already held (see floor.prime). On the
// way out the lease is released. A take that fails gives the lease up for a while (another
// daemon may take the work); an error of the work stops keep with it.
func (l *lease) keep(ctx context.Context, ready func(ctx context.Context) error,
	take func(ctx context.Context) (func(ctx context.Context) error, error)) error {
	defer l.release(ctx)
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		if ready == nil && !l.held(time.Now()) {
			if err := l.try(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("asking for lease", "err", err)
			}
			if l.held(time.Now()) {
				var err error
				if ready, err = take(ctx); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					// the book could not be read (the database away): another daemon, or this
					// one later, takes the work over
					l.log.Warn("taking the lease's work over", "err", err)
					l.release(ctx)
				}
			}
		}
		if ready != nil {
			run := ready
			ready = nil
			if err := l.hold(ctx, run); err != nil {
				return err
			}
		}
		wait.Reset(l.ttl / 3)
		select {
		case <-ctx.Done():
			return nil
		case <-wait.C:
		}
	}
}
