package scheduler

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Problem is a flexible job-shop instance: machines numbered 0..Machines-1
// and jobs whose operations must run in order.
//
// Times are integers in any unit the caller chooses (the Brandimarte files
// use abstract units; the daemon uses seconds). Besides machines and jobs a
// problem may carry release and due dates, sequence-dependent changeovers,
// machine downtime and operations fixed in place; a problem without any of
// these is a classic flexible job shop.
type Problem struct {
	Machines int
	Jobs     []Job
	// Changeover[a][b] is the time a machine needs between an operation of
	// family a and an operation of family b that follows it; nil means no
	// changeovers. The diagonal is usually zero.
	Changeover [][]int64
	// Down lists, per machine, the intervals in which it cannot work:
	// closed hours of its calendar, maintenance, a fault. Neither an
	// operation nor the changeover before it may overlap one. An interval
	// ending at Forever never ends: the machine is down for good. Down may
	// be shorter than Machines; missing machines are never down.
	Down [][]Interval
}

// Forever ends a downtime interval that has no known end.
const Forever = math.MaxInt64

// Interval is the time span [Start, End).
type Interval struct {
	Start, End int64
}

// Job is an ordered list of operations.
type Job struct {
	// ID names the job across plans: Repair matches the jobs of a previous
	// schedule to the problem's by ID (by index when IDs are empty).
	ID string
	// Release is the earliest start of the job's first operation that is
	// not fixed.
	Release int64
	// Due is the time the job should be done by; zero or less means it has
	// no due date.
	Due int64
	// Weight multiplies the job's tardiness in the objective; zero or less
	// counts as 1.
	Weight int64
	Ops    []Op
}

// Op is one operation of a job; it runs on exactly one of its alternatives.
type Op struct {
	Alternatives []Alt
	// Family is the operation's changeover family, a row and column of
	// Problem.Changeover; ignored when there are no changeovers.
	Family int
	// Fixed, when set, pins the operation to a machine and a time: it is
	// running or done. Fixed operations of a job come before the others.
	Fixed *Fixed
}

// Fixed is where and when an operation that is running or done runs.
type Fixed struct {
	Machine    int
	Start, End int64
}

// Alt is a machine that can run an operation and how long it takes there.
type Alt struct {
	Machine  int
	Duration int64
}

// Schedule is a solution: every operation with its machine and times.
type Schedule struct {
	Makespan int64
	// Tardiness is the weighted tardiness: the sum over jobs with a due
	// date of weight times how long after it they end.
	Tardiness int64
	// Late is the number of jobs that end after their due date.
	Late int
	// Changeovers is the number of operations preceded by a changeover and
	// ChangeoverTime their total time.
	Changeovers    int
	ChangeoverTime int64
	// JobEnd is the end of each job's last operation, by job index.
	JobEnd []int64
	// Ops is ordered by job, then by operation.
	Ops []Assignment
}

// Assignment places operation Op of job Job on Machine during [Start, End).
// Job and Op count from 0; Machine is numbered as in Problem. Changeover is
// the changeover time the machine spends right before Start.
type Assignment struct {
	// JobID is the job's Problem.Job.ID.
	JobID            string
	Job, Op, Machine int
	Start, End       int64
	Changeover       int64
}

// ErrInvalid is wrapped by every error that rejects a Problem.
var ErrInvalid = errors.New("invalid problem")

