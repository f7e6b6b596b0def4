package scheduler

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
)

// The local search for instances with due dates, changeovers, downtime or
// fixed operations. Its moves are those of the makespan tabu search (take an
// operation on a critical chain out and insert it elsewhere on any of its
// machines) but every move is evaluated by decoding the whole plan, since
// the objective is no longer a longest path. The chain is the one that
// makes the worst of the objective: the operations that delay a late job,
// or those that make the makespan when no job is late.

// lsMove inserts v on machine k at index i of k's sequence without v.
type lsMove struct {
	v, k, i int
	dur     int64
	obj     objective
}

type tabuKey struct{ v, k, u int }

type local struct {
	in               *instance
	rng              *rand.Rand
	cur, trial, best *plan
	tabu             map[tabuKey]int64
	opTabu           map[int]int64
	iter             int64
	chain, pos       []int
	sample           []int
	pace             *pacer
}

// sampleSize bounds how many chain operations one iteration tries to move,
// so that an iteration stays cheap on large plans.
const sampleSize = 8

// improve searches from start until ctx ends or maxIter iterations have run
// (zero: no bound) and returns the best plan found, decoded. pace, when not
// nil, is ticked for every operation an iteration tries to move.
func improve(ctx context.Context, in *instance, rng *rand.Rand, start *plan, maxIter int64, pace *pacer) *plan {
	ls := &local{
		in: in, rng: rng, cur: newPlan(in), trial: newPlan(in), best: newPlan(in),
		tabu: make(map[tabuKey]int64), opTabu: make(map[int]int64), pace: pace,
	}
	ls.cur.copyFrom(start)
	ls.cur.decode()
	ls.trial.copyFrom(ls.cur)
	ls.best.copyFrom(ls.cur)
	stall, stallLimit := 0, 50+min(in.n, 400)
	for ls.iter = 1; maxIter <= 0 || ls.iter <= maxIter; ls.iter++ {
		if ls.best.obj.tardiness == 0 && ls.best.obj.changeover == 0 && ls.best.obj.makespan <= in.lb && in.classic {
			break
		}
		if ctx.Err() != nil {
			break
		}
		if ls.iter%4096 == 0 {
			ls.forget()
		}
		mv, ok := ls.bestMove(ctx)
		if ctx.Err() != nil {
			break
		}
		if !ok {
			ls.perturb()
			continue
		}
		old, oldPrev := ls.cur.mach[mv.v], ls.cur.mp[mv.v]
		ls.apply(mv)
		ls.tabu[tabuKey{mv.v, old, oldPrev}] = ls.iter + int64(3+ls.rng.IntN(8))
		ls.opTabu[mv.v] = ls.iter + int64(ls.rng.IntN(3))
		if ls.cur.obj.cmp(ls.best.obj) < 0 {
			ls.best.copyFrom(ls.cur)
			stall = 0
		} else if stall++; stall > stallLimit {
			if ls.rng.IntN(2) == 0 {
				ls.restore(ls.best)
			}
			ls.perturb()
			stall = 0
		}
	}
	return ls.best
}

// forget drops the tabu entries that have expired, so that the maps stay
// small however long the search runs.
func (ls *local) forget() {
	maps.DeleteFunc(ls.tabu, func(_ tabuKey, until int64) bool { return until < ls.iter })
	maps.DeleteFunc(ls.opTabu, func(_ int, until int64) bool { return until < ls.iter })
}

// restore makes the current plan a copy of o.
func (ls *local) restore(o *plan) {
	ls.cur.copyFrom(o)
	ls.cur.decode()
	ls.trial.copyFrom(ls.cur)
}

// apply makes mv on the current plan and the trial's sequences.
func (ls *local) apply(mv lsMove) {
	insert(ls.cur, mv.v, mv.k, mv.i, mv.dur)
	insert(ls.trial, mv.v, mv.k, mv.i, mv.dur)
	if !ls.cur.decode() {
		panic("scheduler: a move that decoded on trial does not decode")
	}
}

