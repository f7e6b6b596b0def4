package scheduler

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSolveBenchmarkFamilies runs the solver on a few instances of every
// public benchmark family besides Brandimarte's (which TestSolveBrandimarte
// covers). The families differ in what they stress: Hurink's edata, rdata
// and vdata turn the same job shops into flexible ones with few, some or up
// to half the machines per operation, Dauzère-Pérès and Paulli have long
// jobs on few machines, Barnes has job shops with some machines duplicated,
// Behnke and Geiger have many machines (up to 60) and short jobs, Kacem and
// Fattahi are small. The point is feasibility on all of them, not quality:
// the iteration budget is kept small so the test stays quick under -race,
// and the makespan is only logged against the best known one.
func TestSolveBenchmarkFamilies(t *testing.T) {
	bounds := loadBounds(t)
	tests := []struct {
		name string // path relative to testdata, also the key in bounds.json
	}{
		{"barnes/mt10c1.fjs"},
		{"barnes/setb4c9.fjs"},
		{"barnes/seti5c12.fjs"},
		{"behnke/sm01_1.fjs"},
		{"behnke/med02_1.fjs"},
		{"behnke/lar01_1.fjs"},
		{"dauzere/01a.fjs"},
		{"dauzere/07a.fjs"},
		{"fattahi/sfjs01.fjs"},
		{"fattahi/mfjs01.fjs"},
		{"fattahi/mfjs10.fjs"},
		{"hurink/edata/mt06.fjs"},
		{"hurink/rdata/la01.fjs"},
		{"hurink/vdata/mt10.fjs"},
		{"kacem/k1.fjs"},
		{"kacem/k3.fjs"},
		{"kacem/k4.fjs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadFJS(t, filepath.Join("testdata", filepath.FromSlash(tt.name)))
			b, ok := bounds[tt.name]
			if !ok {
				t.Fatalf("no bounds for %s in testdata/bounds.json", tt.name)
			}
			// An iteration budget rather than a time limit keeps the result
			// the same on a slow machine and under the race detector.
			s, err := Solve(context.Background(), p, Options{MaxIterations: 1000, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if errs := checkSchedule(p, s); len(errs) > 0 {
				t.Fatalf("infeasible: %v", errs)
			}
			if s.Makespan < b.Lower {
				t.Errorf("makespan %d below the published lower bound %d: the schedule or the checker is wrong", s.Makespan, b.Lower)
			}
			t.Logf("makespan %d, best known %d", s.Makespan, b.Upper)
			// The schedule goes through the JSON encoding that outside
			// checkers read; reading it back catches an encoding that loses
			// or reorders operations.
			path := filepath.Join(t.TempDir(), "schedule.json")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteJSON(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Makespan   int64 `json:"makespan"`
				Operations []struct {
					Job, Op, Machine int
					Start, End       int64
				} `json:"operations"`
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.Makespan != s.Makespan || len(got.Operations) != len(s.Ops) {
				t.Fatalf("JSON has makespan %d and %d operations, the schedule %d and %d", got.Makespan, len(got.Operations), s.Makespan, len(s.Ops))
			}
			for i, o := range got.Operations {
				a := s.Ops[i]
				if o.Job != a.Job || o.Op != a.Op || o.Machine != a.Machine+1 || o.Start != a.Start || o.End != a.End {
					t.Fatalf("JSON operation %d is %+v, the schedule has %+v (machines from 1 in JSON)", i, o, a)
				}
			}
		})
	}
}
