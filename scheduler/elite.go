package scheduler

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
)

// poolSize is the number of elite solutions each worker keeps.
const poolSize = 10

// search is the makespan search of one worker: tabu walks, each until
// 100 + (number of operations) iterations pass without improving on its
// own best. The first starts from dispatching. The best of every walk joins
// a pool of elites (see admit). Half the next walks start from where the
// last one stands or from its best, perturbed by a few random moves (an
// iterated tabu search); the other half from the recombination of two
// elites, which brings back what other walks found good.
func search(ctx context.Context, in *instance, rng *rand.Rand, maxIter int64, pace *pacer) *state {
	sr := newSearcher(in, rng, pace)
	stallLimit := int64(100 + in.n)
	var pool []*state
	sr.cur.construct(rng)
	if !sr.cur.evaluate() {
		panic("scheduler: constructed schedule has a cycle")
	}
	for {
		more := sr.walk(ctx, stallLimit, maxIter)
		pool = sr.admit(pool)
		if !more {
			return sr.best
		}
		if len(pool) < 2 || rng.IntN(2) == 0 {
			if rng.IntN(2) == 0 {
				sr.cur.copyFrom(sr.walkBest)
			}
			sr.perturb()
			continue
		}
		a := rng.IntN(len(pool))
		b := (a + 1 + rng.IntN(len(pool)-1)) % len(pool)
		sr.recombine(pool[a], pool[b])
	}
}

// admit adds the best solution of the last walk to pool, in place of the
// worst elite once the pool is full, unless it is worse than every elite
// or already among them.
func (sr *searcher) admit(pool []*state) []*state {
	w := sr.walkBest
	worst := -1
	for i, e := range pool {
		if e.cmax == w.cmax && e.same(w) {
			return pool
		}
		if worst < 0 || e.cmax >= pool[worst].cmax {
			worst = i
		}
	}
	if len(pool) < poolSize {
		e := newState(sr.in)
		e.copyFrom(w)
		return append(pool, e)
	}
	if w.cmax <= pool[worst].cmax {
		pool[worst].copyFrom(w)
	}
	return pool
}

// same reports whether s and o assign every operation the same machine and
// order every machine alike.
func (s *state) same(o *state) bool {
	if !slices.Equal(s.mach, o.mach) {
		return false
	}
	for k := range s.seq {
		if !slices.Equal(s.seq[k], o.seq[k]) {
			return false
		}
	}
	return true
}

// recombine makes sr.cur a child of a and b: each operation's machine from
// either parent at random, and the order on every machine by the start
// times of one parent per job, chosen at random. Start times made
// non-decreasing along each job, ties broken by operation number, order
// every arc of the graph the same way, so the child has no cycle.
func (sr *searcher) recombine(a, b *state) {
	in, c, rng := sr.in, sr.cur, sr.rng
	if len(sr.key) < in.n {
		sr.key = make([]int64, in.n)
	}
	key := sr.key
	src := a
	for v := range in.n {
		if in.index[v] == 0 {
			src = a
			if rng.IntN(2) == 0 {
				src = b
			}
		}
		key[v] = src.r[v]
		if u := in.jp[v]; u >= 0 {
			key[v] = max(key[v], key[u])
		}
		m := a
		if rng.IntN(2) == 0 {
			m = b
		}
		c.mach[v], c.dur[v] = m.mach[v], m.dur[v]
	}
	for k := range c.seq {
		c.seq[k] = c.seq[k][:0]
	}
	for v := range in.n {
		c.seq[c.mach[v]] = append(c.seq[c.mach[v]], v)
	}
	for k := range c.seq {
		slices.SortFunc(c.seq[k], func(x, y int) int {
			if d := cmp.Compare(key[x], key[y]); d != 0 {
				return d
			}
			return cmp.Compare(x, y)
		})
	}
	if !c.evaluate() {
		panic("scheduler: recombined schedule has a cycle")
	}
}
