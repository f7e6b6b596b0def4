package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// ops1 is a job of single-machine operations with the given durations.
func alt1(m int, d int64) []Alt { return []Alt{{Machine: m, Duration: d}} }

func solveChecked(t *testing.T, p *Problem, opts Options) Schedule {
	t.Helper()
	s, err := Solve(context.Background(), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("infeasible: %v", errs)
	}
	return s
}

func find(t *testing.T, s Schedule, job, op int) Assignment {
	t.Helper()
	for _, a := range s.Ops {
		if a.Job == job && a.Op == op {
			return a
		}
	}
	t.Fatalf("operation %d/%d missing", job, op)
	return Assignment{}
}

// TestChangeovers: four jobs of alternating colours on one machine, a
// changeover of 10 between colours. Grouping the colours needs one
// changeover: makespan 4 + 10; the order as given needs three.
func TestChangeovers(t *testing.T) {
	p := &Problem{Machines: 1, Changeover: [][]int64{{0, 10}, {10, 0}}}
	for i := range 4 {
		p.Jobs = append(p.Jobs, Job{Ops: []Op{{Alternatives: alt1(0, 1), Family: i % 2}}})
	}
	d, err := Dispatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, d); len(errs) > 0 {
		t.Fatalf("dispatch infeasible: %v", errs)
	}
	s := solveChecked(t, p, Options{MaxIterations: 500, Seed: 1})
	if s.Makespan != 14 || s.Changeovers != 1 || s.ChangeoverTime != 10 {
		t.Errorf("makespan %d with %d changeovers (%d), want 14 with 1 (10); dispatch gave %d with %d",
			s.Makespan, s.Changeovers, s.ChangeoverTime, d.Makespan, d.Changeovers)
	}
}

func TestDowntime(t *testing.T) {
	tests := []struct {
		name     string
		p        Problem
		makespan int64
		machine  int // of job 0's first operation
	}{
		{
			name: "operation waits for the machine to come back",
			p: Problem{Machines: 1, Down: [][]Interval{{{Start: 3, End: 10}}},
				Jobs: []Job{{Ops: []Op{{Alternatives: alt1(0, 5)}}}}},
			makespan: 15,
		},
		{
			name: "short operation fits before the downtime",
			p: Problem{Machines: 1, Down: [][]Interval{{{Start: 3, End: 10}}},
				Jobs: []Job{{Ops: []Op{{Alternatives: alt1(0, 3)}}}}},
			makespan: 3,
		},
		{
			name: "the slower machine that is up wins",
			p: Problem{Machines: 2, Down: [][]Interval{{{Start: 2, End: 100}}},
				Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0, Duration: 4}, {Machine: 1, Duration: 6}}}}}}},
			makespan: 6, machine: 1,
		},
		{
			name: "a machine down for good is never used",
			p: Problem{Machines: 2, Down: [][]Interval{{{Start: 0, End: Forever}}},
				Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0, Duration: 1}, {Machine: 1, Duration: 9}}}}}}},
			makespan: 9, machine: 1,
		},
		{
			// A [0,3), then the changeover may not overlap [3,4): it runs
			// [4,6) and B [6,9). Either order ends at 9.
			name: "the changeover is outside the downtime too",
			p: Problem{Machines: 1, Down: [][]Interval{{{Start: 3, End: 4}}}, Changeover: [][]int64{{0, 2}, {2, 0}},
				Jobs: []Job{{Ops: []Op{{Alternatives: alt1(0, 3), Family: 0}}}, {Ops: []Op{{Alternatives: alt1(0, 3), Family: 1}}}}},
			makespan: 9,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := solveChecked(t, &tt.p, Options{MaxIterations: 200, Seed: 1})
			if s.Makespan != tt.makespan {
				t.Errorf("makespan %d, want %d", s.Makespan, tt.makespan)
			}
			if a := find(t, s, 0, 0); a.Machine != tt.machine {
				t.Errorf("job 0 on machine %d, want %d", a.Machine, tt.machine)
			}
		})
	}
}

// TestFixedOperations: job 0's first operation runs on machine 0 until 7
// and its second may go to machine 1; job 1 can only use machine 0, so it
// waits for the running operation. Job 2's first operation is done on
// machine 1 at 4: its second starts no earlier.
func TestFixedOperations(t *testing.T) {
	p := &Problem{Machines: 2, Jobs: []Job{
		{Ops: []Op{
			{Alternatives: alt1(0, 5), Fixed: &Fixed{Machine: 0, Start: 0, End: 7}},
			{Alternatives: []Alt{{Machine: 0, Duration: 2}, {Machine: 1, Duration: 2}}},
		}},
		{Ops: []Op{{Alternatives: alt1(0, 3)}}},
		{Ops: []Op{
			{Alternatives: alt1(1, 4), Fixed: &Fixed{Machine: 1, Start: 0, End: 4}},
			{Alternatives: alt1(0, 1)},
		}},
	}}
	s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
	if s.Makespan != 11 {
		t.Errorf("makespan %d, want 11", s.Makespan)
	}
	if a := find(t, s, 0, 1); a.Machine != 1 || a.Start != 7 {
		t.Errorf("job 0 operation 1 on machine %d at %d, want machine 1 at 7", a.Machine, a.Start)
	}
	if a := find(t, s, 1, 0); a.Start < 7 {
		t.Errorf("job 1 starts at %d, while machine 0 runs a fixed operation until 7", a.Start)
	}
}

