package scheduler

import (
	"cmp"
	"slices"
)

// instance is a Problem flattened for the search: operations numbered
// 0..n-1 job by job.
type instance struct {
	n, m   int
	job    []int // job of each operation
	index  []int // position of each operation in its job
	jp, js []int // previous and next operation of the same job, -1 if none
	alts   [][]Alt
	lb     int64 // a lower bound on the makespan of a classic instance

	jobs    int
	last    []int // last operation of each job, -1 if it has none
	release []int64
	due     []int64 // zero when the job has no due date
	weight  []int64
	family  []int
	co      [][]int64    // nil when there are no changeovers
	down    [][]Interval // per machine, sorted and merged
	fixed   []*Fixed
	nfixed  []int // fixed operations per machine: they open its sequence
	ids     []string

	// classic is true when the instance has none of release dates, due
	// dates, changeovers, downtime and fixed operations: the makespan tabu
	// search applies.
	classic bool
}

func newInstance(p *Problem) *instance {
	in := &instance{m: p.Machines, jobs: len(p.Jobs), classic: true}
	in.last = make([]int, in.jobs)
	in.release = make([]int64, in.jobs)
	in.due = make([]int64, in.jobs)
	in.weight = make([]int64, in.jobs)
	in.ids = make([]string, in.jobs)
	in.nfixed = make([]int, in.m)
	var work int64
	for j, job := range p.Jobs {
		in.ids[j] = job.ID
		in.release[j] = job.Release
		in.due[j] = max(job.Due, 0)
		in.weight[j] = max(job.Weight, 1)
		if job.Release != 0 || job.Due > 0 {
			in.classic = false
		}
		in.last[j] = -1
		var jobWork int64
		for k, op := range job.Ops {
			v := len(in.job)
			in.job = append(in.job, j)
			in.index = append(in.index, k)
			in.jp = append(in.jp, -1)
			in.js = append(in.js, -1)
			if k > 0 {
				in.jp[v] = v - 1
				in.js[v-1] = v
			}
			in.last[j] = v
			in.alts = append(in.alts, op.Alternatives)
			in.family = append(in.family, op.Family)
			in.fixed = append(in.fixed, op.Fixed)
			if op.Fixed != nil {
				in.classic = false
				in.nfixed[op.Fixed.Machine]++
			}
			d := op.Alternatives[0].Duration
			for _, a := range op.Alternatives {
				d = min(d, a.Duration)
			}
			jobWork += d
		}
		work += jobWork
		in.lb = max(in.lb, jobWork)
	}
	in.n = len(in.job)
	in.lb = max(in.lb, (work+int64(in.m)-1)/int64(in.m))
	for _, row := range p.Changeover {
		for _, d := range row {
			if d != 0 {
				in.co = p.Changeover
				in.classic = false
			}
		}
	}
	in.down = make([][]Interval, in.m)
	for k, ivs := range p.Down {
		if len(ivs) == 0 {
			continue
		}
		in.classic = false
		s := slices.Clone(ivs)
		slices.SortFunc(s, func(a, b Interval) int { return cmp.Compare(a.Start, b.Start) })
		merged := s[:1]
		for _, iv := range s[1:] {
			if top := &merged[len(merged)-1]; iv.Start <= top.End {
				top.End = max(top.End, iv.End)
			} else {
				merged = append(merged, iv)
			}
		}
		in.down[k] = merged
	}
	return in
}

// changeover is the time machine needs between an operation of family a
// and one of family b.
func (in *instance) changeover(a, b int) int64 {
	if in.co == nil {
		return 0
	}
	return in.co[a][b]
}

// fit returns the earliest time b' >= b at which machine k is up during
// [b', b'+length), or false if the machine goes down for good first. A
// zero length still needs the machine up at b'.
func (in *instance) fit(k int, b, length int64) (int64, bool) {
	ivs := in.down[k]
	if len(ivs) == 0 {
		return b, true
	}
	i, _ := slices.BinarySearchFunc(ivs, b, func(iv Interval, t int64) int {
		if iv.End <= t {
			return -1
		}
		return 1
	})
	for ; i < len(ivs); i++ {
		iv := ivs[i]
		if iv.Start >= b+max(length, 1) {
			break
		}
		if iv.End == Forever {
			return 0, false
		}
		b = iv.End
	}
	return b, true
}

// downForGood reports whether machine k is down for good from some time
// at or before t.
func (in *instance) downForGood(k int, t int64) bool {
	ivs := in.down[k]
	return len(ivs) > 0 && ivs[len(ivs)-1].End == Forever && ivs[len(ivs)-1].Start <= t
}

// scheduleOf reports a decoded plan.
func (in *instance) scheduleOf(p *plan) Schedule {
	out := Schedule{
		Makespan: p.obj.makespan, Tardiness: p.obj.tardiness, ChangeoverTime: p.obj.changeover,
		JobEnd: make([]int64, in.jobs), Ops: make([]Assignment, in.n),
	}
	for v := range in.n {
		out.Ops[v] = Assignment{
			JobID: in.ids[in.job[v]], Job: in.job[v], Op: in.index[v], Machine: p.mach[v],
			Start: p.start[v], End: p.end[v], Changeover: p.setup[v],
		}
		if p.setup[v] > 0 {
			out.Changeovers++
		}
	}
	for j, v := range in.last {
		out.JobEnd[j] = in.release[j]
		if v >= 0 {
			out.JobEnd[j] = p.end[v]
			if in.due[j] > 0 && p.end[v] > in.due[j] {
				out.Late++
			}
		}
	}
	return out
}
