package modbus

import (
	"fmt"
	"sort"
)

// Protocol limits of one read request (Modbus Application Protocol spec
// v1.1b3, section 6).
const (
	maxReadRegisters = 125  // function codes 3 and 4
	maxReadBits      = 2000 // function codes 1 and 2
)

// Request is one read request of a poll plan: Quantity entries of Table from
// Address, covering the named registers.
type Request struct {
	Table    Table
	Address  uint16
	Quantity uint16
	// Registers are the registers the answer is decoded into, by address.
	Registers []string
}

// String returns the request as "holding 100+4".
func (q Request) String() string {
	return fmt.Sprintf("%s %d+%d", q.Table, q.Address, q.Quantity)
}

// Plan returns the read requests that poll the named group: its registers of
// each table merged into as few requests as possible. Registers whose
// address ranges touch or overlap share a request, up to 125 registers (2000
// bits for coils and discrete inputs) per request; a gap is never bridged,
// since the unmapped addresses in it may be illegal on the device. Requests
// come in table order (coil, discrete, holding, input), then by address.
func (p *Profile) Plan(group string) ([]Request, error) {
	var g *Group
	for i := range p.Groups {
		if p.Groups[i].Name == group {
			g = &p.Groups[i]
			break
		}
	}
	if g == nil {
		return nil, fmt.Errorf("planning group %q of profile %q: no such group", group, p.Name)
	}
	regs := make([]*Register, 0, len(g.Registers))
	for _, name := range g.Registers {
		i := indexOf(p.Registers, name)
		if i < 0 {
			return nil, fmt.Errorf("planning group %q of profile %q: unknown register %q", group, p.Name, name)
		}
		regs = append(regs, &p.Registers[i])
	}
	sort.SliceStable(regs, func(i, j int) bool {
		if regs[i].Table != regs[j].Table {
			return regs[i].Table < regs[j].Table
		}
		return regs[i].Address < regs[j].Address
	})
	var (
		plan     []Request
		curEnd   int
		curLimit int
	)
	for _, r := range regs {
		start, end := int(r.Address), int(r.Address)+r.Width()
		if n := len(plan); n > 0 {
			cur := &plan[n-1]
			if r.Table == cur.Table && start <= curEnd && max(curEnd, end)-int(cur.Address) <= curLimit {
				curEnd = max(curEnd, end)
				cur.Quantity = uint16(curEnd - int(cur.Address))
				cur.Registers = append(cur.Registers, r.Name)
				continue
			}
		}
		plan = append(plan, Request{Table: r.Table, Address: r.Address, Quantity: uint16(r.Width()), Registers: []string{r.Name}})
		curEnd = end
		curLimit = maxReadRegisters
		if r.Table.Bits() {
			curLimit = maxReadBits
		}
	}
	return plan, nil
}
