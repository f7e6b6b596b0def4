package modbus

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// reg is a register for plan tests.
func reg(name string, table Table, addr uint16, typ DataType) Register {
	return Register{Name: name, Table: table, Address: addr, Type: typ}
}

// seqRegs returns n registers of one table at consecutive addresses from 0.
func seqRegs(prefix string, table Table, typ DataType, n int) []Register {
	regs := make([]Register, n)
	for i := range regs {
		regs[i] = reg(fmt.Sprintf("%s%d", prefix, i), table, uint16(i), typ)
	}
	return regs
}

func names(regs []Register) []string {
	out := make([]string, len(regs))
	for i, r := range regs {
		out[i] = r.Name
	}
	return out
}

func TestPlan(t *testing.T) {
	holding130 := seqRegs("h", Holding, Uint16, 130)
	holding124 := append(seqRegs("h", Holding, Uint16, 124), reg("wide", Holding, 124, Uint32))
	coils2005 := seqRegs("c", Coil, Bool, 2005)
	tests := []struct {
		name string
		regs []Register
		// group lists the registers polled; nil polls all, in order.
		group []string
		want  []Request
	}{
		{
			name: "contiguous registers share a request",
			regs: []Register{reg("a", Holding, 0, Uint16), reg("b", Holding, 1, Int16), reg("c", Holding, 2, Float32)},
			want: []Request{{Table: Holding, Address: 0, Quantity: 4, Registers: []string{"a", "b", "c"}}},
		},
		{
			name:  "listed out of address order",
			regs:  []Register{reg("a", Input, 5, Uint16), reg("b", Input, 3, Uint32)},
			group: []string{"a", "b"},
			want:  []Request{{Table: Input, Address: 3, Quantity: 3, Registers: []string{"b", "a"}}},
		},
		{
			name: "overlapping registers share a request",
			regs: []Register{reg("whole", Holding, 10, Uint32), reg("low", Holding, 11, Uint16), reg("next", Holding, 12, Uint16)},
			want: []Request{{Table: Holding, Address: 10, Quantity: 3, Registers: []string{"whole", "low", "next"}}},
		},
		{
			name: "a gap is not bridged",
			regs: []Register{reg("a", Holding, 0, Uint16), reg("b", Holding, 2, Uint16), reg("c", Holding, 3, Uint32)},
			want: []Request{
				{Table: Holding, Address: 0, Quantity: 1, Registers: []string{"a"}},
				{Table: Holding, Address: 2, Quantity: 3, Registers: []string{"b", "c"}},
			},
		},
		{
			name: "more than 125 registers are split",
			regs: holding130,
			want: []Request{
				{Table: Holding, Address: 0, Quantity: 125, Registers: names(holding130[:125])},
				{Table: Holding, Address: 125, Quantity: 5, Registers: names(holding130[125:])},
			},
		},
		{
			name: "a 32-bit register that would cross 125 starts a new request",
			regs: holding124,
			want: []Request{
				{Table: Holding, Address: 0, Quantity: 124, Registers: names(holding124[:124])},
				{Table: Holding, Address: 124, Quantity: 2, Registers: []string{"wide"}},
			},
		},
		{
			name: "coils split at 2000 bits",
			regs: coils2005,
			want: []Request{
				{Table: Coil, Address: 0, Quantity: 2000, Registers: names(coils2005[:2000])},
				{Table: Coil, Address: 2000, Quantity: 5, Registers: names(coils2005[2000:])},
			},
		},
		{
			name: "tables are never merged and come in table order",
			regs: []Register{
				reg("in", Input, 0, Uint16), reg("hold", Holding, 1, Uint16), reg("di", Discrete, 2, Bool), reg("co", Coil, 3, Bool),
				reg("hold0", Holding, 0, Uint16), reg("co4", Coil, 4, Bool),
			},
			want: []Request{
				{Table: Coil, Address: 3, Quantity: 2, Registers: []string{"co", "co4"}},
				{Table: Discrete, Address: 2, Quantity: 1, Registers: []string{"di"}},
				{Table: Holding, Address: 0, Quantity: 2, Registers: []string{"hold0", "hold"}},
				{Table: Input, Address: 0, Quantity: 1, Registers: []string{"in"}},
			},
		},
		{
			name:  "registers outside the group are not read",
			regs:  []Register{reg("a", Holding, 0, Uint16), reg("b", Holding, 1, Uint16), reg("c", Holding, 2, Uint16)},
			group: []string{"a", "c"},
			want: []Request{
				{Table: Holding, Address: 0, Quantity: 1, Registers: []string{"a"}},
				{Table: Holding, Address: 2, Quantity: 1, Registers: []string{"c"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := tt.group
			if group == nil {
				group = names(tt.regs)
			}
			p := &Profile{Name: "p", Registers: tt.regs, Groups: []Group{{Name: "g", Interval: time.Second, Registers: group}}}
			if err := p.Validate(); err != nil {
				t.Fatalf("test profile invalid: %v", err)
			}
			got, err := p.Plan("g")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Plan:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestPlanUnknownGroup(t *testing.T) {
	p := &Profile{Name: "p"}
	if _, err := p.Plan("nope"); err == nil {
		t.Fatal("Plan of an unknown group succeeded")
	}
}