// insert moves v to index i of machine k's sequence without v, with
// duration dur, and returns how to undo it: v's machine, index and
// duration before.
func insert(p *plan, v, k, i int, dur int64) (int, int, int64) {
	old, oldDur := p.mach[v], p.dur[v]
	sq := p.seq[old]
	oldIdx := slices.Index(sq, v)
	p.seq[old] = slices.Delete(sq, oldIdx, oldIdx+1)
	p.seq[k] = slices.Insert(p.seq[k], i, v)
	p.mach[v], p.dur[v] = k, dur
	return old, oldIdx, oldDur
}

// criticalChain walks back from the operation that makes the worst of the
// objective along the predecessors that hold each operation up, and lists
// the operations met that are not fixed.
func (ls *local) criticalChain() []int {
	in, p := ls.in, ls.cur
	target := -1
	if p.obj.tardiness > 0 {
		var worst int64
		n := 0
		for j, v := range in.last {
			if v < 0 || in.due[j] <= 0 || p.end[v] <= in.due[j] {
				continue
			}
			n++
			if t := in.weight[j] * (p.end[v] - in.due[j]); t > worst {
				worst, target = t, v
			}
		}
		if n > 1 && ls.rng.IntN(2) == 0 {
			k := ls.rng.IntN(n)
			for j, v := range in.last {
				if v >= 0 && in.due[j] > 0 && p.end[v] > in.due[j] {
					if k == 0 {
						target = v
						break
					}
					k--
				}
			}
		}
	} else {
		n := 0
		for v := range in.n {
			if p.end[v] == p.obj.makespan && in.fixed[v] == nil {
				if n++; ls.rng.IntN(n) == 0 {
					target = v
				}
			}
		}
	}
	ls.chain = ls.chain[:0]
	for v := target; v >= 0 && in.fixed[v] == nil; {
		ls.chain = append(ls.chain, v)
		u, w := in.jp[v], p.mp[v]
		byJob := u >= 0 && p.end[u] == p.start[v]
		byMachine := w >= 0 && p.end[w]+p.setup[v] == p.start[v]
		switch {
		case byJob && byMachine:
			if ls.rng.IntN(2) == 0 {
				v = u
			} else {
				v = w
			}
		case byJob:
			v = u
		case byMachine:
			v = w
		default:
			v = -1
		}
	}
	return ls.chain
}

// positions lists where on machine k to try v: around its place when k is
// its machine, else around its current start and its earliest start.
func (ls *local) positions(v, k int) []int {
	in, p := ls.in, ls.cur
	sq := p.seq[k]
	lo := in.nfixed[k]
	ls.pos = ls.pos[:0]
	add := func(i, hi int) {
		if i >= lo && i <= hi && !slices.Contains(ls.pos, i) {
			ls.pos = append(ls.pos, i)
		}
	}
	if k == p.mach[v] {
		i0 := slices.Index(sq, v)
		for d := -2; d <= 2; d++ {
			if d != 0 {
				add(i0+d, len(sq)-1)
			}
		}
		return ls.pos
	}
	earliest := in.release[in.job[v]]
	if u := in.jp[v]; u >= 0 {
		earliest = max(earliest, p.end[u])
	}
	for _, t := range [2]int64{p.start[v], earliest} {
		i, _ := slices.BinarySearchFunc(sq, t, func(x int, t int64) int {
			if p.start[x] < t {
				return -1
			}
			return 1
		})
		for d := -1; d <= 1; d++ {
			add(i+d, len(sq))
		}
	}
	return ls.pos
}

