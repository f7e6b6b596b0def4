package scheduler

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Repair adapts prev, a schedule of an earlier version of the problem, to
// p, moving only what it must. Jobs are matched by Job.ID (by index when
// the IDs are empty) and operations by their index in the job.
//
// An operation keeps its machine and its place in the machine's order
// unless it is new, its machine can no longer run it, or its machine is
// down for good before the operation would end (a cell in fault). Those
// operations are inserted one by one, the ones that had to move first in
// their old order, then new jobs by due date, each on the machine and at
// the place where it is estimated to end first. Fixed operations take
// their fixed times. Then the whole plan is re-timed: operations that
// finished early or late, downtime and changeovers shift what follows.
//
// Repair does not search; Improve can go on from its result. It fails only
// when p is invalid or prev names an operation twice; in the rare case
// where the kept order contradicts the problem, it falls back on Dispatch.
func Repair(p *Problem, prev Schedule) (Schedule, error) {
	if err := p.Validate(); err != nil {
		return Schedule{}, err
	}
	in := newInstance(p)
	pl, err := in.repair(prev)
	if err != nil {
		return Schedule{}, err
	}
	return in.scheduleOf(pl), nil
}

// firstOps returns the first operation of every job, and one past the
// last operation at index jobs.
func (in *instance) firstOps() []int {
	first := make([]int, in.jobs+1)
	v := 0
	for j := range in.jobs {
		first[j] = v
		if in.last[j] >= 0 {
			v = in.last[j] + 1
		}
	}
	first[in.jobs] = v
	return first
}

// matcher finds an operation of the instance by a previous schedule's
// assignment: job by ID, or by index when IDs are empty.
func (in *instance) matcher(first []int) func(a Assignment) int {
	byID := make(map[string]int, in.jobs)
	for j, id := range in.ids {
		if id != "" {
			byID[id] = j
		}
	}
	return func(a Assignment) int {
		j := a.Job
		if a.JobID != "" {
			var ok bool
			if j, ok = byID[a.JobID]; !ok {
				return -1
			}
		}
		if j < 0 || j >= in.jobs || a.Op < 0 || a.Op >= first[j+1]-first[j] {
			return -1
		}
		return first[j] + a.Op
	}
}

// duration is v's duration on machine k: the alternative whose duration
// matches want if there is one, else the shortest; false if k cannot run v.
func (in *instance) duration(v, k int, want int64) (int64, bool) {
	d, ok := int64(math.MaxInt64), false
	for _, a := range in.alts[v] {
		if a.Machine != k {
			continue
		}
		if a.Duration == want {
			return want, true
		}
		d, ok = min(d, a.Duration), true
	}
	return d, ok
}

// seedFixed puts the fixed operations at the head of their machines, in
// time order; the sequences must be empty.
func (in *instance) seedFixed(pl *plan) {
	var fixed []int
	for v, f := range in.fixed {
		if f != nil {
			fixed = append(fixed, v)
		}
	}
	sortByFixedStart(in, fixed)
	for _, v := range fixed {
		f := in.fixed[v]
		pl.mach[v], pl.dur[v] = f.Machine, f.End-f.Start
		pl.seq[f.Machine] = append(pl.seq[f.Machine], v)
	}
}

// planFrom rebuilds the plan of a schedule of this very problem.
func (in *instance) planFrom(s Schedule) (*plan, error) {
	pl := newPlan(in)
	in.seedFixed(pl)
	match := in.matcher(in.firstOps())
	seen := make([]bool, in.n)
	start := make([]int64, in.n)
	var rest []int
	for _, a := range s.Ops {
		v := match(a)
		if v < 0 {
			return nil, fmt.Errorf("scheduler: schedule names job %d (%q) operation %d, which the problem does not have", a.Job, a.JobID, a.Op)
		}
		if seen[v] {
			return nil, fmt.Errorf("scheduler: schedule names job %d operation %d twice", a.Job, a.Op)
		}
		seen[v] = true
		if in.fixed[v] != nil {
			continue
		}
		d, ok := in.duration(v, a.Machine, a.End-a.Start)
		if !ok {
			return nil, fmt.Errorf("scheduler: schedule puts job %d operation %d on machine %d, which cannot run it", a.Job, a.Op, a.Machine)
		}
		pl.mach[v], pl.dur[v], start[v] = a.Machine, d, a.Start
		rest = append(rest, v)
	}
	for v := range in.n {
		if !seen[v] && in.fixed[v] == nil {
			return nil, fmt.Errorf("scheduler: schedule lacks job %d operation %d", in.job[v], in.index[v])
		}
	}
	slices.SortFunc(rest, func(a, b int) int { return cmp.Or(cmp.Compare(start[a], start[b]), cmp.Compare(a, b)) })
	for _, v := range rest {
		pl.seq[pl.mach[v]] = append(pl.seq[pl.mach[v]], v)
	}
	if !pl.decode() {
		return nil, fmt.Errorf("scheduler: the schedule's machine orders contradict the jobs' order")
	}
	return pl, nil
}

