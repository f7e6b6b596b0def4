package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadFJS(t testing.TB, path string) *Problem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ParseFJS(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

type bound struct {
	Lower   int64 `json:"lower"`
	Upper   int64 `json:"upper"`
	Optimum int64 `json:"optimum"`
}

func loadBounds(t testing.TB) map[string]bound {
	t.Helper()
	b, err := os.ReadFile("testdata/bounds.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]bound
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkSchedule verifies s against p from scratch, without any of the
// solver's bookkeeping, and returns every violation found.
func checkSchedule(p *Problem, s Schedule) []string {
	var errs []string
	seen := make(map[[2]int]Assignment)
	for _, a := range s.Ops {
		key := [2]int{a.Job, a.Op}
		if a.Job < 0 || a.Job >= len(p.Jobs) || a.Op < 0 || a.Op >= len(p.Jobs[a.Job].Ops) {
			errs = append(errs, fmt.Sprintf("unknown operation %v", key))
			continue
		}
		if _, dup := seen[key]; dup {
			errs = append(errs, fmt.Sprintf("operation %v scheduled twice", key))
			continue
		}
		seen[key] = a
		// A machine may be listed twice with different durations; either
		// alternative is a valid choice.
		eligible, durationOK := false, false
		for _, alt := range p.Jobs[a.Job].Ops[a.Op].Alternatives {
			if alt.Machine == a.Machine {
				eligible = true
				durationOK = durationOK || a.End-a.Start == alt.Duration
			}
		}
		switch {
		case !eligible:
			errs = append(errs, fmt.Sprintf("operation %v on ineligible machine %d", key, a.Machine))
		case !durationOK:
			errs = append(errs, fmt.Sprintf("operation %v lasts %d on machine %d, no alternative has that duration", key, a.End-a.Start, a.Machine))
		}
		if a.Start < 0 {
			errs = append(errs, fmt.Sprintf("operation %v starts at %d", key, a.Start))
		}
	}
	var makespan int64
	for j, job := range p.Jobs {
		for k := range job.Ops {
			a, ok := seen[[2]int{j, k}]
			if !ok {
				errs = append(errs, fmt.Sprintf("operation %v not scheduled", [2]int{j, k}))
				continue
			}
			makespan = max(makespan, a.End)
			if prev, ok := seen[[2]int{j, k - 1}]; ok && k > 0 && prev.End > a.Start {
				errs = append(errs, fmt.Sprintf("job %d: operation %d starts at %d before operation %d ends at %d", j, k, a.Start, k-1, prev.End))
			}
		}
	}
	byMachine := make(map[int][]Assignment)
	for _, a := range seen {
		byMachine[a.Machine] = append(byMachine[a.Machine], a)
	}
	for m, as := range byMachine {
		slices.SortFunc(as, func(x, y Assignment) int {
			if x.Start != y.Start {
				return int(x.Start - y.Start)
			}
			return int(x.End - y.End)
		})
		for i := 1; i < len(as); i++ {
			if as[i].Start < as[i-1].End && as[i].End > as[i].Start && as[i-1].End > as[i-1].Start {
				errs = append(errs, fmt.Sprintf("machine %d: operations %d/%d and %d/%d overlap", m, as[i-1].Job, as[i-1].Op, as[i].Job, as[i].Op))
			}
		}
	}
	if makespan != s.Makespan {
		errs = append(errs, fmt.Sprintf("makespan %d, operations end at %d", s.Makespan, makespan))
	}
	return errs
}

func TestParseFJS(t *testing.T) {
	p := loadFJS(t, "testdata/mk01.fjs")
	if p.Machines != 6 || len(p.Jobs) != 10 {
		t.Fatalf("mk01: %d machines, %d jobs; want 6, 10", p.Machines, len(p.Jobs))
	}
	// First job line: 6 2 1 5 3 4 3 5 3 3 5 2 1 2 3 4 6 2 ...
	want := Op{Alternatives: []Alt{{Machine: 0, Duration: 5}, {Machine: 2, Duration: 4}}}
	if got := p.Jobs[0].Ops[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("mk01 job 1 operation 1 = %+v, want %+v (machines from 0)", got, want)
	}
	if n := len(p.Jobs[0].Ops); n != 6 {
		t.Errorf("mk01 job 1 has %d operations, want 6", n)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	// The optional average on the header may be missing.
	p, err := ParseFJS(strings.NewReader("1 2\n\n2 1 2 7 2 1 3 2 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	want2 := &Problem{Machines: 2, Jobs: []Job{{Ops: []Op{
		{Alternatives: []Alt{{Machine: 1, Duration: 7}}},
		{Alternatives: []Alt{{Machine: 0, Duration: 3}, {Machine: 1, Duration: 4}}},
	}}}}
	if !reflect.DeepEqual(p, want2) {
		t.Errorf("got %+v, want %+v", p, want2)
	}
}

func TestParseFJSErrors(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"empty", "fjs: empty input: want a header line with jobs and machines"},
		{"header-short", "fjs line 1: header has 1 fields, want jobs, machines and optionally the average machines per operation"},
		{"machines-nan", `fjs line 1: number of machines "x" is not an integer`},
		{"missing-job", "fjs line 2: unexpected end of input: header announces 2 jobs, found 1"},
		{"machine-range", "fjs line 2: job 1: operation 2: machine 3 out of range 1..2"},
		{"truncated-op", "fjs line 3: job 1: operation 2: line ends where the processing time was expected"},
		{"negative-time", "fjs line 2: job 1: operation 1: processing time -3 out of range 0..1099511627776"},
		{"trailing-fields", "fjs line 2: job 1: 1 unexpected fields after its 1 operations"},
		{"extra-job", `fjs line 3: unexpected "1" after the 1 jobs announced in the header`},
		{"no-alternatives", "fjs line 2: job 1: operation 1: number of machines 0 out of range 1..2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "bad", tt.name+".fjs"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = ParseFJS(f)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func FuzzParseFJS(f *testing.F) {
	for _, name := range []string{"testdata/tiny.fjs", "testdata/bad/truncated-op.fjs", "testdata/bad/machine-range.fjs"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseFJS(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed problem is invalid: %v", err)
		}
		if len(p.Jobs)*p.Machines > 1<<12 {
			return
		}
		s, err := Solve(context.Background(), p, Options{MaxIterations: 20, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkSchedule(p, s); len(errs) > 0 {
			t.Fatalf("infeasible schedule: %v", errs)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"no machines", Problem{}, "invalid problem: 0 machines"},
		{"no alternatives", Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{}}}}}, "invalid problem: job 0: operation 0: no machine"},
		{"machine out of range", Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 1, Duration: 1}}}}}}}, "invalid problem: job 0: operation 0: machine 1 out of range 0..0"},
		{"negative duration", Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0, Duration: -1}}}}}}}, "invalid problem: job 0: operation 0: negative duration -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if !errors.Is(err, ErrInvalid) || err.Error() != tt.want {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if _, err := Solve(context.Background(), &tt.p, Options{MaxIterations: 1}); !errors.Is(err, ErrInvalid) {
				t.Errorf("Solve() error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestSolveNoLimit(t *testing.T) {
	p := loadFJS(t, "testdata/tiny.fjs")
	if _, err := Solve(context.Background(), p, Options{}); !errors.Is(err, ErrNoLimit) {
		t.Errorf("Solve without any limit: error %v, want ErrNoLimit", err)
	}
}

