package scheduler

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// rule orders the operations a dispatcher may schedule next.
type rule int

const (
	// ruleEDD takes the operation of the job due first, then the one whose
	// job is ready first (its previous operation ends first), then the one
	// of the lowest changeover family: among work due the same day, first
	// come, first served, and what waits together runs family by family.
	ruleEDD rule = iota
	// ruleEST takes the operation that can start first, then the one due
	// first: no machine waits while work it could do is waiting.
	ruleEST
)

// Dispatch schedules p with the earliest-due-date dispatching rule, without
// any search: operations whose job predecessor is scheduled compete, the
// one of the job due first wins (then the one whose job is ready first,
// then the one of the lowest changeover family, then the lowest job), and
// goes to the machine that finishes it first.
// Jobs without a due date come after those with one. It is the baseline
// Solve is measured against and the first schedule at scale: every
// operation is ranked once, when its job is ready for it, so it takes
// O(n log n) however many jobs share a due date.
func Dispatch(p *Problem) (Schedule, error) {
	if err := p.Validate(); err != nil {
		return Schedule{}, err
	}
	in := newInstance(p)
	pl := newPlan(in)
	pl.dispatch(ruleEDD)
	return in.scheduleOf(pl), nil
}

// candidate is an operation ready to be dispatched with its rank: at is
// when its job is ready for it under ruleEDD, its start at its best
// placement as last computed under ruleEST.
type candidate struct {
	v       int
	due, at int64
	family  int
	job     int
}

type candidates struct {
	items []candidate
	rule  rule
}

func (h *candidates) Len() int { return len(h.items) }
func (h *candidates) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if h.rule == ruleEDD && a.due != b.due {
		return a.due < b.due
	}
	if a.at != b.at {
		return a.at < b.at
	}
	if a.due != b.due {
		return a.due < b.due
	}
	if h.rule == ruleEDD && a.family != b.family {
		return a.family < b.family
	}
	return a.job < b.job
}
func (h *candidates) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *candidates) Push(x any)    { h.items = append(h.items, x.(candidate)) }
func (h *candidates) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// dispatch builds the plan by list scheduling with rule, keeping the fixed
// operations where they are, then decodes it.
//
// Under ruleEDD a candidate's rank never changes once it is a candidate:
// each operation is pushed and popped once. Under ruleEST every
// operation's placement only gets later as machines fill up, so a
// candidate popped with a stale start is recomputed and pushed back: the
// heap needs no updates in place, but work that competes for the same
// machines is ranked again each time one of them fills. (Ranking ties of
// due date by start under ruleEDD did the same, and a book of one drop,
// tens of thousands of jobs due the same day, took minutes.)
func (p *plan) dispatch(r rule) {
	in := p.in
	for k := range p.seq {
		p.seq[k] = p.seq[k][:0]
	}
	free := make([]int64, in.m) // when each machine is free
	lastFam := make([]int, in.m)
	busy := make([]bool, in.m) // whether a machine has run anything yet
	ready := make([]int64, in.jobs)
	copy(ready, in.release)
	// Fixed operations open their machines' sequences in time order.
	in.seedFixed(p)
	for k, sq := range p.seq {
		for _, v := range sq {
			free[k] = max(free[k], in.fixed[v].End)
			lastFam[k], busy[k] = in.family[v], true
			ready[in.job[v]] = max(ready[in.job[v]], in.fixed[v].End)
		}
	}
	// place finds v's best machine: the earliest end, then the shortest
	// duration, then the lowest machine.
	place := func(v int) (alt Alt, start int64) {
		bestEnd := int64(math.MaxInt64)
		start = math.MaxInt64
		for _, a := range in.alts[v] {
			k := a.Machine
			var setup int64
			b := ready[in.job[v]]
			if busy[k] {
				setup = in.changeover(lastFam[k], in.family[v])
				b = max(free[k], b-setup)
			}
			b, ok := in.fit(k, b, setup+a.Duration)
			if !ok {
				continue
			}
			end := b + setup + a.Duration
			if end < bestEnd || (end == bestEnd && a.Duration < alt.Duration) {
				alt, start, bestEnd = a, b+setup, end
			}
		}
		return alt, start
	}
	h := &candidates{rule: r}
	// rank is a new candidate's rank: see candidate.
	rank := func(v int) int64 {
		if r == ruleEDD {
			return ready[in.job[v]]
		}
		_, st := place(v)
		return st
	}
	due := func(j int) int64 {
		if in.due[j] > 0 {
			return in.due[j]
		}
		return math.MaxInt64
	}
	for j := range in.jobs {
		v := in.last[j]
		if v < 0 {
			continue
		}
		for in.jp[v] >= 0 {
			v = in.jp[v]
		}
		for v >= 0 && in.fixed[v] != nil {
			v = in.js[v]
		}
		if v >= 0 {
			h.items = append(h.items, candidate{v: v, due: due(j), at: rank(v), family: in.family[v], job: j})
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		c := heap.Pop(h).(candidate)
		a, st := place(c.v)
		if st == math.MaxInt64 {
			panic("scheduler: no machine can run a valid problem's operation")
		}
		if r == ruleEST && st > c.at {
			c.at = st
			heap.Push(h, c)
			continue
		}
		v, k := c.v, a.Machine
		p.mach[v], p.dur[v] = k, a.Duration
		p.seq[k] = append(p.seq[k], v)
		free[k], lastFam[k], busy[k] = st+a.Duration, in.family[v], true
		ready[c.job] = st + a.Duration
		if w := in.js[v]; w >= 0 {
			heap.Push(h, candidate{v: w, due: c.due, at: rank(w), family: in.family[w], job: c.job})
		}
	}
	if !p.decode() {
		panic("scheduler: dispatched plan does not decode")
	}
}

func sortByFixedStart(in *instance, ops []int) {
	slices.SortFunc(ops, func(a, b int) int {
		fa, fb := in.fixed[a], in.fixed[b]
		return cmp.Or(cmp.Compare(fa.Start, fb.Start), cmp.Compare(fa.End, fb.End), cmp.Compare(a, b))
	})
}
