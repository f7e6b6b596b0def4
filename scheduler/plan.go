package scheduler

import (
	"cmp"
	"math"
)

// objective is what the scheduler minimises, in this order: weighted
// tardiness, makespan, total changeover time.
type objective struct {
	tardiness, makespan, changeover int64
}

func (a objective) cmp(b objective) int {
	if c := cmp.Compare(a.tardiness, b.tardiness); c != 0 {
		return c
	}
	if c := cmp.Compare(a.makespan, b.makespan); c != 0 {
		return c
	}
	return cmp.Compare(a.changeover, b.changeover)
}

// plan is a solution of any instance: a machine and a duration per
// operation and an order per machine, fixed operations first. decode turns
// it into times.
type plan struct {
	in   *instance
	mach []int
	dur  []int64
	seq  [][]int

	start, end, setup []int64
	obj               objective

	mp, ms, indeg, queue []int
}

func newPlan(in *instance) *plan {
	return &plan{
		in: in, mach: make([]int, in.n), dur: make([]int64, in.n), seq: make([][]int, in.m),
		start: make([]int64, in.n), end: make([]int64, in.n), setup: make([]int64, in.n),
		mp: make([]int, in.n), ms: make([]int, in.n), indeg: make([]int, in.n), queue: make([]int, 0, in.n),
	}
}

func (p *plan) copyFrom(o *plan) {
	copy(p.mach, o.mach)
	copy(p.dur, o.dur)
	for k := range p.seq {
		p.seq[k] = append(p.seq[k][:0], o.seq[k]...)
	}
	copy(p.start, o.start)
	copy(p.end, o.end)
	copy(p.setup, o.setup)
	p.obj = o.obj
}

// decode computes the earliest times the plan allows, operation by
// operation in a topological order of the job and machine sequences: an
// operation starts once its job's previous operation has ended, its
// release has come and its machine has finished the operation before it
// and the changeover between the two, all outside the machine's downtime.
// Fixed operations keep their times. decode reports false when the
// sequences contradict the jobs' order (a cycle) or an operation would
// have to wait for a machine that is down for good.
func (p *plan) decode() bool {
	in := p.in
	for _, sq := range p.seq {
		prev := -1
		for _, v := range sq {
			p.mp[v], p.ms[v] = prev, -1
			if prev >= 0 {
				p.ms[prev] = v
			}
			prev = v
		}
	}
	p.queue = p.queue[:0]
	for v := range in.n {
		d := 0
		if in.jp[v] >= 0 {
			d++
		}
		if p.mp[v] >= 0 {
			d++
		}
		p.indeg[v] = d
		if d == 0 {
			p.queue = append(p.queue, v)
		}
	}
	var obj objective
	for i := 0; i < len(p.queue); i++ {
		v := p.queue[i]
		if f := in.fixed[v]; f != nil {
			p.start[v], p.end[v], p.setup[v] = f.Start, f.End, 0
		} else {
			j := in.job[v]
			ready := in.release[j]
			if u := in.jp[v]; u >= 0 {
				ready = max(ready, p.end[u])
			}
			var setup int64
			b := ready
			if u := p.mp[v]; u >= 0 {
				setup = in.changeover(in.family[u], in.family[v])
				b = max(p.end[u], ready-setup)
			}
			b, ok := in.fit(p.mach[v], b, setup+p.dur[v])
			if !ok {
				return false
			}
			p.start[v], p.setup[v] = b+setup, setup
			p.end[v] = b + setup + p.dur[v]
			obj.changeover += setup
		}
		obj.makespan = max(obj.makespan, p.end[v])
		if w := in.js[v]; w >= 0 {
			if p.indeg[w]--; p.indeg[w] == 0 {
				p.queue = append(p.queue, w)
			}
		}
		if w := p.ms[v]; w >= 0 {
			if p.indeg[w]--; p.indeg[w] == 0 {
				p.queue = append(p.queue, w)
			}
		}
	}
	if len(p.queue) != in.n {
		return false
	}
	for j, v := range in.last {
		if v >= 0 && in.due[j] > 0 && p.end[v] > in.due[j] {
			obj.tardiness = satAdd(obj.tardiness, satMul(in.weight[j], p.end[v]-in.due[j]))
		}
	}
	p.obj = obj
	return true
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}