// single is a one-machine problem whose optimum the tests find by trying
// every order: each job one operation with a release, a due date, a weight
// and a family.
type single struct {
	p    int64
	r, d int64
	w    int64
	fam  int
}

func singleProblem(jobs []single, co [][]int64) *Problem {
	p := &Problem{Machines: 1, Changeover: co}
	for _, j := range jobs {
		p.Jobs = append(p.Jobs, Job{Release: j.r, Due: j.d, Weight: j.w,
			Ops: []Op{{Alternatives: alt1(0, j.p), Family: j.fam}}})
	}
	return p
}

// bruteForce returns the best objective over every order of the jobs,
// each started as early as the order allows.
func bruteForce(jobs []single, co [][]int64) objective {
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	best := objective{tardiness: -1}
	var permute func(k int)
	permute = func(k int) {
		if k == len(order) {
			var o objective
			var t int64
			for i, j := range order {
				b := jobs[j]
				var setup int64
				if i > 0 && co != nil {
					setup = co[jobs[order[i-1]].fam][b.fam]
				}
				start := max(t+setup, b.r)
				t = start + b.p
				o.changeover += setup
				if b.d > 0 && t > b.d {
					o.tardiness += max(b.w, 1) * (t - b.d)
				}
			}
			o.makespan = t
			if best.tardiness < 0 || o.cmp(best) < 0 {
				best = o
			}
			return
		}
		for i := k; i < len(order); i++ {
			order[k], order[i] = order[i], order[k]
			permute(k + 1)
			order[k], order[i] = order[i], order[k]
		}
	}
	permute(0)
	return best
}

// TestDueDates compares the solver with every order on one machine.
func TestDueDates(t *testing.T) {
	co := [][]int64{{0, 5}, {5, 0}}
	tests := []struct {
		name string
		jobs []single
		co   [][]int64
	}{
		// Making the makespan short (A, A, B) would leave B one late:
		// lateness comes first, so A, B, A it is.
		{name: "lateness before makespan", co: co, jobs: []single{
			{p: 1, d: 1, fam: 0}, {p: 1, d: 7, fam: 1}, {p: 1, d: 100, fam: 0},
		}},
		{name: "weights", jobs: []single{
			{p: 3, d: 3, w: 1}, {p: 2, d: 3, w: 5}, {p: 4, d: 6, w: 2}, {p: 1, d: 2, w: 1}, {p: 2, d: 12, w: 3},
		}},
		{name: "releases", jobs: []single{
			{p: 2, r: 5, d: 8}, {p: 3, d: 4}, {p: 2, r: 1, d: 6}, {p: 4, d: 20}, {p: 1, r: 9, d: 11},
		}},
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 6 {
		var jobs []single
		for range 6 {
			jobs = append(jobs, single{p: 1 + rng.Int64N(6), r: rng.Int64N(8), d: 3 + rng.Int64N(20), w: 1 + rng.Int64N(3), fam: rng.IntN(2)})
		}
		tests = append(tests, struct {
			name string
			jobs []single
			co   [][]int64
		}{fmt.Sprintf("random %d", i), jobs, co})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := singleProblem(tt.jobs, tt.co)
			want := bruteForce(tt.jobs, tt.co)
			s := solveChecked(t, p, Options{MaxIterations: 3000, Seed: 1})
			got := objective{s.Tardiness, s.Makespan, s.ChangeoverTime}
			if got != want {
				t.Errorf("objective %+v, want the optimum %+v", got, want)
			}
		})
	}
}

