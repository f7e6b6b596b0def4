package main

import (
	"context"
	"fmt"
	"io"
	"time"

	mb "github.com/cellforge/cellforge/drivers/modbus"
)

// singleResult is what a closed loop over one connection measured.
type singleResult struct {
	addr      string
	served    bool // the simulator ran in this process
	registers int
	requests  uint64 // answered
	errs      uint64
	firstErr  string
	elapsed   time.Duration
}

// single runs the single-connection mode: Poll of one group, one request
// at a time, for o.duration.
func single(ctx context.Context, o options) (singleResult, error) {
	res := singleResult{addr: o.addr, registers: o.registers}
	if res.addr == "" {
		s, err := startSimulator(ctx, "127.0.0.1:0", 1)
		if err != nil {
			return res, err
		}
		defer s.stop()
		res.addr, res.served = s.addr, true
	}
	l, err := mb.NewTCPLine(mb.TCPConfig{Address: res.addr, Timeout: o.timeout})
	if err != nil {
		return res, err
	}
	d, err := mb.NewDevice(l, mb.DeviceConfig{Name: "single", UnitID: unit, Profile: blockProfile(1, o.registers, time.Hour)})
	if err != nil {
		return res, err
	}
	lineCtx, stopLine := context.WithCancel(ctx)
	var lineRun runGroup
	lineRun.run(lineCtx, l.Run)
	defer func() {
		stopLine()
		lineRun.wait()
	}()

	start := time.Now()
	end := start.Add(o.duration)
	now := start
	for now.Before(end) {
		rd, err := d.Poll(ctx, "b0")
		if err != nil {
			return res, err
		}
		if rd.Err != nil {
			res.errs++
			if res.firstErr == "" {
				res.firstErr = rd.Err.Error()
			}
		} else {
			res.requests++
		}
		now = time.Now()
	}
	res.elapsed = now.Sub(start)
	if res.errs > 0 {
		return res, fmt.Errorf("%d of %d requests failed, the first with: %s", res.errs, res.errs+res.requests, res.firstErr)
	}
	return res, nil
}

func (r singleResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// print writes the summary line, with the keys testdata/libmodbus/client.c
// of drivers/modbus prints, and a readable line.
func (r singleResult) print(w io.Writer) {
	fmt.Fprintf(w, "pollbench mode=single addr=%s registers=%d requests=%d errors=%d seconds=%.3f rate=%.1f\n",
		r.addr, r.registers, r.requests, r.errs, r.elapsed.Seconds(), r.rate())
	where := "a simulator in another process"
	if r.served {
		where = "a simulator in this process"
	}
	fmt.Fprintf(w, "%.1f requests/s: %d reads of %d holding registers in a closed loop over one connection to %s\n",
		r.rate(), r.requests, r.registers, where)
}
