package web

import (
	"context"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/health"
)

// What the floor's pages say of a cell beyond its queue: why it is out of service and what to
// do about it, how its printers are, and the tiles of the cell picker.

// printerView is a printer of a cell as the floor sees it.
type printerView struct {
	Device string `json:"device"`
	// Kind is what the printer prints: "label" or "ticket".
	Kind string `json:"kind"`
	// Status is ready, attention (the printer reports a fault of its own: paper out, head
	// open), offline (no answer) or unknown (not asked yet).
	Status string `json:"status"`
	// Problem is the printer's own words for a fault, "" otherwise.
	Problem string `json:"problem,omitempty"`
}

// devices returns the health of every device by id; none when the daemon drives no floor.
func (p *Pages) devices() map[string]health.Snapshot {
	if p.cfg.Floor == nil {
		return nil
	}
	out := make(map[string]health.Snapshot)
	for _, s := range p.cfg.Floor.Devices() {
		out[s.Device] = s
	}
	return out
}

// printersOf returns the printers a cell holds, with their health.
func printersOf(cl configs.Cell, devices map[string]health.Snapshot) []printerView {
	var out []printerView
	for _, d := range cl.Devices {
		var kind string
		switch d.Kind {
		case configs.KindLabelPrinter:
			kind = "label"
		case configs.KindMicroPrinter:
			kind = "ticket"
		default:
			continue
		}
		v := printerView{Device: d.ID, Kind: kind, Status: "unknown"}
		if s, ok := devices[d.ID]; ok && s.Requests > 0 {
			switch {
			case s.Connected:
				v.Status = "ready"
			case s.LastErrorKind == health.KindDevice:
				v.Status, v.Problem = "attention", s.LastError
			default:
				v.Status = "offline"
			}
		}
		out = append(out, v)
	}
	return out
}

// outageView is what the floor's pages say of a cell out of service: why, who reported it and
// when, and what to do next.
type outageView struct {
	// Kind is reported (a person reported a fault), machine (the machine is in fault),
	// offline (the machine does not answer) or other.
	Kind string
	// Reason is why the cell is out of service, in the words of whoever took it down.
	Reason string
	Since  time.Time
	// Reporter is the name of the person who reported the fault, Label the reason's label;
	// At is when it was reported.
	Reporter, Label string
	At              time.Time
	// Clearable says that a reset clears it: a reported fault, or a machine in fault that
	// answers.
	Clearable bool
}

// outages returns, by cell, what holds the cells that are out of service (or hold a reported
// fault the controller has not acted on yet).
func (p *Pages) outages(ctx context.Context) (map[string]outageView, error) {
	fac := p.factory()
	stored, err := p.book.Outages(ctx)
	if err != nil {
		return nil, err
	}
	down := p.book.DownCells()
	out := make(map[string]outageView)
	for _, c := range fac.Cells {
		o, ok := stored[c.ID]
		reason := down[c.ID]
		if !ok && reason == "" {
			continue
		}
		if reason == "" {
			reason = o.Reason
		}
		v := outageView{Kind: "other", Reason: reason, Since: o.Since}
		m := p.machineOf(c.ID)
		switch {
		case o.Report != nil:
			r := o.Report
			v.Kind, v.Reporter, v.At, v.Clearable = "reported", p.actorName(r.By), r.At, true
			v.Label = r.Reason
			if reason, ok := fac.Reasons.Find(fac.Reasons.Fault, r.Code); ok {
				v.Label = reason.Label
			}
			if v.Since.IsZero() {
				v.Since = r.At
			}
		case !m.Manual && m.Online && m.State == configs.StateFault:
			v.Kind, v.Clearable = "machine", true
		case !m.Manual && !m.Online:
			v.Kind = "offline"
		}
		out[c.ID] = v
	}
	return out, nil
}

// actorName names who did something as the floor knows them: a person by their name, an API
// client by its token's name, a cell's controller as the cell.
func (p *Pages) actorName(actor string) string {
	fac := p.factory()
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "person":
		for _, pr := range fac.People {
			if pr.ID == id {
				return pr.Name
			}
		}
	case "token":
		return id + " (API client)"
	case "cell":
		if cl, ok := fac.Cell(id); ok {
			return cl.Name
		}
	}
	if id == "" {
		// An actor stored without a kind: a person's id.
		for _, pr := range fac.People {
			if pr.ID == kind {
				return pr.Name
			}
		}
	}
	return actor
}

// cellTile is a cell on the cell picker.
type cellTile struct {
	ID, Name, Capabilities string
	// State is running, paused, idle or down.
	State  string
	Outage *outageView
	// Job is the job on the cell (running, paused, or next to start), nil when none.
	Job     *job
	Queued  int
	Machine machineView
}

// tiles returns a tile for every cell of the factory.
func (p *Pages) tiles(ctx context.Context) ([]cellTile, error) {
	fac := p.factory()
	outages, err := p.outages(ctx)
	if err != nil {
		return nil, err
	}
	tiles := make([]cellTile, 0, len(fac.Cells))
	for _, cl := range fac.Cells {
		t := cellTile{ID: cl.ID, Name: cl.Name, Capabilities: strings.Join(cl.Capabilities, ", "), State: "idle",
			Machine: p.machineOf(cl.ID)}
		q, size, err := p.book.QueuePage(ctx, cl.ID, 1)
		if err != nil {
			return nil, err
		}
		t.Queued = size.Queued
		if len(q) > 0 {
			j, err := p.job(ctx, q[0], false)
			if err != nil {
				return nil, err
			}
			t.Job = &j
			switch j.State {
			case book.Running:
				t.State = "running"
			case book.Paused:
				t.State = "paused"
			}
		}
		if o, ok := outages[cl.ID]; ok {
			t.State, t.Outage = "down", &o
		}
		tiles = append(tiles, t)
	}
	return tiles, nil
}
