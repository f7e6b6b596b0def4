package scheduler

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// floorScenarios are the floor's own problems: studio-like shops (see
// shop) with due dates tight enough that some work is late, colour
// changeovers at every stage and several cells per stage.
var floorScenarios = []struct {
	name                string
	seed                uint64
	jobs, stages, cells int
	horizon             int64
}{
	{name: "day-40x4-on-12", seed: 1, jobs: 40, stages: 4, cells: 3, horizon: 86400},
	{name: "rush-60x3-on-6", seed: 2, jobs: 60, stages: 3, cells: 2, horizon: 129600},
	{name: "week-150x5-on-20", seed: 3, jobs: 150, stages: 5, cells: 4, horizon: 9 * 86400 / 4},
}

// TestFloorScenarios: on every floor scenario the search's plan is
// feasible and never worse than earliest-due-date dispatching on the
// objective (weighted tardiness, then makespan, then changeover time); on
// these scenarios, where dispatching leaves work late, it is strictly
// better.
func TestFloorScenarios(t *testing.T) {
	for _, sc := range floorScenarios {
		t.Run(sc.name, func(t *testing.T) {
			p := shop(rand.New(rand.NewPCG(sc.seed, sc.seed)), sc.jobs, sc.stages, sc.cells, sc.horizon)
			d, err := Dispatch(p)
			if err != nil {
				t.Fatal(err)
			}
			if errs := checkSchedule(p, d); len(errs) > 0 {
				t.Fatalf("dispatch infeasible: %v", errs)
			}
			s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
			got := objective{s.Tardiness, s.Makespan, s.ChangeoverTime}
			edd := objective{d.Tardiness, d.Makespan, d.ChangeoverTime}
			if d.Tardiness == 0 {
				t.Fatalf("dispatching leaves nothing late: the scenario tests nothing")
			}
			if got.cmp(edd) >= 0 {
				t.Errorf("search %+v, dispatch %+v: want the search strictly better", got, edd)
			}
			t.Logf("dispatch %+v (%d late), search %+v (%d late)", edd, d.Late, got, s.Late)
		})
	}
}

// BenchmarkFloor plans each floor scenario with a 10 s search on every
// core beside earliest-due-date dispatching, and reports both plans'
// weighted tardiness, late jobs, makespan and changeover time (edd-*
// metrics for dispatching).
func BenchmarkFloor(b *testing.B) {
	for _, sc := range floorScenarios {
		p := shop(rand.New(rand.NewPCG(sc.seed, sc.seed)), sc.jobs, sc.stages, sc.cells, sc.horizon)
		b.Run(sc.name, func(b *testing.B) {
			var d, s Schedule
			for b.Loop() {
				var err error
				if d, err = Dispatch(p); err != nil {
					b.Fatal(err)
				}
				opts := Options{TimeLimit: 10 * time.Second, Seed: 1, Workers: runtime.NumCPU()}
				if s, err = Solve(context.Background(), p, opts); err != nil {
					b.Fatal(err)
				}
			}
			if errs := checkSchedule(p, s); len(errs) > 0 {
				b.Fatalf("infeasible: %v", errs)
			}
			b.ReportMetric(float64(d.Tardiness), "edd-tardiness")
			b.ReportMetric(float64(d.Late), "edd-late")
			b.ReportMetric(float64(d.Makespan), "edd-makespan")
			b.ReportMetric(float64(d.ChangeoverTime), "edd-changeover")
			b.ReportMetric(float64(s.Tardiness), "tardiness")
			b.ReportMetric(float64(s.Late), "late")
			b.ReportMetric(float64(s.Makespan), "makespan")
			b.ReportMetric(float64(s.ChangeoverTime), "changeover")
		})
	}
}