// TestDueDatesBeatDispatch: two machines where the earliest-due-date rule
// makes a heavy job late and the search does not.
func TestDueDatesBeatDispatch(t *testing.T) {
	both := func(d0, d1 int64) []Alt { return []Alt{{Machine: 0, Duration: d0}, {Machine: 1, Duration: d1}} }
	p := &Problem{Machines: 2, Jobs: []Job{
		{Due: 4, Ops: []Op{{Alternatives: both(4, 4)}}},
		{Due: 5, Ops: []Op{{Alternatives: both(5, 5)}}},
		{Due: 6, Weight: 10, Ops: []Op{{Alternatives: both(2, 6)}, {Alternatives: both(4, 4)}}},
	}}
	d, err := Dispatch(p)
	if err != nil {
		t.Fatal(err)
	}
	s := solveChecked(t, p, Options{MaxIterations: 500, Seed: 3})
	if s.Tardiness >= d.Tardiness {
		t.Errorf("search tardiness %d, dispatch %d: want the search strictly better", s.Tardiness, d.Tardiness)
	}
	t.Logf("dispatch: tardiness %d makespan %d; search: tardiness %d makespan %d", d.Tardiness, d.Makespan, s.Tardiness, s.Makespan)
}

// TestDispatchFirstComeFirstServed: among jobs due the same day the
// earliest-due-date rule takes the one that is ready first, not the one with
// the lowest index, when both wait for the same machine: a drop's work is
// served in the order it arrives. (Ranking such ties by start, which moves
// as machines fill, made a drop of 50,000 work orders take minutes.)
func TestDispatchFirstComeFirstServed(t *testing.T) {
	p := &Problem{Machines: 1, Jobs: []Job{
		{ID: "busy", Due: 100, Ops: []Op{{Alternatives: alt1(0, 20)}}},
		{ID: "later", Due: 100, Release: 18, Ops: []Op{{Alternatives: alt1(0, 5)}}},
		{ID: "sooner", Due: 100, Release: 15, Ops: []Op{{Alternatives: alt1(0, 5)}}},
	}}
	s, err := Dispatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("infeasible: %v", errs)
	}
	for _, want := range []struct {
		job        int
		start, end int64
	}{{0, 0, 20}, {2, 20, 25}, {1, 25, 30}} {
		if a := find(t, s, want.job, 0); a.Start != want.start || a.End != want.end {
			t.Errorf("job %s at [%d, %d), want [%d, %d)", p.Jobs[want.job].ID, a.Start, a.End, want.start, want.end)
		}
	}
}

// TestDispatchGroupsWaitingFamilies: work due the same day and waiting together runs family by
// family, whatever the order of the jobs: one changeover instead of three.
func TestDispatchGroupsWaitingFamilies(t *testing.T) {
	p := &Problem{Machines: 1, Changeover: [][]int64{{0, 10}, {10, 0}}}
	for i := range 4 {
		p.Jobs = append(p.Jobs, Job{Due: 50, Ops: []Op{{Alternatives: alt1(0, 1), Family: i % 2}}})
	}
	s, err := Dispatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("infeasible: %v", errs)
	}
	if s.Changeovers != 1 || s.Makespan != 14 {
		t.Errorf("%d changeovers, makespan %d; want 1 and 14", s.Changeovers, s.Makespan)
	}
}

// randomProblem is a small problem with every feature: releases, due
// dates, weights, changeovers, downtime and, when fixed, a running
// operation per machine at time 0.
func randomProblem(rng *rand.Rand, jobs, machines int, fixed bool) *Problem {
	fams := 3
	p := &Problem{Machines: machines, Changeover: make([][]int64, fams), Down: make([][]Interval, machines)}
	for a := range fams {
		p.Changeover[a] = make([]int64, fams)
		for b := range fams {
			if a != b {
				p.Changeover[a][b] = 1 + rng.Int64N(5)
			}
		}
	}
	for k := range machines {
		for i := range rng.IntN(3) {
			s := int64(i*40) + rng.Int64N(30)
			p.Down[k] = append(p.Down[k], Interval{Start: s, End: s + 1 + rng.Int64N(10)})
		}
	}
	busy := make([]bool, machines)
	for j := range jobs {
		job := Job{ID: fmt.Sprintf("wo-%d", j), Release: rng.Int64N(20), Weight: 1 + rng.Int64N(3)}
		if rng.IntN(3) > 0 {
			job.Due = 20 + rng.Int64N(80)
		}
		for k := range 1 + rng.IntN(4) {
			var op Op
			for m := range machines {
				if rng.IntN(2) == 0 || (m == machines-1 && len(op.Alternatives) == 0) {
					op.Alternatives = append(op.Alternatives, Alt{Machine: m, Duration: 1 + rng.Int64N(12)})
				}
			}
			op.Family = rng.IntN(fams)
			if fixed && k == 0 && !busy[op.Alternatives[0].Machine] && rng.IntN(2) == 0 {
				m := op.Alternatives[0].Machine
				busy[m] = true
				op.Fixed = &Fixed{Machine: m, Start: 0, End: 1 + rng.Int64N(8)}
			}
			job.Ops = append(job.Ops, op)
		}
		p.Jobs = append(p.Jobs, job)
	}
	return p
}

