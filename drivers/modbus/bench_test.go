package modbus

import (
	"fmt"
	"testing"
	"time"
)

// tenHolding is a profile of 10 holding registers read in one request.
func tenHolding() *Profile {
	p := &Profile{Name: "ten", Groups: []Group{{Name: "g", Interval: time.Second}}}
	for i := range 10 {
		name := fmt.Sprintf("r%d", i)
		p.Registers = append(p.Registers, Register{Name: name, Table: Holding, Address: uint16(i), Type: Uint16})
		p.Groups[0].Registers = append(p.Groups[0].Registers, name)
	}
	return p
}

func benchmarkRead(b *testing.B, l *Line) {
	d, _ := newDevice(b, l, "bench", 1, tenHolding(), nil)
	if plan, _ := d.Plan("g"); len(plan) != 1 || plan[0].Quantity != 10 {
		b.Fatalf("plan %v, want one request of 10 registers", plan)
	}
	b.ReportAllocs()
	for b.Loop() {
		rd, err := d.Poll(b.Context(), "g")
		if err != nil || rd.Err != nil {
			b.Fatal(err, rd.Err)
		}
	}
}

// BenchmarkReadHoldingTCP reads 10 holding registers over one Modbus TCP
// connection to the simulator, one request at a time.
func BenchmarkReadHoldingTCP(b *testing.B) {
	addr, _ := serveTCP(b, newServer(b, loomBank()), "127.0.0.1:0")
	benchmarkRead(b, tcpLine(b, addr, time.Second))
}

// BenchmarkReadHoldingRTU reads 10 holding registers over Modbus RTU at
// 115200 baud through a pseudo-terminal, one request at a time; the
// simulator's 1.75 ms end-of-frame silence and the line's inter-frame gap
// bound it.
func BenchmarkReadHoldingRTU(b *testing.B) {
	path := serveRTU(b, newServer(b, loomBank()), 115200)
	benchmarkRead(b, rtuLine(b, path, 115200, time.Second))
}