// Validate checks that every operation has at least one alternative, every
// machine and family is in range, every duration is non-negative, the
// changeover matrix is square and non-negative, downtime intervals are not
// empty, fixed operations come first in their job and do not overlap on a
// machine, and every operation that is not fixed has a machine that is not
// down for good.
func (p *Problem) Validate() error {
	if p.Machines <= 0 {
		return fmt.Errorf("%w: %d machines", ErrInvalid, p.Machines)
	}
	for a, row := range p.Changeover {
		if len(row) != len(p.Changeover) {
			return fmt.Errorf("%w: changeover row %d has %d columns, want %d", ErrInvalid, a, len(row), len(p.Changeover))
		}
		for b, d := range row {
			if d < 0 {
				return fmt.Errorf("%w: changeover from family %d to %d: negative time %d", ErrInvalid, a, b, d)
			}
		}
	}
	if len(p.Down) > p.Machines {
		return fmt.Errorf("%w: downtime for %d machines, the problem has %d", ErrInvalid, len(p.Down), p.Machines)
	}
	forever := make([]bool, p.Machines) // down for good from some time on
	for k, ivs := range p.Down {
		for _, iv := range ivs {
			if iv.End <= iv.Start {
				return fmt.Errorf("%w: machine %d: empty downtime [%d, %d)", ErrInvalid, k, iv.Start, iv.End)
			}
			forever[k] = forever[k] || iv.End == Forever
		}
	}
	var fixed [][]Fixed
	for j, job := range p.Jobs {
		if job.Weight < 0 {
			return fmt.Errorf("%w: job %d: negative weight %d", ErrInvalid, j, job.Weight)
		}
		for k, op := range job.Ops {
			if len(op.Alternatives) == 0 {
				return fmt.Errorf("%w: job %d: operation %d: no machine", ErrInvalid, j, k)
			}
			usable := false
			for _, a := range op.Alternatives {
				if a.Machine < 0 || a.Machine >= p.Machines {
					return fmt.Errorf("%w: job %d: operation %d: machine %d out of range 0..%d", ErrInvalid, j, k, a.Machine, p.Machines-1)
				}
				if a.Duration < 0 {
					return fmt.Errorf("%w: job %d: operation %d: negative duration %d", ErrInvalid, j, k, a.Duration)
				}
				usable = usable || !forever[a.Machine]
			}
			if p.Changeover != nil && (op.Family < 0 || op.Family >= len(p.Changeover)) {
				return fmt.Errorf("%w: job %d: operation %d: family %d out of range 0..%d", ErrInvalid, j, k, op.Family, len(p.Changeover)-1)
			}
			if f := op.Fixed; f != nil {
				if k > 0 && job.Ops[k-1].Fixed == nil {
					return fmt.Errorf("%w: job %d: operation %d is fixed but operation %d before it is not", ErrInvalid, j, k, k-1)
				}
				if f.Machine < 0 || f.Machine >= p.Machines {
					return fmt.Errorf("%w: job %d: operation %d: fixed on machine %d out of range 0..%d", ErrInvalid, j, k, f.Machine, p.Machines-1)
				}
				if f.End < f.Start {
					return fmt.Errorf("%w: job %d: operation %d: fixed to end at %d before its start %d", ErrInvalid, j, k, f.End, f.Start)
				}
				if k > 0 && job.Ops[k-1].Fixed.End > f.Start {
					return fmt.Errorf("%w: job %d: operation %d: fixed to start at %d before operation %d ends at %d", ErrInvalid, j, k, f.Start, k-1, job.Ops[k-1].Fixed.End)
				}
				if fixed == nil {
					fixed = make([][]Fixed, p.Machines)
				}
				fixed[f.Machine] = append(fixed[f.Machine], *f)
				continue
			}
			if !usable {
				return fmt.Errorf("%w: job %d: operation %d: every machine that can run it is down for good", ErrInvalid, j, k)
			}
		}
	}
	for k, fs := range fixed {
		slices.SortFunc(fs, func(a, b Fixed) int { return cmp.Compare(a.Start, b.Start) })
		for i := 1; i < len(fs); i++ {
			if fs[i].Start < fs[i-1].End {
				return fmt.Errorf("%w: machine %d: fixed operations [%d, %d) and [%d, %d) overlap", ErrInvalid, k, fs[i-1].Start, fs[i-1].End, fs[i].Start, fs[i].End)
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
	take := func(what string, lo, hi int64) (int64, error) {
		if i >= len(f) {
			return 0, fmt.Errorf("line ends where the %s was expected", what)
		}
		v, err := parseInt(f[i], what, lo, hi)
		i++
		return v, err
	}
	n, err := take("number of operations", 1, 1<<20)
	if err != nil {
		return Job{}, err
	}
	job := Job{Ops: make([]Op, n)}
	for k := range n {
		na, err := take("number of machines", 1, int64(machines))
		if err != nil {
			return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
		}
		op := Op{Alternatives: make([]Alt, na)}
		for a := range na {
			m, err := take("machine", 1, int64(machines))
			if err != nil {
				return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
			}
			d, err := take("processing time", 0, 1<<40)
			if err != nil {
				return Job{}, fmt.Errorf("operation %d: %w", k+1, err)
			}
			op.Alternatives[a] = Alt{Machine: int(m - 1), Duration: d}
		}
		job.Ops[k] = op
	}
	if i < len(f) {
		return Job{}, fmt.Errorf("%d unexpected fields after its %d operations", len(f)-i, n)
	}
	return job, nil
}

// atoi parses a count, which fits an int on every platform (the bounds are at most 1<<20).
func atoi(s, what string, lo, hi int) (int, error) {
	v, err := parseInt(s, what, int64(lo), int64(hi))
	return int(v), err
}

// parseInt parses a decimal integer in lo..hi. It parses 64 bits wide on every platform: a
// processing time may pass what a 32-bit int holds.
func parseInt(s, what string, lo, hi int64) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
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