// bestMove tries moving a sample of the critical chain and returns the
// best move that is not tabu, or that beats the best plan found.
func (ls *local) bestMove(ctx context.Context) (lsMove, bool) {
	in := ls.in
	chain := ls.criticalChain()
	ls.sample = append(ls.sample[:0], chain...)
	if len(ls.sample) > sampleSize {
		for i := range sampleSize {
			j := i + ls.rng.IntN(len(ls.sample)-i)
			ls.sample[i], ls.sample[j] = ls.sample[j], ls.sample[i]
		}
		ls.sample = ls.sample[:sampleSize]
	}
	// Changeovers come last in the objective and are rarely on the chain: a
	// couple of operations that follow a changeover are tried as well.
	if ls.cur.obj.changeover > 0 {
		ls.sample = append(ls.sample, ls.changed()...)
	}
	var best lsMove
	found, ties := false, 0
	for _, v := range ls.sample {
		// An iteration decodes the whole plan many times: the pace is kept within it.
		if ls.pace.tick(ctx); ctx.Err() != nil {
			return best, false
		}
		moving := ls.opTabu[v] >= ls.iter
		for ai, a := range in.alts[v] {
			if slices.ContainsFunc(in.alts[v][:ai], func(b Alt) bool { return b.Machine == a.Machine }) {
				continue // the first alternative of a machine is its best
			}
			for _, i := range ls.positions(v, a.Machine) {
				mv, ok := ls.evaluate(v, a, i)
				if !ok {
					continue
				}
				c := mv.obj.cmp(ls.best.obj)
				if c >= 0 && (moving || ls.tabu[ls.key(mv)] >= ls.iter) {
					continue
				}
				switch d := mv.obj.cmp(best.obj); {
				case !found || d < 0:
					best, found, ties = mv, true, 1
				case d == 0:
					ties++
					if ls.rng.IntN(ties) == 0 {
						best = mv
					}
				}
			}
		}
	}
	return best, found
}

// changed picks up to two operations that follow a changeover, at random.
func (ls *local) changed() []int {
	var picked [2]int
	n := 0
	for v := range ls.in.n {
		if ls.cur.setup[v] > 0 && ls.in.fixed[v] == nil && !slices.Contains(ls.sample, v) {
			// Reservoir sampling of two.
			if n < 2 {
				picked[n] = v
			} else if i := ls.rng.IntN(n + 1); i < 2 {
				picked[i] = v
			}
			n++
		}
	}
	return picked[:min(n, 2)]
}

// key names the place mv puts its operation in: after which operation on
// which machine.
func (ls *local) key(mv lsMove) tabuKey {
	sq := ls.cur.seq[mv.k]
	u, n := -1, 0
	for _, x := range sq {
		if x == mv.v {
			continue
		}
		if n == mv.i {
			break
		}
		u = x
		n++
	}
	return tabuKey{mv.v, mv.k, u}
}

// evaluate decodes the plan with v moved to index i of a.Machine on the
// trial plan and undoes the move.
func (ls *local) evaluate(v int, a Alt, i int) (lsMove, bool) {
	t := ls.trial
	old, oldIdx, oldDur := insert(t, v, a.Machine, i, a.Duration)
	ok := t.decode()
	mv := lsMove{v: v, k: a.Machine, i: i, dur: a.Duration, obj: t.obj}
	t.seq[a.Machine] = slices.Delete(t.seq[a.Machine], i, i+1)
	t.seq[old] = slices.Insert(t.seq[old], oldIdx, v)
	t.mach[v], t.dur[v] = old, oldDur
	return mv, ok
}

// perturb makes a few random moves of critical operations that decode.
func (ls *local) perturb() {
	in := ls.in
	for range 2 + ls.rng.IntN(4) {
		chain := ls.criticalChain()
		if len(chain) == 0 {
			return
		}
		v := chain[ls.rng.IntN(len(chain))]
		a := in.alts[v][ls.rng.IntN(len(in.alts[v]))]
		pos := ls.positions(v, a.Machine)
		if len(pos) == 0 {
			continue
		}
		i := pos[ls.rng.IntN(len(pos))]
		if _, ok := ls.evaluate(v, a, i); ok {
			ls.apply(lsMove{v: v, k: a.Machine, i: i, dur: a.Duration})
		}
	}
}
