package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
	mb "github.com/cellforge/cellforge/drivers/modbus"
)

// pollResult is what a polling run measured over its window.
type pollResult struct {
	o        options
	window   time.Duration
	target   float64 // reads/s the schedule asks for
	achieved float64 // answered reads/s
	reads    uint64  // polls answered in full, scheduled in the window
	errs     uint64  // polls scheduled in the window that failed
	firstErr string
	ticks    uint64 // ticks the schedule has in the window
	missed   uint64 // ticks dropped in the window (GroupStats.Missed)

	rtt, pollTime, jitter, age *histogram

	cpu time.Duration // user+sys over the window
	rss int64         // peak resident memory of the process
}

// recorder collects the readings of a polling run. Readings whose tick
// falls in [from, to) are counted.
type recorder struct {
	from, to time.Time

	mu       sync.Mutex
	reads    uint64
	errs     uint64
	firstErr string
	lastReq  []uint64 // per device: its request count at the last round trip sample
	rtt      histogram
	pollTime histogram
	jitter   histogram
	age      histogram
}

// record counts one reading of device i's group g. jitter is the delay from
// the reading's tick to its poll's start; h is the device's health record.
func (r *recorder) record(i int, rd mb.Reading, jitter time.Duration, h *health.Device) {
	if rd.Scheduled.Before(r.from) || !rd.Scheduled.Before(r.to) {
		return
	}
	snap := h.Snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	if rd.Err != nil {
		r.errs++
		if r.firstErr == "" {
			r.firstErr = rd.Err.Error()
		}
		return
	}
	r.reads++
	r.jitter.add(jitter)
	r.pollTime.add(rd.Time.Sub(rd.Scheduled.Add(jitter)))
	r.age.add(rd.Time.Sub(rd.Scheduled))
	if snap.Requests != r.lastReq[i] {
		r.lastReq[i] = snap.Requests
		r.rtt.add(snap.LastRTT)
	}
}

