// Package scheduler plans the work of a floor's cells: flexible job-shop
// scheduling with due dates, changeovers, calendars and fixed operations.
//
// A Problem is a set of jobs, each an ordered list of operations; every
// operation may run on any machine of its own set of alternatives, with a
// processing time that depends on the machine. A Schedule assigns each
// operation a machine and a start time such that a job's operations run in
// order, one at a time, and a machine runs one operation at a time.
//
// Jobs may have a release date, a due date and a weight; operations a
// changeover family, the matrix of changeover times between families being
// the problem's; machines downtime (closed hours, maintenance, a fault,
// possibly for good); and operations that are running or done are fixed
// where they are. The objective is lexicographic: the weighted tardiness
// first (no job late if that is possible), then the makespan (the end of
// the last operation), then the total changeover time. A classic instance,
// with none of these, is the makespan problem of the literature.
//
// Besides Solve there are Dispatch, the earliest-due-date dispatching rule
// without search (the baseline, and the first schedule at scale); Repair,
// which adapts a previous schedule to a changed problem (a cell down, new
// jobs, operations that ended early or late) moving only what must move;
// and Improve, which searches on from any schedule of the problem.
//
// The package is a pure planning library with its own problem and solution
// types. It imports only the standard library and none of the other
// CellForge packages, so it can be tested and benchmarked on its own.
//
// # Machine numbering
//
// Machines are numbered from 0 in every type of this package (Alt.Machine,
// Assignment.Machine). Files in the Brandimarte .fjs format number them from
// 1: ParseFJS subtracts one and Schedule.WriteJSON adds it back.
//
// # Algorithm
//
// Solve first builds a schedule with a dispatching rule in the manner of
// Giffler and Thompson: among the next operations of all jobs, those that can
// start before the earliest possible completion compete, the one whose job
// has the most work remaining wins and goes to the machine that finishes it
// first.
//
// It then improves the schedule by tabu search on the disjunctive graph, in
// the manner of Mastrolilli and Gambardella (2000). A solution is a machine
// for every operation and an order of the operations on every machine. Heads
// (longest path to an operation's start) and tails (longest path from its
// end) give the makespan and the critical operations, those on a longest
// path. A move takes one critical operation out of the graph and inserts it
// elsewhere: at another position on its own machine, which covers the
// N5/N6 moves that swap or shift operations at the ends of critical blocks,
// or at any position on another eligible machine. Every insertion is
// evaluated in O(1) by Mastrolilli and Gambardella's approximation: the
// longest path through the operation after the move, from the heads and
// tails of the current graph. It ranks moves better than the exact makespan
// of the graph, which is the same for most moves while another critical path
// remains, and costs no recomputation; the same heads and tails rule out
// every insertion that would create a cycle. The best move that is not tabu
// (or that beats the best makespan found) is made; the operation may not
// move again, nor return to the position it left, for random numbers of
// iterations.
//
// The search is a sequence of walks, each ending after 100 + (number of
// operations) iterations without improving on its own best. The best of
// every walk joins a pool of ten elites, in place of the worst one, unless
// it is worse than all of them or already among them. Half the walks start
// from where the previous one stands or from its best, perturbed by a few
// random moves (an iterated tabu search); the other half start from a
// recombination of two elites: each operation's machine from either at
// random, each machine's order by the start times of one elite per job,
// which can make no cycle.
//
// Problems that are not classic are searched by the same kind of moves, an
// operation of a critical chain reinserted elsewhere, but every move is
// evaluated by re-timing the whole plan (decoding it: each operation as
// early as its job, its machine, the changeover before it and the
// machine's downtime allow), since the objective is no longer a longest
// path. The chain is the one behind the worst of the objective: the
// operations holding up a late job, or those making the makespan. The
// start is the better of two dispatching rules: earliest due date, and
// earliest start.
//
// The search is anytime: Solve returns the best schedule found when the time
// limit, the iteration budget or the context ends, or as soon as the
// makespan reaches a simple lower bound. With Options.Workers > 1 the workers
// run independent searches with seeds derived from Options.Seed and the best
// schedule wins, ties going to the lowest worker. Results are identical for
// the same inputs and seed whenever the search is bounded by MaxIterations
// rather than by time, whatever the number of workers. Options.Pace lets the
// caller hold the search between short stretches of it, to bound its share of
// the CPU, without changing what it finds.
package scheduler