func TestSolveEmpty(t *testing.T) {
	s, err := Solve(context.Background(), &Problem{Machines: 2}, Options{MaxIterations: 10})
	if err != nil || s.Makespan != 0 || len(s.Ops) != 0 {
		t.Errorf("Solve(no jobs) = %+v, %v; want an empty schedule", s, err)
	}
}

// TestSolveTiny needs the search: the optimum, 21 (found by exhaustive
// enumeration), is above the solver's lower bound of 15, so only the
// optimum itself shows the search got there.
func TestSolveTiny(t *testing.T) {
	p := loadFJS(t, "testdata/tiny.fjs")
	s, err := Solve(context.Background(), p, Options{MaxIterations: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("infeasible: %v", errs)
	}
	if s.Makespan != 21 {
		t.Errorf("makespan %d, want the optimum 21", s.Makespan)
	}
}

func TestSolveZeroDurations(t *testing.T) {
	p, err := ParseFJS(strings.NewReader("2 2\n2 2 1 0 2 0 1 1 3\n2 1 1 0 2 1 2 2 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Solve(context.Background(), p, Options{MaxIterations: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("infeasible: %v", errs)
	}
	if s.Makespan != 3 {
		t.Errorf("makespan %d, want 3", s.Makespan)
	}
}

func TestSolveBrandimarte(t *testing.T) {
	bounds := loadBounds(t)
	for i := 1; i <= 10; i++ {
		name := fmt.Sprintf("mk%02d", i)
		t.Run(name, func(t *testing.T) {
			p := loadFJS(t, filepath.Join("testdata", name+".fjs"))
			b, ok := bounds[name]
			if !ok {
				t.Fatalf("no bounds for %s", name)
			}
			s, err := Solve(context.Background(), p, Options{TimeLimit: 200 * time.Millisecond, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if errs := checkSchedule(p, s); len(errs) > 0 {
				t.Fatalf("infeasible: %v", errs)
			}
			if s.Makespan < b.Lower {
				t.Errorf("makespan %d below the proven lower bound %d: the schedule or the checker is wrong", s.Makespan, b.Lower)
			}
			t.Logf("makespan %d, best known %d", s.Makespan, b.Upper)
		})
	}
}

func TestSolveDeterministic(t *testing.T) {
	p := loadFJS(t, "testdata/mk05.fjs")
	for _, workers := range []int{1, 2} {
		opts := Options{MaxIterations: 300, Seed: 42, Workers: workers}
		a, err := Solve(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Solve(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("workers %d: two runs with seed 42 differ: makespan %d and %d", workers, a.Makespan, b.Makespan)
		}
	}
}

func TestSolveContextCancelled(t *testing.T) {
	p := loadFJS(t, "testdata/mk10.fjs")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Solve(ctx, p, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, s); len(errs) > 0 {
		t.Fatalf("a cancelled search must still return a feasible schedule: %v", errs)
	}
}

func TestWriteJSON(t *testing.T) {
	s := Schedule{Makespan: 5, Ops: []Assignment{{Job: 0, Op: 1, Machine: 2, Start: 1, End: 5}}}
	var b strings.Builder
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{"makespan":5,"operations":[{"job":0,"op":1,"machine":3,"start":1,"end":5}]}` + "\n"
	if b.String() != want {
		t.Errorf("got %s want %s", b.String(), want)
	}
}

func BenchmarkBrandimarte(b *testing.B) {
	for i := 1; i <= 10; i++ {
		name := fmt.Sprintf("mk%02d", i)
		p := loadFJS(b, filepath.Join("testdata", name+".fjs"))
		b.Run(name, func(b *testing.B) {
			var total int64
			for n := 0; b.Loop(); n++ {
				s, err := Solve(context.Background(), p, Options{TimeLimit: time.Second, Seed: int64(n + 1)})
				if err != nil {
					b.Fatal(err)
				}
				total += s.Makespan
			}
			b.ReportMetric(float64(total)/float64(b.N), "makespan")
		})
	}
}

// TestCheckScheduleRejects shows the checker used above can fail: each
// corruption of a feasible schedule must be reported.
func TestCheckScheduleRejects(t *testing.T) {
	p := loadFJS(t, "testdata/tiny.fjs")
	good, err := Solve(context.Background(), p, Options{MaxIterations: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchedule(p, good); len(errs) > 0 {
		t.Fatalf("solver schedule infeasible: %v", errs)
	}
	// Operation (0,2) has only machine 1 (0-based) with duration 5.
	find := func(s Schedule, job, op int) int {
		for i, a := range s.Ops {
			if a.Job == job && a.Op == op {
				return i
			}
		}
		t.Fatalf("operation %d/%d missing", job, op)
		return -1
	}
	tests := []struct {
		name    string
		corrupt func(s *Schedule)
	}{
		{"missing operation", func(s *Schedule) { s.Ops = s.Ops[1:] }},
		{"duplicate operation", func(s *Schedule) { s.Ops = append(s.Ops, s.Ops[0]) }},
		{"ineligible machine", func(s *Schedule) { s.Ops[find(*s, 1, 0)].Machine = 0 }},
		{"wrong duration", func(s *Schedule) { s.Ops[find(*s, 1, 0)].End++ }},
		{"job order", func(s *Schedule) {
			i := find(*s, 0, 1)
			d := s.Ops[i].End - s.Ops[i].Start
			s.Ops[i].Start, s.Ops[i].End = 0, d
		}},
		{"machine overlap", func(s *Schedule) {
			// Put every operation at time 0: some machine runs two at once.
			for i := range s.Ops {
				d := s.Ops[i].End - s.Ops[i].Start
				s.Ops[i].Start, s.Ops[i].End = 0, d
			}
		}},
		{"wrong makespan", func(s *Schedule) { s.Makespan-- }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Makespan: good.Makespan, Ops: slices.Clone(good.Ops)}
			tt.corrupt(&s)
			if errs := checkSchedule(p, s); len(errs) == 0 {
				t.Error("corrupted schedule accepted")
			}
		})
	}
}
