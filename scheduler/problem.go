package scheduler

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Problem is a flexible job-shop instance: machines numbered 0..Machines-1
// and jobs whose operations must run in order.
type Problem struct {
	Machines int
	Jobs     []Job
}

// Job is an ordered list of operations. Release dates, due dates and weights
// belong here when the scheduler learns about them.
type Job struct {
	Ops []Op
}

// Op is one operation of a job; it runs on exactly one of its alternatives.
type Op struct {
	Alternatives []Alt
}

// Alt is a machine that can run an operation and how long it takes there.
type Alt struct {
	Machine  int
	Duration int64
}

// Schedule is a solution: every operation with its machine and times.
type Schedule struct {
	Makespan int64
	// Ops is ordered by job, then by operation.
	Ops []Assignment
}

// Assignment places operation Op of job Job on Machine during [Start, End).
// Job and Op count from 0; Machine is numbered as in Problem.
type Assignment struct {
	Job, Op, Machine int
	Start, End       int64
}

// ErrInvalid is wrapped by every error that rejects a Problem.
var ErrInvalid = errors.New("invalid problem")

// Validate checks that every operation has at least one alternative, every
// machine is in range and every duration is non-negative.
func (p *Problem) Validate() error {
	if p.Machines <= 0 {
		return fmt.Errorf("%w: %d machines", ErrInvalid, p.Machines)
	}
	for j, job := range p.Jobs {
		for k, op := range job.Ops {
			if len(op.Alternatives) == 0 {
				return fmt.Errorf("%w: job %d: operation %d: no machine", ErrInvalid, j, k)
			}
			for _, a := range op.Alternatives {
				if a.Machine < 0 || a.Machine >= p.Machines {
					return fmt.Errorf("%w: job %d: operation %d: machine %d out of range 0..%d", ErrInvalid, j, k, a.Machine, p.Machines-1)
				}
				if a.Duration < 0 {
					return fmt.Errorf("%w: job %d: operation %d: negative duration %d", ErrInvalid, j, k, a.Duration)
				}
			}
		}
	}
	return nil
}

// ParseFJS reads an instance in the Brandimarte .fjs text format: a first
// line with the number of jobs, the number of machines and optionally the
// average number of machines per operation, then one line per job with its
// number of operations and, for each operation, the number k of
// alternatives followed by k pairs of machine (numbered from 1) and
// processing time. Blank lines are ignored. Errors name the line.
func ParseFJS(r io.Reader) (*Problem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	next := func() ([]string, bool) {
		for sc.Scan() {
			line++
			if f := strings.Fields(sc.Text()); len(f) > 0 {
				return f, true
			}
		}
		return nil, false
	}
	f, ok := next()
	if !ok {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading fjs: %w", err)
		}
		return nil, errors.New("fjs: empty input: want a header line with jobs and machines")
	}
	if len(f) < 2 || len(f) > 3 {
		return nil, fmt.Errorf("fjs line %d: header has %d fields, want jobs, machines and optionally the average machines per operation", line, len(f))
	}
	jobs, err := atoi(f[0], "number of jobs", 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("fjs line %d: %w", line, err)
	}
	machines, err := atoi(f[1], "number of machines", 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("fjs line %d: %w", line, err)
	}
	if len(f) == 3 {
		if _, err := strconv.ParseFloat(f[2], 64); err != nil {
			return nil, fmt.Errorf("fjs line %d: average machines per operation %q is not a number", line, f[2])
		}
	}
	p := &Problem{Machines: machines, Jobs: make([]Job, jobs)}
	for j := range jobs {
		f, ok := next()
		if !ok {
			if err := sc.Err(); err != nil {
				return nil, fmt.Errorf("reading fjs: %w", err)
			}
			return nil, fmt.Errorf("fjs line %d: unexpected end of input: header announces %d jobs, found %d", line, jobs, j)
		}
		job, err := parseJob(f, machines)
		if err != nil {
			return nil, fmt.Errorf("fjs line %d: job %d: %w", line, j+1, err)
		}
		p.Jobs[j] = job
	}
	if f, ok := next(); ok {
		return nil, fmt.Errorf("fjs line %d: unexpected %q after the %d jobs announced in the header", line, f[0], jobs)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading fjs: %w", err)
	}
	return p, nil
}

func parseJob(f []string, machines int) (Job, error) {
	i := 0
	take := func(what string, lo, hi int) (int, error) {
		if i >= len(f) {
			return 0, fmt.Errorf("line ends where the %s was expected", what)
		}
		v, err := atoi(f[i], what, lo, hi)
		i++
		return v, err
	}
	n, err := take("number of operations", 1, 1<<20)
	if err != nil {
		return Job{}, err
	}
	job := Job{Ops: make([]Op, n)}
	for k := range n {
		na, err := take("number of machines", 1, machines)
		if err != nil {
			return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
		}
		op := Op{Alternatives: make([]Alt, na)}
		for a := range na {
			m, err := take("machine", 1, machines)
			if err != nil {
				return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
			}
			d, err := take("processing time", 0, 1<<40)
			if err != nil {
				return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
			}
			op.Alternatives[a] = Alt{Machine: m - 1, Duration: int64(d)}
		}
		job.Ops[k] = op
	}
	if i < len(f) {
		return Job{}, fmt.Errorf("%d unexpected fields after its %d operations", len(f)-i, n)
	}
	return job, nil
}

func atoi(s, what string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", what, s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%s %d out of range %d..%d", what, v, lo, hi)
	}
	return v, nil
}

type jsonOp struct {
	Job     int   `json:"job"`
	Op      int   `json:"op"`
	Machine int   `json:"machine"`
	Start   int64 `json:"start"`
	End     int64 `json:"end"`
}

// WriteJSON writes the schedule as {"makespan": N, "operations": [{"job",
// "op", "machine", "start", "end"}, ...]} with job and op counted from 0 and
// machines numbered from 1, as in .fjs files.
func (s Schedule) WriteJSON(w io.Writer) error {
	out := struct {
		Makespan   int64    `json:"makespan"`
		Operations []jsonOp `json:"operations"`
	}{Makespan: s.Makespan, Operations: make([]jsonOp, len(s.Ops))}
	for i, a := range s.Ops {
		out.Operations[i] = jsonOp{a.Job, a.Op, a.Machine + 1, a.Start, a.End}
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing schedule: %w", err)
	}
	return nil
}