func (in *instance) repair(prev Schedule) (*plan, error) {
	pl := newPlan(in)
	in.seedFixed(pl)
	match := in.matcher(in.firstOps())
	placed := make([]bool, in.n)
	estStart := make([]int64, in.n)
	estEnd := make([]int64, in.n)
	for v, f := range in.fixed {
		if f != nil {
			placed[v], estStart[v], estEnd[v] = true, f.Start, f.End
		}
	}
	var kept, moved []int
	seen := make([]bool, in.n)
	for _, a := range prev.Ops {
		v := match(a)
		if v < 0 || in.fixed[v] != nil {
			continue
		}
		if seen[v] {
			return nil, fmt.Errorf("scheduler: previous schedule names job %d operation %d twice", a.Job, a.Op)
		}
		seen[v] = true
		estStart[v], estEnd[v] = a.Start, a.End
		d, ok := in.duration(v, a.Machine, a.End-a.Start)
		if !ok || in.downForGood(a.Machine, max(a.Start, a.End-1)) {
			moved = append(moved, v)
			continue
		}
		pl.mach[v], pl.dur[v] = a.Machine, d
		placed[v] = true
		kept = append(kept, v)
	}
	byStart := func(a, b int) int { return cmp.Or(cmp.Compare(estStart[a], estStart[b]), cmp.Compare(a, b)) }
	slices.SortFunc(kept, byStart)
	for _, v := range kept {
		pl.seq[pl.mach[v]] = append(pl.seq[pl.mach[v]], v)
	}
	slices.SortFunc(moved, byStart)
	// New operations: by due date (none last), then job and operation.
	var fresh []int
	for v := range in.n {
		if !placed[v] && !seen[v] {
			fresh = append(fresh, v)
		}
	}
	slices.SortStableFunc(fresh, func(a, b int) int { return cmp.Compare(in.dueOrNever(a), in.dueOrNever(b)) })
	for _, v := range moved {
		in.insertEarliest(pl, v, estStart, estEnd, false)
	}
	for _, v := range fresh {
		in.insertEarliest(pl, v, estStart, estEnd, true)
	}
	if !pl.decode() {
		pl.dispatch(ruleEDD)
	}
	return pl, nil
}

// dueOrNever is the due date of v's job, the largest time when it has none.
func (in *instance) dueOrNever(v int) int64 {
	if d := in.due[in.job[v]]; d > 0 {
		return d
	}
	return math.MaxInt64
}

// insertEarliest puts v where it is estimated to start, in the time order
// of the machine's work, on the machine that then finishes its work first
// (ties: where v ends first, then the shortest duration). The machines'
// estimated times are kept up to date as work is pushed back, so that work
// moved from a failed machine spreads over those that can take it rather
// than piling onto one.
//
// A new operation (fresh) goes no earlier than after the last operation on
// the machine whose job is due no later than its own: new work does not
// jump ahead of work already planned unless it is due sooner.
func (in *instance) insertEarliest(pl *plan, v int, estStart, estEnd []int64, fresh bool) {
	ready := in.release[in.job[v]]
	if u := in.jp[v]; u >= 0 {
		ready = max(ready, estEnd[u])
	}
	bestK, bestI := -1, 0
	var bestDur, bestStart, bestEnd, bestDone int64
	for _, a := range in.alts[v] {
		k := a.Machine
		sq := pl.seq[k]
		lo := in.nfixed[k]
		i, _ := slices.BinarySearchFunc(sq[lo:], ready, func(x int, t int64) int {
			if estStart[x] < t {
				return -1
			}
			return 1
		})
		i += lo
		if fresh {
			for x := len(sq) - 1; x >= i; x-- {
				if in.dueOrNever(sq[x]) <= in.dueOrNever(v) {
					i = x + 1
					break
				}
			}
		}
		b := ready
		var setup int64
		if i > 0 {
			u := sq[i-1]
			setup = in.changeover(in.family[u], in.family[v])
			b = max(estEnd[u], ready-setup)
		}
		b, ok := in.fit(k, b, setup+a.Duration)
		if !ok {
			continue
		}
		end := b + setup + a.Duration
		done := in.push(pl, k, i, v, end, estStart, estEnd, false)
		if bestK < 0 || done < bestDone || (done == bestDone && (end < bestEnd || (end == bestEnd && a.Duration < bestDur))) {
			bestK, bestI, bestDur, bestStart, bestEnd, bestDone = k, i, a.Duration, b+setup, end, done
		}
	}
	if bestK < 0 {
		panic("scheduler: no machine can run a valid problem's operation")
	}
	pl.mach[v], pl.dur[v] = bestK, bestDur
	pl.seq[bestK] = slices.Insert(pl.seq[bestK], bestI, v)
	estStart[v], estEnd[v] = bestStart, bestEnd
	in.push(pl, bestK, bestI+1, v, bestEnd, estStart, estEnd, true)
}

// push pushes back the work of machine k from index i on behind v, which
// ends at end, until a gap absorbs the push, and returns when the machine
// is then done. It changes the estimates only when apply is set.
func (in *instance) push(pl *plan, k, i, v int, end int64, estStart, estEnd []int64, apply bool) int64 {
	sq := pl.seq[k]
	prev, t := v, end
	for _, x := range sq[i:] {
		need := t + in.changeover(in.family[prev], in.family[x])
		if estStart[x] >= need {
			return max(end, estEnd[sq[len(sq)-1]])
		}
		xEnd := estEnd[x] + need - estStart[x]
		if apply {
			estStart[x], estEnd[x] = need, xEnd
		}
		prev, t = x, xEnd
	}
	return t
}
