package scheduler

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// state is a solution (a machine and a duration per operation, an order per
// machine) with its heads, tails and makespan.
type state struct {
	in   *instance
	mach []int
	dur  []int64
	seq  [][]int

	mp, ms []int // previous and next operation on the same machine
	order  []int // a topological order of the disjunctive graph
	opos   []int // position of each operation in order
	r, q   []int64
	cmax   int64
	indeg  []int
}

func newState(in *instance) *state {
	return &state{
		in: in, mach: make([]int, in.n), dur: make([]int64, in.n), seq: make([][]int, in.m),
		mp: make([]int, in.n), ms: make([]int, in.n), order: make([]int, 0, in.n), opos: make([]int, in.n),
		r: make([]int64, in.n), q: make([]int64, in.n), indeg: make([]int, in.n),
	}
}

func (s *state) copyFrom(o *state) {
	copy(s.mach, o.mach)
	copy(s.dur, o.dur)
	for k := range s.seq {
		s.seq[k] = append(s.seq[k][:0], o.seq[k]...)
	}
	copy(s.mp, o.mp)
	copy(s.ms, o.ms)
	s.order = append(s.order[:0], o.order...)
	copy(s.opos, o.opos)
	copy(s.r, o.r)
	copy(s.q, o.q)
	s.cmax = o.cmax
}

// evaluate computes the machine links, a topological order, heads, tails and
// the makespan. It reports false if the graph has a cycle.
func (s *state) evaluate() bool {
	in := s.in
	for _, sq := range s.seq {
		for i, v := range sq {
			s.mp[v], s.ms[v] = -1, -1
			if i > 0 {
				s.mp[v] = sq[i-1]
			}
			if i+1 < len(sq) {
				s.ms[v] = sq[i+1]
			}
		}
	}
	s.order = s.order[:0]
	for v := range in.n {
		d := 0
		if in.jp[v] >= 0 {
			d++
		}
		if s.mp[v] >= 0 {
			d++
		}
		s.indeg[v] = d
		if d == 0 {
			s.order = append(s.order, v)
		}
	}
	for i := 0; i < len(s.order); i++ {
		v := s.order[i]
		s.opos[v] = i
		var h int64
		if u := in.jp[v]; u >= 0 {
			h = s.r[u] + s.dur[u]
		}
		if u := s.mp[v]; u >= 0 {
			h = max(h, s.r[u]+s.dur[u])
		}
		s.r[v] = h
		for _, w := range [2]int{in.js[v], s.ms[v]} {
			if w >= 0 {
				if s.indeg[w]--; s.indeg[w] == 0 {
					s.order = append(s.order, w)
				}
			}
		}
	}
	if len(s.order) != in.n {
		return false
	}
	s.cmax = 0
	for i := in.n - 1; i >= 0; i-- {
		v := s.order[i]
		var t int64
		if w := in.js[v]; w >= 0 {
			t = s.dur[w] + s.q[w]
		}
		if w := s.ms[v]; w >= 0 {
			t = max(t, s.dur[w]+s.q[w])
		}
		s.q[v] = t
		s.cmax = max(s.cmax, s.r[v]+s.dur[v])
	}
	return true
}

// construct builds the initial solution with a Giffler-Thompson style
// dispatching rule: most work remaining, earliest finishing machine.
func (s *state) construct(rng *rand.Rand) {
	in := s.in
	jobs := 0
	for _, v := range in.index {
		if v == 0 {
			jobs++
		}
	}
	// remaining[v]: sum of the shortest durations of v and its successors.
	remaining := make([]int64, in.n)
	for v := in.n - 1; v >= 0; v-- {
		d := in.alts[v][0].Duration
		for _, a := range in.alts[v] {
			d = min(d, a.Duration)
		}
		remaining[v] = d
		if w := in.js[v]; w >= 0 {
			remaining[v] += remaining[w]
		}
	}
	next := make([]int, 0, jobs) // next unscheduled operation of each job
	for v := range in.n {
		if in.index[v] == 0 {
			next = append(next, v)
		}
	}
	jobReady := make([]int64, in.n) // indexed by operation: ready time of its job
	machReady := make([]int64, in.m)
	for k := range s.seq {
		s.seq[k] = s.seq[k][:0]
	}
	for len(next) > 0 {
		// The earliest completion of any candidate bounds the conflict set.
		cstar := int64(-1)
		for _, v := range next {
			for _, a := range in.alts[v] {
				c := max(jobReady[v], machReady[a.Machine]) + a.Duration
				if cstar < 0 || c < cstar {
					cstar = c
				}
			}
		}
		est := make([]int64, len(next))
		estMin := int64(-1)
		for i, v := range next {
			est[i] = -1
			for _, a := range in.alts[v] {
				st := max(jobReady[v], machReady[a.Machine])
				if est[i] < 0 || st < est[i] {
					est[i] = st
				}
			}
			if estMin < 0 || est[i] < estMin {
				estMin = est[i]
			}
		}
		bi, ties := -1, 0
		for i, v := range next {
			// Only operations that can start before cstar compete; with
			// zero durations that set may be empty, so the earliest do.
			if est[i] >= cstar && est[i] != estMin {
				continue
			}
			switch {
			case bi < 0 || remaining[v] > remaining[next[bi]]:
				bi, ties = i, 1
			case remaining[v] == remaining[next[bi]]:
				ties++
				if rng.IntN(ties) == 0 {
					bi = i
				}
			}
		}
		v := next[bi]
		best := in.alts[v][0]
		bc := int64(-1)
		for _, a := range in.alts[v] {
			c := max(jobReady[v], machReady[a.Machine]) + a.Duration
			if bc < 0 || c < bc || (c == bc && a.Duration < best.Duration) {
				best, bc = a, c
			}
		}
		s.mach[v], s.dur[v] = best.Machine, best.Duration
		s.seq[best.Machine] = append(s.seq[best.Machine], v)
		machReady[best.Machine] = bc
		if w := in.js[v]; w >= 0 {
			jobReady[w] = bc
			next[bi] = w
		} else {
			next = append(next[:bi], next[bi+1:]...)
		}
	}
}

