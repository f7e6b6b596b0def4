package certify

import (
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
		Serial:  s.Serial,
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
		step := provenance.Step{Capability: op.Capability, Cell: op.Cell, Machine: i.machine(op.Cell), Makers: i.makers(st.People)}
		if op.StartedAt != nil {
			step.Start = op.StartedAt.UTC()
		}
		if op.EndedAt != nil {
			step.End = op.EndedAt.UTC()
		}
		if step.Start.IsZero() || step.End.Before(step.Start) {
			step.Start = step.End
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

// makers returns the public names of the people among ids who opted in to be named.
func (i *Issuer) makers(ids []string) []string {
	var out []string
	for _, id := range ids {
		for _, p := range i.factory.People {
			if p.ID == id && p.PublicName != "" {
				out = append(out, p.PublicName)
			}
		}
	}
	return out
}