// poll runs the polling-at-scale mode.
func poll(ctx context.Context, o options) (pollResult, error) {
	res := pollResult{o: o, window: o.duration,
		target: float64(o.devices*o.blocks) / o.interval.Seconds()}

	sims := make([]*simulator, 0, o.devices)
	defer func() {
		for _, s := range sims {
			s.stop()
		}
	}()
	for range o.devices {
		s, err := startSimulator(ctx, "127.0.0.1:0", o.blocks)
		if err != nil {
			return res, err
		}
		sims = append(sims, s)
	}

	rec := &recorder{lastReq: make([]uint64, o.devices)}
	lines, devices, err := newPollers(o, sims, rec)
	if err != nil {
		return res, err
	}

	start := time.Now()
	rec.from = start.Add(o.warmup)
	rec.to = rec.from.Add(o.duration)
	lineCtx, stopLines := context.WithCancel(ctx)
	defer stopLines()
	devCtx, stopDevices := context.WithCancel(ctx)
	defer stopDevices()
	var lineRuns, devRuns runGroup
	for i := range devices {
		lineRuns.run(lineCtx, lines[i].Run)
		devRuns.run(devCtx, devices[i].Run)
	}
	stop := func() error {
		stopDevices()
		err := devRuns.wait()
		stopLines()
		return errors.Join(err, lineRuns.wait())
	}

	if !sleepUntil(ctx, rec.from) {
		stop()
		return res, ctx.Err()
	}
	cpu0, err := cpuTime()
	if err != nil {
		stop()
		return res, err
	}
	missed0 := missedTicks(devices)
	if !sleepUntil(ctx, rec.to) {
		stop()
		return res, ctx.Err()
	}
	cpu1, err := cpuTime()
	if err != nil {
		stop()
		return res, err
	}
	missed1 := missedTicks(devices)
	// Polls ticked before the window's end may still be on the wire; an
	// answer later than the timeout would have failed anyway.
	sleepUntil(ctx, rec.to.Add(o.timeout))
	if err := stop(); err != nil {
		return res, err
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	res.reads, res.errs, res.firstErr = rec.reads, rec.errs, rec.firstErr
	res.achieved = float64(rec.reads) / o.duration.Seconds()
	res.ticks = uint64(o.devices*o.blocks) * uint64(o.duration/o.interval)
	res.missed = missed1 - missed0
	res.rtt, res.pollTime, res.jitter, res.age = &rec.rtt, &rec.pollTime, &rec.jitter, &rec.age
	res.cpu = cpu1 - cpu0
	if res.rss, err = peakRSS(); err != nil {
		return res, err
	}
	return res, nil
}

// newPollers makes a Modbus TCP line and a device polling it for each simulator of sims,
// whose readings rec records.
func newPollers(o options, sims []*simulator, rec *recorder) ([]*mb.Line, []*mb.Device, error) {
	profile := blockProfile(o.blocks, o.registers, o.interval)
	groupIndex := map[string]int{}
	for i, g := range profile.Groups {
		groupIndex[g.Name] = i
	}
	lines := make([]*mb.Line, o.devices)
	devices := make([]*mb.Device, o.devices)
	for i, s := range sims {
		l, err := mb.NewTCPLine(mb.TCPConfig{Address: s.addr, Timeout: o.timeout})
		if err != nil {
			return nil, nil, err
		}
		h := (*health.Metrics)(nil).Device(fmt.Sprintf("dev-%03d", i), "modbus")
		var d *mb.Device
		on := func(rd mb.Reading) {
			// The reading's group was polled by this goroutine, which
			// alone sets its stats: LastJitter is this poll's.
			rec.record(i, rd, d.Stats()[groupIndex[rd.Group]].LastJitter, h)
		}
		d, err = mb.NewDevice(l, mb.DeviceConfig{Name: h.Snapshot().Device, UnitID: unit, Profile: profile, Health: h, OnReading: on})
		if err != nil {
			return nil, nil, err
		}
		lines[i], devices[i] = l, d
	}
	return lines, devices, nil
}

// missedTicks sums the ticks every group dropped.
func missedTicks(devices []*mb.Device) (missed uint64) {
	for _, d := range devices {
		for _, s := range d.Stats() {
			missed += s.Missed
		}
	}
	return missed
}

// sleepUntil waits until t; it reports false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ms formats d in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// cpuPercent is the CPU time used per wall time, in % of one core.
func (r pollResult) cpuPercent() float64 { return 100 * r.cpu.Seconds() / r.window.Seconds() }

// print writes the summary line, then the table and the definitions.
func (r pollResult) print(w io.Writer) {
	o := r.o
	kv := []string{
		"mode=poll",
		fmt.Sprintf("devices=%d", o.devices),
		fmt.Sprintf("blocks=%d", o.blocks),
		fmt.Sprintf("registers=%d", o.registers),
		fmt.Sprintf("interval=%s", o.interval),
		fmt.Sprintf("duration=%s", o.duration),
		fmt.Sprintf("target_rps=%.0f", r.target),
		fmt.Sprintf("achieved_rps=%.1f", r.achieved),
		fmt.Sprintf("reads=%d", r.reads),
		fmt.Sprintf("errors=%d", r.errs),
		fmt.Sprintf("ticks=%d", r.ticks),
		fmt.Sprintf("missed=%d", r.missed),
		"rtt_p50_ms=" + ms(r.rtt.quantile(0.5)),
		"rtt_p99_ms=" + ms(r.rtt.quantile(0.99)),
		"poll_p50_ms=" + ms(r.pollTime.quantile(0.5)),
		"poll_p99_ms=" + ms(r.pollTime.quantile(0.99)),
		"jitter_p50_ms=" + ms(r.jitter.quantile(0.5)),
		"jitter_p99_ms=" + ms(r.jitter.quantile(0.99)),
		"jitter_max_ms=" + ms(r.jitter.quantile(1)),
		"age_p99_ms=" + ms(r.age.quantile(0.99)),
		fmt.Sprintf("cpu_pct=%.1f", r.cpuPercent()),
		fmt.Sprintf("rss_peak_mib=%.1f", float64(r.rss)/(1<<20)),
	}
	fmt.Fprintln(w, "pollbench", strings.Join(kv, " "))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%d devices x %d groups of %d holding registers every %s, %s measured after %s of warm-up\n",
		o.devices, o.blocks, o.registers, o.interval, o.duration, o.warmup)
	fmt.Fprintf(w, "reads/s: %.1f of %.0f scheduled (%.2f %%); %d of %d ticks polled, %d answered, %d failed, %d missed\n",
		r.achieved, r.target, 100*r.achieved/r.target, r.reads+r.errs, r.ticks, r.reads, r.errs, r.missed)
	if r.firstErr != "" {
		fmt.Fprintf(w, "first error: %s\n", r.firstErr)
	}
	fmt.Fprintf(w, "cpu: %.1f %% of one core (%s user+sys over %s, simulators included)\n", r.cpuPercent(), r.cpu.Round(time.Millisecond), r.window)
	fmt.Fprintf(w, "peak rss: %.1f MiB (VmHWM of the process, simulators included)\n", float64(r.rss)/(1<<20))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ms\tp50\tp90\tp99\tp99.9\tmax\tsamples\t")
	for _, row := range []struct {
		name string
		h    *histogram
	}{{"round trip", r.rtt}, {"poll", r.pollTime}, {"jitter", r.jitter}, {"tick to answer", r.age}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", row.name, ms(row.h.quantile(0.5)), ms(row.h.quantile(0.9)),
			ms(row.h.quantile(0.99)), ms(row.h.quantile(0.999)), ms(row.h.quantile(1)), row.h.n)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprint(w, definitions)
}

// definitions says what each row of the table measures.
const definitions = `round trip:     the driver's health record: from writing a request to the end of its answer;
                sampled at each reading as the device's last round trip, when its request count
                moved since the previous sample.
poll:           Reading.Time - (Reading.Scheduled + jitter): from the poll's start to its answer;
                one request, plus any wait behind the device's other groups on its line.
jitter:         from a tick to its poll's start, as the driver's GroupStats records it
                (LastJitter, read in the reading's callback, so every poll counts).
tick to answer: Reading.Time - Reading.Scheduled, jitter and poll together.
`
