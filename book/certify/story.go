package certify

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

// revisionOf tells the story s as a certificate's revision, before the chain numbers and signs
// it: only what may be published.
func (i *Issuer) revisionOf(s book.Story) provenance.Revision {
	fac := i.currentFactory()
	wo := s.WorkOrder
	r := provenance.Revision{
		Serial:  s.Unit.Serial,
		Studio:  provenance.Studio{ID: fac.Site, Name: fac.Name},
		Product: provenance.Product{SKU: wo.SKU, Name: wo.SKU},
		Drop:    wo.Drop,
	}
	product, _ := fac.Product(wo.SKU)
	if product.Name != "" {
		r.Product.Name = product.Name
	}
	var first, last time.Time
	for _, st := range s.Steps {
		op := st.Operation
		step := provenance.Step{Name: cmp.Or(op.Name, op.Capability), Capability: op.Capability, Cell: op.Cell, Machine: i.machine(op.Cell), Makers: makers(st.Acts)}
		if c, ok := fac.Cell(op.Cell); ok && c.Name != "" {
			step.Cell = c.Name // as the studio names it
		}
		for _, rs := range st.Readings {
			if rs.Samples > 0 {
				step.Readings = append(step.Readings, provenance.Reading{Quantity: rs.Quantity, Unit: rs.Unit,
					Min: rs.Min, Max: rs.Max, Held: rs.Held, HeldSeconds: rs.HoldTime.Seconds()})
			}
		}
		if op.StartedAt != nil {
			step.Start = op.StartedAt.UTC()
		}
		if op.EndedAt != nil {
			step.End = op.EndedAt.UTC()
		}
		if step.Start.IsZero() || step.End.Before(step.Start) {
			step.Start = step.End
		}
		for _, l := range st.Lots {
			switch l.Role {
			case book.LotMade:
				// a made lot is named by the step that made it: "Dye weft yarn"
				r.Lots.Made = appendLot(r.Lots.Made, provenance.Lot{Material: cmp.Or(op.Name, op.Capability), ID: l.Lot})
			case book.LotConsumed:
				r.Lots.Consumed = appendLot(r.Lots.Consumed, provenance.Lot{Material: l.Material, ID: l.Lot})
			}
		}
		for _, c := range st.Checks {
			for _, o := range c.Outcomes {
				step.Checks = append(step.Checks, provenance.Check{Name: o.Name, Value: o.Value, Unit: o.Unit, Pass: o.Pass})
			}
		}
		if op.Step < len(product.Routing) {
			step.Params = product.Routing[op.Step].Params
		}
		if first.IsZero() || step.Start.Before(first) {
			first = step.Start
		}
		if step.End.After(last) {
			last = step.End
		}
		r.Steps = append(r.Steps, step)
	}
	if first.IsZero() {
		first = wo.IntakeAt
	}
	if last.Before(first) {
		last = first
	}
	r.Notes = i.publicNotes(s.Notes)
	r.Photos = publicPhotos(s.Photos)
	r.Made = provenance.Made{First: first.In(i.loc).Format(time.DateOnly), Last: last.In(i.loc).Format(time.DateOnly)}
	for _, sr := range s.Repairs {
		r.Repairs = append(r.Repairs, i.repairOf(sr))
	}
	return r
}

// repairOf tells a repair of the unit as its certificate does: the day its work was done, its
// services by the names the studio gives them (by id when the config no longer has one), the
// public names of those who worked its steps and opted in, its public notes and photos; not its
// id, its customer or what the customer sent with it.
func (i *Issuer) repairOf(sr book.StoryRepair) provenance.Repair {
	fac := i.currentFactory()
	e := provenance.Repair{Kind: provenance.RepairKind, Date: sr.Done.In(i.loc).Format(time.DateOnly)}
	for _, id := range sr.Services {
		name := id
		if svc, ok := fac.Aftercare.Service(id); ok && svc.Name != "" {
			name = svc.Name
		}
		e.Services = append(e.Services, name)
	}
	for _, st := range sr.Steps {
		for _, m := range makers(st.Acts) {
			if !slices.Contains(e.Makers, m) {
				e.Makers = append(e.Makers, m)
			}
		}
	}
	e.Text = strings.Join(e.Services, ", ")
	e.Notes = i.publicNotes(sr.Notes)
	e.Photos = publicPhotos(sr.Photos)
	return e
}

// publicNotes returns the notes that are not private, with their author's public name.
func (i *Issuer) publicNotes(notes []book.Note) []provenance.Note {
	var out []provenance.Note
	for _, n := range notes {
		if !n.Private {
			out = append(out, provenance.Note{Text: n.Text, Author: i.publicName(n.Author), At: n.At.UTC()})
		}
	}
	return out
}

// publicPhotos returns the photos that are not private, each once.
func publicPhotos(photos []book.Photo) []provenance.Photo {
	var out []provenance.Photo
	for _, p := range photos {
		if !p.Private && !slices.ContainsFunc(out, func(q provenance.Photo) bool { return q.SHA256 == p.Hash }) {
			out = append(out, provenance.Photo{SHA256: p.Hash, MediaType: p.MediaType})
		}
	}
	return out
}

// machine names the machine of a cell: its Modbus machine's id, empty for a manual cell.
func (i *Issuer) machine(cell string) string {
	fac := i.currentFactory()
	c, ok := fac.Cell(cell)
	if !ok {
		return ""
	}
	for _, d := range c.Devices {
		if k, ok := configs.LookupKind(d.Kind); ok && k.Modbus {
			return d.ID
		}
	}
	return ""
}

// appendLot appends l to lots unless they hold it already.
func appendLot(lots []provenance.Lot, l provenance.Lot) []provenance.Lot {
	if slices.Contains(lots, l) {
		return lots
	}
	return append(lots, l)
}

// makers returns the public names of the people who acted on a step and opted in to be named,
// in the order of their first act.
func makers(acts []book.Act) []string {
	var out []string
	for _, a := range acts {
		if a.Kind == book.ActorPerson && a.PublicName != "" && !slices.Contains(out, a.PublicName) {
			out = append(out, a.PublicName)
		}
	}
	return out
}

// publicName returns the public name of the person who is actor, "" for one who did not opt in
// to be named or is no person.
func (i *Issuer) publicName(actor book.Actor) string {
	fac := i.currentFactory()
	id, ok := strings.CutPrefix(string(actor), "person:")
	if !ok {
		return ""
	}
	for _, p := range fac.People {
		if p.ID == id {
			return p.PublicName
		}
	}
	return ""
}
