package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// grow readies the cells cs, new in f (a reload's version of the factory), to run on the floor:
// their simulated machines when f is simulated, their drivers and controllers, a lease each.
// Nothing runs and nothing is seen of them before commit, which adds them to the floor (and
// starts them when it runs); abort closes what was opened instead. Exactly one of the two must
// be called.
func (fl *floor) grow(f *configs.Factory, cs []configs.Cell) (commit, abort func(), err error) {
	b := &floorBuilder{f: f, cfg: fl.cfg,
		address: func(d configs.Device) string { return d.Address },
		port:    func(l configs.SerialLine) string { return l.Port },
	}
	var sim *plant.Plant
	if f.Simulate {
		// The new cells' machines are on a plant of their own: TCP devices only, since a cell
		// on a serial line needs a restart (see checkNewCells).
		only := *f
		only.Cells, only.SerialLines = cs, nil
		spec, err := plantSpec(&only, true, "")
		if err != nil {
			return nil, nil, err
		}
		if sim, err = plant.New(spec, plant.Config{Logger: fl.cfg.Logger.With("component", "simulator"), Speed: fl.cfg.SimSpeed}); err != nil {
			return nil, nil, fmt.Errorf("starting the simulated machines of the new cells: %w", err)
		}
		b.address = func(d configs.Device) string { return sim.Addr(d.ID) }
	}
	type made struct {
		g  *cellGroup
		cr *crew
	}
	var groups []made
	abort = func() {
		for _, m := range groups {
			m.cr.close()
		}
		if sim != nil {
			sim.Close()
		}
	}
	names, sets := leaseGroups(&configs.Factory{Cells: cs})
	for i, set := range sets {
		cr, err := b.newCrew(set)
		if err != nil {
			abort()
			return nil, nil, err
		}
		g := &cellGroup{cells: set, lease: newLease(fl.cfg.Leases, names[i], fl.cfg.Holder, fl.cfg.LeaseTTL, fl.cfg.Logger)}
		for _, c := range set {
			g.ids = append(g.ids, c.ID)
		}
		groups = append(groups, made{g, cr})
	}
	commit = func() {
		fl.buildMu.Lock()
		for _, m := range groups {
			fl.spare[m.g] = m.cr
		}
		if sim != nil {
			fl.closers = append(fl.closers, sim.Close)
		}
		fl.buildMu.Unlock()

		fl.mu.Lock()
		defer fl.mu.Unlock()
		fl.groups = slices.Clip(fl.groups)
		for _, m := range groups {
			for _, id := range m.g.ids {
				fl.byCell[id] = m.g
			}
			fl.groups = append(fl.groups, m.g)
		}
		if sim != nil {
			fl.plants = append(fl.plants, sim)
		}
		if fl.running == nil {
			return // Run starts them with the others
		}
		ctx := fl.running
		if sim != nil {
			fl.runGrown(ctx, "simulated machines of new cells", sim.Run)
		}
		for _, m := range groups {
			g := m.g
			fl.runGrown(ctx, fmt.Sprintf("cells %v", g.ids), func(ctx context.Context) error { return fl.keep(ctx, g, nil) })
		}
	}
	return commit, abort, nil
}

// runGrown runs what a reload added to the running floor until ctx ends; Run waits for it. A
// failure is logged: the cells the daemon ran before go on.
func (fl *floor) runGrown(ctx context.Context, what string, run func(context.Context) error) {
	fl.grown.Add(1)
	go func() {
		defer fl.grown.Done()
		if err := run(ctx); err != nil && ctx.Err() == nil {
			fl.log.Error("running "+what+" added by a reload", "err", err)
		}
	}()
}
