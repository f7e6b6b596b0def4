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
	wo := s.WorkOrder
	r := provenance.Revision{
		Serial:  s.Unit.Serial,
		Studio:  provenance.Studio{ID: i.factory.Site, Name: i.factory.Name},
		Product: provenance.Product{SKU: wo.SKU, Name: wo.SKU},
		Drop:    wo.Drop,
	}
	product, _ := i.factory.Product(wo.SKU)
	if product.Name != "" {
		r.Product.Name = product.Name
	}
	var first, last time.Time
	for _, st := range s.Steps {
		op := st.Operation
		step := provenance.Step{Name: cmp.Or(op.Name, op.Capability), Capability: op.Capability, Cell: op.Cell, Machine: i.machine(op.Cell), Makers: makers(st.Acts)}
		if c, ok := i.factory.Cell(op.Cell); ok && c.Name != "" {
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
		if op.Seq < len(product.Routing) {
			step.Params = product.Routing[op.Seq].Params
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
	for _, n := range s.Notes {
		if !n.Private {
			r.Notes = append(r.Notes, provenance.Note{Text: n.Text, Author: i.publicName(n.Author), At: n.At.UTC()})
		}
	}
	for _, p := range s.Photos {
		if !p.Private && !slices.ContainsFunc(r.Photos, func(q provenance.Photo) bool { return q.SHA256 == p.Hash }) {
			r.Photos = append(r.Photos, provenance.Photo{SHA256: p.Hash, MediaType: p.MediaType})
		}
	}
	r.Made = provenance.Made{First: first.In(i.loc).Format(time.DateOnly), Last: last.In(i.loc).Format(time.DateOnly)}
	return r
}

// machine names the machine of a cell: its Modbus machine's id, empty for a manual cell.
func (i *Issuer) machine(cell string) string {
	c, ok := i.factory.Cell(cell)
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
	id, ok := strings.CutPrefix(string(actor), "person:")
	if !ok {
		return ""
	}
	for _, p := range i.factory.People {
		if p.ID == id {
			return p.PublicName
		}
	}
	return ""
}