// TestRandomProblems throws every feature at once at the solver, the
// dispatcher, Repair and Improve, and checks each schedule from scratch.
func TestRandomProblems(t *testing.T) {
	for seed := range 30 {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		p := randomProblem(rng, 3+rng.IntN(8), 1+rng.IntN(4), seed%2 == 0)
		if err := p.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		d, err := Dispatch(p)
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkSchedule(p, d); len(errs) > 0 {
			t.Fatalf("seed %d: dispatch infeasible: %v", seed, errs)
		}
		s, err := Solve(context.Background(), p, Options{MaxIterations: 200, Seed: int64(seed), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkSchedule(p, s); len(errs) > 0 {
			t.Fatalf("seed %d: solve infeasible: %v", seed, errs)
		}
		if (objective{s.Tardiness, s.Makespan, s.ChangeoverTime}).cmp(objective{d.Tardiness, d.Makespan, d.ChangeoverTime}) > 0 {
			t.Errorf("seed %d: the search returned worse than the dispatch it starts from", seed)
		}
		// A machine fails for good at 10: repair, then improve.
		q := *p
		q.Down = slices.Clone(p.Down)
		k := rng.IntN(p.Machines)
		q.Down[k] = append(slices.Clone(q.Down[k]), Interval{Start: 10, End: Forever})
		if q.Validate() != nil {
			continue // some operation could only run there
		}
		r, err := Repair(&q, s)
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkSchedule(&q, r); len(errs) > 0 {
			t.Fatalf("seed %d: repair infeasible: %v", seed, errs)
		}
		im, err := Improve(context.Background(), &q, r, Options{MaxIterations: 100, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkSchedule(&q, im); len(errs) > 0 {
			t.Fatalf("seed %d: improve infeasible: %v", seed, errs)
		}
	}
}

func TestSolveDeterministicWithDueDates(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(9, 9)), 12, 3, true)
	opts := Options{MaxIterations: 300, Seed: 42, Workers: 2}
	a := solveChecked(t, p, opts)
	b := solveChecked(t, p, opts)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs with seed 42 differ: %+v and %+v", a, b)
	}
}

// TestCheckScheduleRejectsConstraints shows the checker catches what the
// constructed cases rely on: each corruption of a feasible schedule of a
// problem with every feature must be reported.
func TestCheckScheduleRejectsConstraints(t *testing.T) {
	p := &Problem{Machines: 2, Changeover: [][]int64{{0, 4}, {4, 0}},
		Down: [][]Interval{{{Start: 30, End: 40}}},
		Jobs: []Job{
			{Release: 2, Due: 9, Ops: []Op{{Alternatives: alt1(0, 3), Family: 0}, {Alternatives: alt1(1, 2)}}},
			{Due: 20, Ops: []Op{{Alternatives: alt1(0, 3), Family: 1}}},
			{Ops: []Op{{Alternatives: alt1(1, 1), Fixed: &Fixed{Machine: 1, Start: 0, End: 2}}}},
		}}
	good := solveChecked(t, p, Options{MaxIterations: 100, Seed: 1})
	idx := func(s Schedule, job, op int) int {
		return slices.IndexFunc(s.Ops, func(a Assignment) bool { return a.Job == job && a.Op == op })
	}
	shift := func(s *Schedule, job, op int, to int64) {
		a := &s.Ops[idx(*s, job, op)]
		a.End, a.Start = to+a.End-a.Start, to
	}
	tests := []struct {
		name    string
		corrupt func(s *Schedule)
	}{
		{"fixed operation moved", func(s *Schedule) { shift(s, 2, 0, 1) }},
		{"started before release", func(s *Schedule) { shift(s, 0, 0, 0) }},
		{"changeover skipped", func(s *Schedule) {
			a, b := s.Ops[idx(*s, 0, 0)], s.Ops[idx(*s, 1, 0)]
			if a.Start < b.Start {
				shift(s, 1, 0, a.End)
			} else {
				shift(s, 0, 0, b.End)
			}
		}},
		{"during downtime", func(s *Schedule) { shift(s, 1, 0, 31) }},
		{"tardiness misreported", func(s *Schedule) { s.Tardiness++ }},
		{"late count misreported", func(s *Schedule) { s.Late++ }},
		{"changeovers misreported", func(s *Schedule) { s.ChangeoverTime-- }},
		{"job end misreported", func(s *Schedule) { s.JobEnd[1]++ }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			s.Ops = slices.Clone(good.Ops)
			s.JobEnd = slices.Clone(good.JobEnd)
			tt.corrupt(&s)
			if errs := checkSchedule(p, s); len(errs) == 0 {
				t.Errorf("corrupted schedule accepted: %+v", s.Ops)
			}
		})
	}
}
