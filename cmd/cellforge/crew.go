package main

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/modbus"
)

// crew drives the cells of one lease: the Modbus lines of their machines, a driver per device,
// a controller per cell, their printers' status probes, and the ticket printer when one of the
// cells holds it. A crew runs once: a daemon that takes the lease again after losing it makes
// a new crew, whose controllers start as after a restart (they read the book and the machine
// before they send anything).
type crew struct {
	log      *slog.Logger
	lines    []*modbus.Line
	machines []*modbus.Device
	sampled  []machineRef
	setup    map[string][]string // cell -> its machine's setup phases
	cells    map[string]*cells.Cell
	order    []*cells.Cell
	tickets  *cells.Tickets
	printers []statusProber
	closers  []func() error
	slips    *cells.Cell // the controller of the cell holding the parcel slip printer, nil when none
}

func newCrew(log *slog.Logger) *crew {
	return &crew{log: log, cells: map[string]*cells.Cell{}, setup: map[string][]string{}}
}

// prime reads what the book holds of each cell (out of service, a reported fault) and where
// the work tickets go on, so that the controllers start where the last ones stopped and no
// ticket owed is skipped or printed twice.
func (cr *crew) prime(ctx context.Context) error {
	for _, c := range cr.order {
		if err := c.Restore(ctx); err != nil {
			return err
		}
	}
	if cr.tickets != nil {
		return cr.tickets.Prime(ctx)
	}
	return nil
}

// run drives the crew's cells until ctx ends, then closes the crew's connections.
func (cr *crew) run(ctx context.Context) error {
	defer cr.close()
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range cr.lines {
		g.Go(func() error { return l.Run(ctx) })
	}
	for _, m := range cr.machines {
		g.Go(func() error { return m.Run(ctx) })
	}
	for _, c := range cr.order {
		g.Go(func() error { return c.Run(ctx) })
	}
	if cr.tickets != nil {
		g.Go(func() error { return cr.tickets.Run(ctx) })
	}
	for _, p := range cr.printers {
		g.Go(func() error { return probe(ctx, p, printerProbeEvery) })
	}
	return g.Wait()
}

// close closes the connections of the crew's printers (its lines close as their Run returns).
func (cr *crew) close() {
	for _, c := range cr.closers {
		if err := c(); err != nil {
			cr.log.Warn("closing", "err", err)
		}
	}
	cr.closers = nil
}

// cellGroup is the cells one lease covers: cells whose devices share a serial line cannot be
// driven from two places, so they are one lease. crew is what drives them while this daemon
// holds the lease, nil while another daemon does.
type cellGroup struct {
	cells []configs.Cell
	ids   []string
	lease *lease

	mu   sync.Mutex
	crew *crew
}

// driving returns the crew driving the group's cells, nil when this daemon does not.
func (g *cellGroup) driving() *crew {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.crew
}

// setCrew makes cr the group's crew (nil: none).
func (g *cellGroup) setCrew(cr *crew) {
	g.mu.Lock()
	g.crew = cr
	g.mu.Unlock()
}

// leaseGroups partitions the factory's cells into the groups of cells that must be driven
// from one place (cells whose devices share a serial line), in the order of the factory's
// cells, and names each group's lease after its cells.
func leaseGroups(f *configs.Factory) (names []string, groups [][]configs.Cell) {
	root := map[string]string{}
	var find func(string) string
	find = func(id string) string {
		if r, ok := root[id]; ok && r != id {
			root[id] = find(r)
			return root[id]
		}
		return id
	}
	onLine := map[string]string{} // serial line -> a cell on it
	for _, c := range f.Cells {
		root[c.ID] = c.ID
		for _, d := range c.Devices {
			if d.SerialLine == "" {
				continue
			}
			if other, ok := onLine[d.SerialLine]; ok {
				root[find(c.ID)] = find(other)
			} else {
				onLine[d.SerialLine] = c.ID
			}
		}
	}
	index := map[string]int{}
	for _, c := range f.Cells {
		r := find(c.ID)
		i, ok := index[r]
		if !ok {
			i = len(groups)
			index[r] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	for _, g := range groups {
		ids := make([]string, len(g))
		for i, c := range g {
			ids[i] = c.ID
		}
		sort.Strings(ids)
		names = append(names, "cells:"+strings.Join(slices.Compact(ids), "+"))
	}
	return names, groups
}
