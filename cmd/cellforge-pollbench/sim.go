package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	mb "github.com/cellforge/cellforge/drivers/modbus"
	sim "github.com/cellforge/cellforge/firmware-sim/modbus"
)

const (
	// blockStride is the distance between the first addresses of two
	// blocks: more than the 125 registers a request may read, so blocks
	// never touch and the driver reads each with a request of its own.
	blockStride = 200
	// maxBlocks fits the blocks in the 65536 holding registers of a bank.
	maxBlocks = 256
	// unit is the unit id of every simulated device.
	unit = 1
)

// newBank returns a bank with room for blocks blocks, each register
// holding its address.
func newBank(blocks int) *sim.Bank {
	n := blocks * blockStride
	b := sim.NewBank(sim.Sizes{HoldingRegisters: n})
	for a := range n {
		b.SetHolding(uint16(a), uint16(a))
	}
	return b
}

// simulator is one simulated device served over TCP.
type simulator struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// startSimulator serves a fresh bank of blocks blocks under unit id 1 on
// addr until stop.
func startSimulator(ctx context.Context, addr string, blocks int) (*simulator, error) {
	srv := sim.New(sim.Config{})
	if err := srv.AddUnit(unit, newBank(blocks)); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving the simulator: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &simulator{addr: l.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, l) }()
	return s, nil
}

// stop stops serving and returns Serve's error.
func (s *simulator) stop() error {
	s.cancel()
	return <-s.done
}

// serveOnly serves one simulator on o.serve until ctx ends.
func serveOnly(ctx context.Context, o options, stdout io.Writer) error {
	s, err := startSimulator(ctx, o.serve, o.blocks)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", s.addr)
	<-ctx.Done()
	return s.stop()
}

// blockProfile is a device of blocks poll groups b0, b1, ..., group bK
// reading the registers registers from address K*blockStride, every
// interval.
func blockProfile(blocks, registers int, interval time.Duration) *mb.Profile {
	p := &mb.Profile{Name: "blocks"}
	for b := range blocks {
		g := mb.Group{Name: fmt.Sprintf("b%d", b), Interval: interval}
		for r := range registers {
			name := fmt.Sprintf("b%dr%d", b, r)
			p.Registers = append(p.Registers, mb.Register{Name: name, Table: mb.Holding,
				Address: uint16(b*blockStride + r), Type: mb.Uint16})
			g.Registers = append(g.Registers, name)
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}

// runGroup runs Run methods, each in a goroutine, and waits for them.
type runGroup struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// run calls fn(ctx) in a goroutine.
func (g *runGroup) run(ctx context.Context, fn func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(ctx); err != nil {
			g.mu.Lock()
			g.err = errors.Join(g.err, err)
			g.mu.Unlock()
		}
	}()
}

// wait waits for every goroutine and returns their errors joined.
func (g *runGroup) wait() error {
	g.wg.Wait()
	return g.err
}