// move inserts operation v on machine k at index i of k's sequence without v.
type move struct {
	v, k, i int
	u       int // the operation before v after the move, -1 if none
	dur     int64
	cmax    int64 // estimated, see insertions
}

// searcher holds one worker's search state and scratch space.
type searcher struct {
	in        *instance
	rng       *rand.Rand
	cur, best *state
	walkBest  *state  // the best solution of the current walk
	opTabu    []int64 // opTabu[v]: iteration until which v may not move
	tabu      []int64 // tabu[v*(n+m)+slot]: iteration until which the slot is tabu for v
	crit      []int
	cands     []move
	key       []int64 // scratch space of recombine
	pace      *pacer
	iter      int64
}

// slot names the place of v after u on machine k: u itself, or the head of k.
func (sr *searcher) slot(v, u, k int) int {
	w := sr.in.n + sr.in.m
	if u >= 0 {
		return v*w + u
	}
	return v*w + sr.in.n + k
}

// newSearcher allocates one worker's search state.
func newSearcher(in *instance, rng *rand.Rand, pace *pacer) *searcher {
	sr := &searcher{
		in: in, rng: rng, cur: newState(in), best: newState(in), walkBest: newState(in), pace: pace,
		tabu: make([]int64, in.n*(in.n+in.m)), opTabu: make([]int64, in.n),
		iter: 1,
	}
	sr.best.cmax = math.MaxInt64
	return sr
}

// walk runs the tabu search from sr.cur until stallLimit iterations pass
// without improving on the best solution of this walk, which it leaves in
// sr.walkBest, and keeps sr.best up to date. It reports false when the
// search as a whole must stop: the context ended, the iteration budget
// maxIter is spent or the best makespan reached the lower bound.
func (sr *searcher) walk(ctx context.Context, stallLimit, maxIter int64) bool {
	sr.walkBest.copyFrom(sr.cur)
	if sr.cur.cmax < sr.best.cmax {
		sr.best.copyFrom(sr.cur)
	}
	done := ctx.Done()
	for stall := int64(0); stall <= stallLimit; sr.iter++ {
		if sr.best.cmax <= sr.in.lb || (maxIter > 0 && sr.iter > maxIter) {
			return false
		}
		if sr.iter&15 == 0 && (done != nil || sr.pace != nil) {
			if sr.pace.tick(ctx); ctx.Err() != nil {
				return false
			}
		}
		mv, ok := sr.bestMove()
		if !ok {
			sr.perturb()
			stall++
			continue
		}
		sr.apply(mv, true)
		if sr.cur.cmax < sr.walkBest.cmax {
			sr.walkBest.copyFrom(sr.cur)
			if sr.cur.cmax < sr.best.cmax {
				sr.best.copyFrom(sr.cur)
			}
			stall = 0
		} else {
			stall++
		}
	}
	return true
}

// plan converts the state to a decoded plan.
func (s *state) plan() *plan {
	p := newPlan(s.in)
	copy(p.mach, s.mach)
	copy(p.dur, s.dur)
	for k, sq := range s.seq {
		p.seq[k] = append(p.seq[k], sq...)
	}
	if !p.decode() {
		panic("scheduler: tabu search state does not decode")
	}
	return p
}

// critical lists the operations on a longest path.
func (sr *searcher) critical() []int {
	s := sr.cur
	sr.crit = sr.crit[:0]
	for _, v := range s.order {
		if s.r[v]+s.dur[v]+s.q[v] == s.cmax {
			sr.crit = append(sr.crit, v)
		}
	}
	return sr.crit
}

