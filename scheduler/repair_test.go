package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// shop is a studio-like problem: jobs of stages operations, stage s
// running on any of its own cells (cellsPerStage of them, each able to run
// it at a slightly different speed), a colour family at every stage with a
// changeover between colours, due dates spread over the horizon.
func shop(rng *rand.Rand, jobs, stages, cellsPerStage int, horizon int64) *Problem {
	const colours = 6
	p := &Problem{Machines: stages * cellsPerStage, Changeover: make([][]int64, colours)}
	for a := range colours {
		p.Changeover[a] = make([]int64, colours)
		for b := range colours {
			if a != b {
				p.Changeover[a][b] = 900 + 300*int64((a+b)%3)
			}
		}
	}
	for j := range jobs {
		job := Job{ID: fmt.Sprintf("wo-%d", j), Due: horizon/4 + rng.Int64N(horizon), Weight: 1 + rng.Int64N(3)}
		colour := rng.IntN(colours)
		for s := range stages {
			base := 1200 + rng.Int64N(6000)
			var op Op
			for c := range cellsPerStage {
				if len(op.Alternatives) < 2 || rng.IntN(2) == 0 {
					op.Alternatives = append(op.Alternatives, Alt{Machine: s*cellsPerStage + c, Duration: base + base*int64(c%3)/10})
				}
			}
			op.Family = colour
			job.Ops = append(job.Ops, op)
		}
		p.Jobs = append(p.Jobs, job)
	}
	return p
}

// freeze turns p and its schedule s into the problem of time now: what
// ended is done and what has started is running, both fixed where s put
// them; nothing else may start before now.
func freeze(p *Problem, s Schedule, now int64) *Problem {
	q := *p
	q.Jobs = slices.Clone(p.Jobs)
	for j := range q.Jobs {
		q.Jobs[j].Ops = slices.Clone(p.Jobs[j].Ops)
		q.Jobs[j].Release = max(q.Jobs[j].Release, now)
	}
	for _, a := range s.Ops {
		if a.Start < now {
			q.Jobs[a.Job].Ops[a.Op].Fixed = &Fixed{Machine: a.Machine, Start: a.Start, End: a.End}
		}
	}
	return &q
}

// machineOrders lists, per machine, the operations of s that are not fixed
// in q, in time order.
func machineOrders(q *Problem, s Schedule) map[int][][2]int {
	as := slices.Clone(s.Ops)
	slices.SortFunc(as, func(a, b Assignment) int { return int(a.Start - b.Start) })
	out := make(map[int][][2]int)
	for _, a := range as {
		if q.Jobs[a.Job].Ops[a.Op].Fixed == nil {
			out[a.Machine] = append(out[a.Machine], [2]int{a.Job, a.Op})
		}
	}
	return out
}

// TestRepairAfterFault: a plan runs until a cell faults for good in the
// middle of it. The repair keeps what runs and what is done, keeps every
// other cell's work in its order, and moves exactly the faulted cell's
// work that had not started.
func TestRepairAfterFault(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := shop(rng, 40, 3, 3, 40*3600)
	s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
	now := s.Makespan / 3
	q := freeze(p, s, now)
	var faulted int
	for _, a := range s.Ops {
		if a.Start < now && a.End > now {
			faulted = a.Machine // a cell with an operation running
			break
		}
	}
	q.Down = make([][]Interval, q.Machines)
	q.Down[faulted] = []Interval{{Start: now, End: Forever}}
	r, err := Repair(q, s)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(q, r); len(errs) > 0 {
		t.Fatalf("repair infeasible: %v", errs)
	}
	before, after := machineOrders(q, s), machineOrders(q, r)
	mustMove := before[faulted]
	if len(mustMove) == 0 {
		t.Fatal("the faulted cell had no work waiting: the test shows nothing")
	}
	if len(after[faulted]) > 0 {
		t.Errorf("%d operations still planned on the faulted cell", len(after[faulted]))
	}
	moved := 0
	for k, ops := range before {
		if k == faulted {
			continue
		}
		// After the repair k holds its own operations, in the same order,
		// with some of the faulted cell's work in between.
		var kept [][2]int
		for _, o := range after[k] {
			if !slices.Contains(mustMove, o) {
				kept = append(kept, o)
			}
		}
		if !slices.Equal(kept, ops) {
			t.Errorf("machine %d: order of its own work changed:\nbefore %v\nafter  %v", k, ops, kept)
		}
	}
	for _, a := range r.Ops {
		if b := s.Ops[slices.IndexFunc(s.Ops, func(b Assignment) bool { return b.Job == a.Job && b.Op == a.Op })]; b.Machine != a.Machine {
			moved++
		}
	}
	if moved != len(mustMove) {
		t.Errorf("%d operations changed cell, want exactly the %d of the faulted cell", moved, len(mustMove))
	}
}

