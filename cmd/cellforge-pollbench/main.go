// Command cellforge-pollbench measures the Modbus driver (drivers/modbus)
// against the firmware simulator (firmware-sim/modbus) over loopback TCP.
// make bench runs it; docs/BENCHMARKS.md holds its figures.
//
// It has three modes:
//
//   - polling at scale (the default): -devices simulators, each on its own
//     127.0.0.1 port in this process, and as many TCP lines and devices of
//     the driver, each device with -blocks poll groups of -registers holding
//     registers at non-contiguous addresses (one request per group), every
//     -interval, for -duration after -warmup. It prints a key=value summary
//     line and a table of the achieved rate, latencies, schedule jitter,
//     missed ticks, CPU time and peak resident memory.
//   - single connection (-single): one device reads -registers holding
//     registers in a closed loop, one request at a time, over one
//     connection, for -duration, and prints requests/s. With -addr it reads
//     a simulator served elsewhere (by -serve), so that another client can
//     be measured against the same simulator; without, it serves one itself.
//   - serve (-serve ADDR): only the simulator, one unit (id 1) with a bank
//     of -blocks blocks, until interrupted. It prints
//     "listening on HOST:PORT" once bound.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	devices   int
	blocks    int
	registers int
	interval  time.Duration
	duration  time.Duration
	warmup    time.Duration
	timeout   time.Duration
	single    bool
	addr      string
	serve     string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cellforge-pollbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.devices, "devices", 200, "devices polled, each with its own simulator and TCP connection")
	fs.IntVar(&o.blocks, "blocks", 4, "poll groups per device, each one request for a block of registers")
	fs.IntVar(&o.registers, "registers", 10, "holding registers per block (and per request in -single mode), 1..125")
	fs.DurationVar(&o.interval, "interval", 100*time.Millisecond, "poll interval of every group")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to measure")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "polling before the measurement starts, not counted")
	fs.DurationVar(&o.timeout, "timeout", time.Second, "the lines' request timeout")
	fs.BoolVar(&o.single, "single", false, "closed loop over one connection instead of polling at scale")
	fs.StringVar(&o.addr, "addr", "", "with -single: the simulator to read (served by -serve); empty serves one in-process")
	fs.StringVar(&o.serve, "serve", "", "only serve a simulator on this address (127.0.0.1:0 for any port) until interrupted")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cellforge-pollbench [flags]            poll -devices simulators at scale")
		fmt.Fprintln(stderr, "       cellforge-pollbench -single [-addr A]  closed loop over one connection")
		fmt.Fprintln(stderr, "       cellforge-pollbench -serve ADDR        serve a simulator only")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := o.validate(); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintln(stderr, "cellforge-pollbench:", err)
		fs.Usage()
		return 2
	}
	var err error
	switch {
	case o.serve != "":
		err = serveOnly(ctx, o, stdout)
	case o.single:
		var res singleResult
		if res, err = single(ctx, o); err == nil {
			res.print(stdout)
		}
	default:
		var res pollResult
		if res, err = poll(ctx, o); err == nil {
			res.print(stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "cellforge-pollbench:", err)
		return 1
	}
	return 0
}

func (o options) validate() error {
	switch {
	case o.devices < 1:
		return fmt.Errorf("-devices %d: want at least 1", o.devices)
	case o.blocks < 1 || o.blocks > maxBlocks:
		return fmt.Errorf("-blocks %d: want 1..%d", o.blocks, maxBlocks)
	case o.registers < 1 || o.registers > 125:
		return fmt.Errorf("-registers %d: want 1..125", o.registers)
	case o.interval <= 0 || o.duration <= 0 || o.timeout <= 0:
		return errors.New("-interval, -duration and -timeout must be positive")
	case o.warmup < 0:
		return errors.New("-warmup must not be negative")
	case o.serve != "" && o.single:
		return errors.New("-serve and -single exclude each other")
	case o.addr != "" && !o.single:
		return errors.New("-addr applies to -single only")
	}
	return nil
}
