package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/cellforge/cellforge/scheduler"
)

// scheduleUsage lists the planning problems cellforge schedule knows.
const scheduleUsage = `Usage: cellforge schedule PROBLEM [flags] FILE

Problems:
  fjsp  a flexible job shop in the Brandimarte .fjs format

Run 'cellforge schedule PROBLEM --help' for its flags.
`

// schedule plans a scheduling problem read from a file and prints the schedule.
func schedule(ctx context.Context, args []string, e *env) error {
	if len(args) > 0 && args[0] == "fjsp" {
		return scheduleFJSP(ctx, args[1:], e)
	}
	fs := newFlagSet("schedule", "", e)
	fs.Usage = func() { fmt.Fprint(e.stderr, scheduleUsage) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "cellforge schedule: unknown problem %q\n\n", fs.Arg(0))
	}
	fs.Usage()
	return errUsage
}

// scheduleFJSP solves a Brandimarte flexible job-shop instance, or dispatches it by earliest due
// date with --dispatch, and prints the schedule as JSON.
func scheduleFJSP(ctx context.Context, args []string, e *env) error {
	fs := newFlagSet("schedule fjsp", "schedule fjsp [--time-limit D] [--seed N] [--workers N] [--iterations N] [--dispatch] FILE.fjs\n\n"+
		"Prints {\"makespan\": N, \"operations\": [{\"job\", \"op\", \"machine\", \"start\", \"end\"}, ...]}, jobs and\n"+
		"operations counted from 0, machines numbered from 1 as in the file.", e)
	timeLimit := fs.Duration("time-limit", 10*time.Second, "stop the search after this `duration`; 0 for none")
	seed := fs.Int64("seed", 1, "`seed` of the search; with --iterations and --time-limit 0 the schedule is reproducible")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "`number` of independent searches run in parallel")
	iterations := fs.Int64("iterations", 0, "stop each search after this `number` of iterations; 0 for no limit")
	dispatch := fs.Bool("dispatch", false, "print the earliest-due-date dispatching baseline instead of searching")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bad := ""
	switch {
	case fs.NArg() == 0:
		fmt.Fprintln(e.stderr, "cellforge schedule fjsp: missing FILE.fjs, the instance to schedule")
		fs.Usage()
		return errUsage
	case fs.NArg() > 1:
		fmt.Fprintf(e.stderr, "cellforge schedule fjsp: one FILE.fjs at a time, got %d\n", fs.NArg())
		fs.Usage()
		return errUsage
	case *timeLimit < 0:
		bad = fmt.Sprintf("--time-limit %s is negative", *timeLimit)
	case *iterations < 0:
		bad = fmt.Sprintf("--iterations %d is negative", *iterations)
	case *workers < 1:
		bad = fmt.Sprintf("--workers %d: want at least 1", *workers)
	case *timeLimit == 0 && *iterations == 0 && !*dispatch:
		bad = "--time-limit and --iterations are both 0: nothing would stop the search; give a time limit, an iteration budget or both"
	}
	if bad != "" {
		fmt.Fprintf(e.stderr, "cellforge schedule fjsp: %s\n", bad)
		return errUsage
	}
	path := fs.Arg(0)
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	p, err := scheduler.ParseFJS(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var s scheduler.Schedule
	if *dispatch {
		s, err = scheduler.Dispatch(p)
	} else {
		s, err = scheduler.Solve(ctx, p, scheduler.Options{
			TimeLimit:     *timeLimit,
			MaxIterations: *iterations,
			Seed:          *seed,
			Workers:       *workers,
		})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return s.WriteJSON(e.stdout)
}