// TestRepairNewJobs: a rush order arrives while others are planned and a
// finished job leaves the problem; the jobs are matched by ID, not index.
func TestRepairNewJobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := shop(rng, 20, 2, 2, 20*3600)
	s := solveChecked(t, p, Options{MaxIterations: 200, Seed: 1})
	q := *p
	q.Jobs = slices.Clone(p.Jobs[1:]) // job wo-0 is done and gone
	rush := Job{ID: "rush", Due: 4 * 3600, Weight: 5, Ops: []Op{
		{Alternatives: []Alt{{Machine: 0, Duration: 1800}, {Machine: 1, Duration: 1800}}},
		{Alternatives: []Alt{{Machine: 2, Duration: 1800}}},
	}}
	q.Jobs = append([]Job{rush}, q.Jobs...)
	r, err := Repair(&q, s)
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(&q, r); len(errs) > 0 {
		t.Fatalf("repair infeasible: %v", errs)
	}
	for _, a := range r.Ops {
		if a.JobID == "rush" {
			continue
		}
		i := slices.IndexFunc(s.Ops, func(b Assignment) bool { return b.JobID == a.JobID && b.Op == a.Op })
		if i < 0 || s.Ops[i].Machine != a.Machine {
			t.Errorf("%s operation %d moved or lost", a.JobID, a.Op)
		}
	}
	im, err := Improve(context.Background(), &q, r, Options{MaxIterations: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(&q, im); len(errs) > 0 {
		t.Fatalf("improve infeasible: %v", errs)
	}
	if (objective{im.Tardiness, im.Makespan, im.ChangeoverTime}).cmp(objective{r.Tardiness, r.Makespan, r.ChangeoverTime}) > 0 {
		t.Errorf("improve made the repaired plan worse")
	}
}

func TestRepairRejects(t *testing.T) {
	p := &Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{Alternatives: alt1(0, 1)}}}}}
	twice := Schedule{Ops: []Assignment{{Job: 0, Op: 0}, {Job: 0, Op: 0}}}
	if _, err := Repair(p, twice); err == nil {
		t.Error("a previous schedule naming an operation twice was accepted")
	}
	if _, err := Improve(context.Background(), p, Schedule{}, Options{MaxIterations: 1}); err == nil {
		t.Error("Improve accepted a schedule that lacks an operation")
	}
}

// BenchmarkScale: 10,000 work orders of 5 operations on 40 cells. The
// first feasible schedule is the dispatcher's; the repair moves the work
// of a cell that faults for good at the start.
func BenchmarkScale(b *testing.B) {
	p := shop(rand.New(rand.NewPCG(7, 7)), 10000, 5, 8, 90*86400)
	// A drop: 50,000 jobs due the same day, as the daemon plans at start.
	drop := shop(rand.New(rand.NewPCG(7, 8)), 50000, 5, 8, 90*86400)
	for j := range drop.Jobs {
		drop.Jobs[j].Due = 30 * 86400
	}
	b.Run("first-feasible-one-drop-50000", func(b *testing.B) {
		var s Schedule
		for b.Loop() {
			var err error
			if s, err = Dispatch(drop); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(s.Late), "late-jobs")
	})
	b.Run("first-feasible", func(b *testing.B) {
		var s Schedule
		for b.Loop() {
			var err error
			if s, err = Dispatch(p); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(s.Late), "late-jobs")
	})
	s, err := Dispatch(p)
	if err != nil {
		b.Fatal(err)
	}
	q := *p
	q.Down = make([][]Interval, q.Machines)
	q.Down[3] = []Interval{{Start: 0, End: Forever}}
	b.Run("repair-after-fault", func(b *testing.B) {
		var r Schedule
		for b.Loop() {
			if r, err = Repair(&q, s); err != nil {
				b.Fatal(err)
			}
		}
		moved := 0
		for i, a := range r.Ops {
			if a.Machine != s.Ops[i].Machine {
				moved++
			}
		}
		b.ReportMetric(float64(moved), "moved-ops")
		b.ReportMetric(float64(r.Late), "late-jobs")
	})
}
