package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

// reloader reads the factory file again and applies it while the daemon runs: on SIGHUP, from
// the admin's page and through the API. A reload applies whole or not at all: the new file is
// parsed and validated, compared with the running one (configs.Compare: what may change live),
// and everything that can fail (hashing the new credentials, readying the new cells' machines)
// is done before anything is swapped; then the book's factory, the API's people and tokens and
// the floor's new cells are swapped in, in that order, and the plan is made again.
type reloader struct {
	// mu makes reloads one at a time: a double tap on the admin's button reloads twice, the
	// second time finding nothing changed.
	mu     sync.Mutex
	flags  serveFlags
	listen string // the address the daemon listens on (see ownProvenanceURL)
	book   *book.Book
	floor  *floor
	// hup receives the SIGHUPs (serveWith asks for them before anything else, so that one
	// sent while the daemon starts is not fatal).
	hup chan os.Signal
	log *slog.Logger
	// srv and plan are set once the front end is made, before the daemon serves; plan is nil
	// when the daemon does not plan.
	srv  *api.Server
	plan *planner.Planner
}

var _ api.Reloader = (*reloader)(nil)

// Reload reads the factory file again and applies it, for by (who asked: a principal's id, or
// "SIGHUP"). It returns what changed; configs.Errors for a file that does not parse or
// validate, configs.RestartErrors for a change that needs a restart, and then nothing applied.
func (r *reloader) Reload(ctx context.Context, by string) ([]configs.Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := loadConfig(r.flags.configPath)
	if err != nil {
		return nil, err
	}
	if err := refuseDemoCredentials(ctx, next, r.flags); err != nil {
		return nil, err
	}
	old := r.book.Factory()
	// As at the start: labels lead to this daemon when the file names no other address.
	if next.Printing.ProvenanceURL == "" {
		next.Printing.ProvenanceURL = ownProvenanceURL(next.Hosts, r.listen)
	}
	changes, err := configs.Compare(old, next)
	if err != nil {
		return nil, err
	}
	added, err := newCells(old, next)
	if err != nil {
		return nil, err
	}
	if err := r.checkOpenWork(ctx, old, next); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		r.log.Info("factory file read again: nothing changed", "config", r.flags.configPath, "by", by)
		return nil, nil
	}
	applyAuth, err := r.srv.PrepareFactory(next)
	if err != nil {
		return nil, err
	}
	commit, abort := func() {}, func() {}
	if len(added) > 0 {
		if commit, abort, err = r.floor.grow(next, added); err != nil {
			return nil, fmt.Errorf("readying the new cells: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		abort()
		return nil, err
	}
	r.book.SetFactory(next)
	applyAuth()
	commit()
	r.log.Info("factory file applied", "config", r.flags.configPath, "by", by, "changes", changeSummary(changes))
	r.replan(ctx)
	return changes, nil
}

// replan makes the plan again at once, so that a drop moved, a cell added or hours changed
// show in it; the planner would see them at its next refresh otherwise.
func (r *reloader) replan(ctx context.Context) {
	if r.plan == nil {
		return
	}
	if err := r.plan.Replan(ctx, true); err != nil && ctx.Err() == nil {
		r.log.Warn("planning after a reload", "err", err)
	}
}

// checkOpenWork refuses a product removed, or whose routing has other steps, while work orders
// of it are open (their operations are the old routing's steps), and a drop removed while work
// orders of it are open.
func (r *reloader) checkOpenWork(ctx context.Context, old, next *configs.Factory) error {
	gone := map[string]string{} // sku or "drop "+id -> what changed
	for _, p := range old.Products {
		n, ok := next.Product(p.SKU)
		switch {
		case !ok:
			gone[p.SKU] = fmt.Sprintf("product %q removed", p.SKU)
		case !sameSteps(p.Routing, n.Routing):
			gone[p.SKU] = fmt.Sprintf("product %q: routing: other steps", p.SKU)
		}
	}
	for _, d := range old.Drops {
		if _, ok := next.Drop(d.ID); !ok {
			gone["drop "+d.ID] = fmt.Sprintf("drop %q removed", d.ID)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	work, _, err := r.book.OpenWork(ctx)
	if err != nil {
		return fmt.Errorf("reading the open work: %w", err)
	}
	open := map[string]int{}
	for _, w := range work {
		open[w.SKU]++
		open["drop "+w.Drop]++
	}
	var problems []string
	for key, what := range gone {
		if n := open[key]; n > 0 {
			problems = append(problems, fmt.Sprintf("%s: %s while %d open work orders are of it: finish or withdraw them first", next.File, what, n))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// sameSteps reports whether two routings have the same steps: the same capabilities in order.
func sameSteps(a, b []configs.Step) bool {
	return slices.EqualFunc(a, b, func(x, y configs.Step) bool { return x.Capability == y.Capability })
}

// newCells returns the cells next adds to old. A new cell with a device on a serial line needs a
// restart: the line is driven from one place, with the cells already on it.
func newCells(old, next *configs.Factory) ([]configs.Cell, error) {
	var out []configs.Cell
	var restart configs.RestartErrors
	for _, c := range next.Cells {
		if _, ok := old.Cell(c.ID); ok {
			continue
		}
		for _, d := range c.Devices {
			if d.SerialLine != "" {
				restart = append(restart, configs.RestartError{File: next.File, Line: d.Line,
					Field: fmt.Sprintf("cell %q: device %q: a new device on serial line %q", c.ID, d.ID, d.SerialLine)})
			}
		}
		out = append(out, c)
	}
	if len(restart) > 0 {
		return nil, restart
	}
	return out, nil
}

// changeSummary is the log's short diff: each change, by section and id.
func changeSummary(changes []configs.Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

// onHangup reloads the factory file at every SIGHUP until ctx ends; a refused file is logged
// with its problems and the daemon goes on with the config it runs.
func (r *reloader) onHangup(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.hup:
			if _, err := r.Reload(ctx, "SIGHUP"); err != nil && ctx.Err() == nil {
				_, _, msg, problems := api.ReloadError(err)
				r.log.Error("factory file refused on SIGHUP: "+msg, "config", r.flags.configPath,
					"problems", strings.Join(problems, "\n"))
			}
		}
	}
}
