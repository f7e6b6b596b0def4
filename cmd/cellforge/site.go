package main

import (
	"context"
	"sync"
	"time"
)

// siteLease is the name of the lease under which one daemon of those sharing a database runs
// what must run once for the whole site: the telemetry of the book's events and the
// housekeeping of the book.
const siteLease = "site"

// site is the site lease and the duties that run under it. The floor keeps the lease (its Run);
// each duty runs from its own part of the daemon (site.duty) each time the lease is held.
type site struct {
	lease *lease

	mu sync.Mutex
	// held is the context of the current hold, nil while another daemon holds the lease;
	// changed is closed, and replaced, when it changes.
	held    context.Context
	changed chan struct{}
	// ready is the hold prime took, which run keeps first.
	ready func(ctx context.Context) error
}

func newSite(l *lease) *site { return &site{lease: l, changed: make(chan struct{})} }

// prime asks for the site lease once, so that a daemon that gets it runs the site's duties
// from its start.
func (s *site) prime(ctx context.Context) error {
	if err := s.lease.try(ctx); err != nil {
		return err
	}
	if s.lease.held(time.Now()) {
		s.ready, _ = s.take(ctx)
	}
	return nil
}

// take is the hold of the site lease: it tells the duties waiting for it until it ends.
func (s *site) take(context.Context) (func(ctx context.Context) error, error) {
	return func(ctx context.Context) error {
		s.set(ctx)
		defer s.set(nil)
		<-ctx.Done()
		return nil
	}, nil
}

func (s *site) set(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = ctx
	close(s.changed)
	s.changed = make(chan struct{})
}

// run keeps the site lease until ctx ends.
func (s *site) run(ctx context.Context) error {
	ready := s.ready
	s.ready = nil
	return s.lease.keep(ctx, ready, s.take)
}

// next waits until the site lease is held and returns the context of that hold; nil when ctx
// ends first.
func (s *site) next(ctx context.Context) context.Context {
	for {
		s.mu.Lock()
		held, changed := s.held, s.changed
		s.mu.Unlock()
		if held != nil && held.Err() == nil {
			return held
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// duty returns a part's run that runs work each time this daemon holds the site lease, after
// start (nil: none) readied it, until ctx ends; work's context ends when the lease is lost.
// A start that fails is logged and tried again after a while; an error of work stops the
// daemon, as any part's.
func (s *site) duty(name string, start, work func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		for {
			held := s.next(ctx)
			if held == nil {
				return nil
			}
			wctx, cancel := context.WithCancel(ctx)
			stop := context.AfterFunc(held, cancel)
			err := s.once(wctx, name, start, work)
			stop()
			cancel()
			if err != nil || ctx.Err() != nil {
				return err
			}
			select {
			case <-held.Done():
			case <-ctx.Done():
				return nil
			case <-time.After(s.lease.ttl / 3):
				// a start that failed is tried again while the lease is held
			}
		}
	}
}

// once runs start, then work, under one hold (ctx); a start that fails is logged and leaves
// work out.
func (s *site) once(ctx context.Context, name string, start, work func(ctx context.Context) error) error {
	if start != nil {
		if err := start(ctx); err != nil {
			if ctx.Err() == nil {
				s.lease.log.Warn("readying a site duty", "duty", name, "err", err)
			}
			return nil
		}
	}
	return work(ctx)
}