// insertions calls f for every insertion of v that keeps the graph acyclic,
// with an estimate of the makespan it gives: the longest path through v
// after the move, from the heads and tails of the current graph, v still
// in it (Mastrolilli and Gambardella's approximate evaluation). Those heads
// and tails only overestimate the ones of the graph without v, so the
// acyclicity tests below reject every insertion that makes a cycle, and
// maybe a few that would not.
func (sr *searcher) insertions(v int, f func(move)) {
	s, in := sr.cur, sr.in
	r, q := s.r, s.q
	jp, js := in.jp[v], in.js[v]
	var jpEnd, jsTail int64
	if jp >= 0 {
		jpEnd = r[jp] + s.dur[jp]
	}
	if js >= 0 {
		jsTail = s.dur[js] + q[js]
	}
	for _, a := range in.alts[v] {
		k := a.Machine
		sq := s.seq[k]
		// Walk k's sequence without v; i is the insertion index in it.
		i := 0
		prev := -1
		for j := 0; j <= len(sq); j++ {
			w := -1
			if j < len(sq) {
				w = sq[j]
				if w == v {
					continue
				}
			}
			u := prev
			// u must not be reachable from v's job successor, and v's job
			// predecessor must not be reachable from w; both paths would
			// force the head (tail) bound violated here.
			feasible := true
			if u >= 0 && js >= 0 && (u == js || r[u] >= r[js]+s.dur[js]) {
				feasible = false
			}
			if w >= 0 && jp >= 0 && (w == jp || q[w] >= s.dur[jp]+q[jp]) {
				feasible = false
			}
			if feasible && !(k == s.mach[v] && u == s.mp[v]) {
				head := jpEnd
				if u >= 0 {
					head = max(head, r[u]+s.dur[u])
				}
				tail := jsTail
				if w >= 0 {
					tail = max(tail, s.dur[w]+q[w])
				}
				f(move{v: v, k: k, i: i, u: u, dur: a.Duration, cmax: head + a.Duration + tail})
			}
			if w < 0 {
				break
			}
			prev = w
			i++
		}
	}
}

// bestMove returns the non-tabu move with the smallest estimated makespan, ties broken
// at random; a tabu move qualifies when it beats the best makespan. A move
// is tabu when its operation moved recently or it puts the operation back
// where it recently was.
func (sr *searcher) bestMove() (move, bool) {
	var best move
	found, ties := false, 0
	for _, v := range sr.critical() {
		sr.insertions(v, func(mv move) {
			if (sr.tabu[sr.slot(mv.v, mv.u, mv.k)] >= sr.iter || sr.opTabu[mv.v] >= sr.iter) && mv.cmax >= sr.best.cmax {
				return
			}
			switch {
			case !found || mv.cmax < best.cmax:
				best, found, ties = mv, true, 1
			case mv.cmax == best.cmax:
				ties++
				if sr.rng.IntN(ties) == 0 {
					best = mv
				}
			}
		})
	}
	return best, found
}

// apply makes mv on the current solution and, if tabu, forbids v to return
// to the place it leaves.
func (sr *searcher) apply(mv move, tabu bool) {
	s := sr.cur
	v := mv.v
	old, oldPrev := s.mach[v], s.mp[v]
	sq := s.seq[old]
	for j, x := range sq {
		if x == v {
			s.seq[old] = append(sq[:j], sq[j+1:]...)
			break
		}
	}
	sq = s.seq[mv.k]
	sq = append(sq, 0)
	copy(sq[mv.i+1:], sq[mv.i:])
	sq[mv.i] = v
	s.seq[mv.k] = sq
	s.mach[v], s.dur[v] = mv.k, mv.dur
	if !s.evaluate() {
		panic(fmt.Sprintf("scheduler: move of operation %d created a cycle", v))
	}
	if tabu {
		tenure := int64(2 + sr.rng.IntN(4+len(sr.crit)/2))
		sr.tabu[sr.slot(v, oldPrev, old)] = sr.iter + tenure
		// Keeping the moved operation still for a while stops it from
		// bouncing between two places on a plateau.
		sr.opTabu[v] = sr.iter + int64(sr.rng.IntN(2+len(sr.crit)/2))
	}
}

// perturb makes a few random feasible moves of critical operations.
func (sr *searcher) perturb() {
	for range 2 + sr.rng.IntN(4) {
		crit := sr.critical()
		v := crit[sr.rng.IntN(len(crit))]
		sr.cands = sr.cands[:0]
		sr.insertions(v, func(mv move) { sr.cands = append(sr.cands, mv) })
		if len(sr.cands) == 0 {
			continue
		}
		sr.apply(sr.cands[sr.rng.IntN(len(sr.cands))], false)
	}
}
