package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// controller returns the controller of cell id: book.ErrUnknownCell for a cell the factory
// lacks, cells.ErrElsewhere while this daemon does not drive it.
func (fl *floor) controller(id string) (*cells.Cell, error) {
	g, ok := fl.group(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", book.ErrUnknownCell, id)
	}
	cr := g.driving()
	if cr == nil {
		return nil, fmt.Errorf("cell %s: %w", id, cells.ErrElsewhere)
	}
	return cr.cells[id], nil
}

// Driven returns the cells this daemon drives now, in the factory's order.
func (fl *floor) Driven() []string {
	var out []string
	for _, g := range fl.allGroups() {
		if g.driving() != nil {
			out = append(out, g.ids...)
		}
	}
	return out
}

// sampled returns the machines this daemon drives now.
func (fl *floor) sampled() []machineRef {
	var out []machineRef
	for _, g := range fl.allGroups() {
		if cr := g.driving(); cr != nil {
			out = append(out, cr.sampled...)
		}
	}
	return out
}

// prime asks once for every lease of the floor and readies what this daemon holds: the
// controllers of its cells read what the book holds of them (out of service, a reported fault)
// and the ticket printer where it goes on. serve calls it before the API takes work and
// reports, so that with a store one daemon owns (SQLite) every cell is driven, and starts where
// it stopped, before the first request; the cells another daemon holds are asked for again
// while the floor runs.
func (fl *floor) prime(ctx context.Context) error {
	for _, g := range fl.allGroups() {
		if err := g.lease.try(ctx); err != nil {
			return err
		}
		if !g.lease.held(time.Now()) {
			continue
		}
		run, err := fl.take(ctx, g)
		if err != nil {
			return err
		}
		fl.ready[g] = run
	}
	return fl.site.prime(ctx)
}

// take readies group g, whose lease this daemon has just taken: a crew (the one newFloor made,
// or a new one: a crew runs once) whose controllers read the book, as after a restart, before
// they send anything. It returns the crew's run, which drives the cells until its context
// ends and then lets the cells go.
func (fl *floor) take(ctx context.Context, g *cellGroup) (func(context.Context) error, error) {
	cr, err := fl.crewFor(g)
	if err != nil {
		return nil, fmt.Errorf("taking over cells %v: %w", g.ids, err)
	}
	// What the other daemon wrote last (a cell taken down) is read before the controllers are.
	if err := fl.refresh(ctx); err != nil {
		cr.close()
		return nil, fmt.Errorf("taking over cells %v: %w", g.ids, err)
	}
	if err := cr.prime(ctx); err != nil {
		cr.close()
		return nil, fmt.Errorf("taking over cells %v: %w", g.ids, err)
	}
	g.setCrew(cr)
	fl.log.Info("driving cells", "cells", g.ids, "lease", g.lease.name, "epoch", g.lease.epoch)
	return func(ctx context.Context) error {
		defer func() {
			g.setCrew(nil)
			fl.log.Info("cells let go", "cells", g.ids, "lease", g.lease.name)
		}()
		return cr.run(ctx)
	}, nil
}

// crewFor returns the crew newFloor made for g when it has not run yet, else a new one.
func (fl *floor) crewFor(g *cellGroup) (*crew, error) {
	fl.buildMu.Lock()
	defer fl.buildMu.Unlock()
	if cr, ok := fl.spare[g]; ok {
		delete(fl.spare, g)
		return cr, nil
	}
	return fl.build(g.cells)
}

// Run runs the floor until ctx is cancelled: the simulated plant, and for every group of cells
// the keeping of its lease, which drives the cells while this daemon holds it; and the site
// lease.
func (fl *floor) Run(ctx context.Context) error {
	defer fl.close()
	g, ctx := errgroup.WithContext(ctx)
	fl.mu.Lock()
	for _, p := range append([]*plant.Plant{fl.plant}, fl.plants...) {
		if p != nil {
			g.Go(func() error { return p.Run(ctx) })
		}
	}
	for _, cg := range fl.groups {
		ready := fl.ready[cg]
		delete(fl.ready, cg)
		g.Go(func() error { return fl.keep(ctx, cg, ready) })
	}
	// What a reload adds from now on runs beside (see grow).
	fl.running = ctx
	fl.mu.Unlock()
	g.Go(func() error { return fl.site.run(ctx) })
	err := g.Wait()
	fl.mu.Lock()
	fl.running = nil
	fl.mu.Unlock()
	fl.grown.Wait()
	return err
}

// keep keeps the lease of group cg, driving its cells while this daemon holds it; ready is
// the run prime readied, nil when it took none.
func (fl *floor) keep(ctx context.Context, cg *cellGroup, ready func(context.Context) error) error {
	return cg.lease.keep(ctx, ready, func(ctx context.Context) (func(context.Context) error, error) {
		return fl.take(ctx, cg)
	})
}

// group returns the group of cell id.
func (fl *floor) group(id string) (*cellGroup, bool) {
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	g, ok := fl.byCell[id]
	return g, ok
}

// allGroups returns the floor's groups of cells, those a reload added included.
func (fl *floor) allGroups() []*cellGroup {
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	return fl.groups
}

// close closes the plant and the crews made and never run.
func (fl *floor) close() {
	fl.buildMu.Lock()
	defer fl.buildMu.Unlock()
	for _, cr := range fl.spare {
		cr.close()
	}
	for _, c := range fl.closers {
		if err := c(); err != nil {
			fl.log.Warn("closing", "err", err)
		}
	}
	fl.closers = nil
}
