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
// solver's bookkeeping, and returns every violation found: operations
// missing or doubled, machines that cannot run them, wrong durations, job
// order, release dates, fixed operations moved, overlaps on a machine
// including the changeover between neighbours, downtime, and every figure
// the schedule reports about itself.
func checkSchedule(p *Problem, s Schedule) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	seen := make(map[[2]int]Assignment)
	for _, a := range s.Ops {
		key := [2]int{a.Job, a.Op}
		if a.Job < 0 || a.Job >= len(p.Jobs) || a.Op < 0 || a.Op >= len(p.Jobs[a.Job].Ops) {
			bad("unknown operation %v", key)
			continue
		}
		if _, dup := seen[key]; dup {
			bad("operation %v scheduled twice", key)
			continue
		}
		seen[key] = a
		op := p.Jobs[a.Job].Ops[a.Op]
		if f := op.Fixed; f != nil {
			if a.Machine != f.Machine || a.Start != f.Start || a.End != f.End {
				bad("fixed operation %v moved to machine %d [%d, %d), fixed on %d [%d, %d)", key, a.Machine, a.Start, a.End, f.Machine, f.Start, f.End)
			}
			continue
		}
		// A machine may be listed twice with different durations; either
		// alternative is a valid choice.
		eligible, durationOK := false, false
		for _, alt := range op.Alternatives {
			if alt.Machine == a.Machine {
				eligible = true
				durationOK = durationOK || a.End-a.Start == alt.Duration
			}
		}
		switch {
		case !eligible:
			bad("operation %v on ineligible machine %d", key, a.Machine)
		case !durationOK:
			bad("operation %v lasts %d on machine %d, no alternative has that duration", key, a.End-a.Start, a.Machine)
		}
		if a.Start < 0 {
			bad("operation %v starts at %d", key, a.Start)
		}
		if r := p.Jobs[a.Job].Release; a.Start < r {
			bad("operation %v starts at %d before its job's release %d", key, a.Start, r)
		}
	}
	var makespan, tardiness int64
	late := 0
	for j, job := range p.Jobs {
		for k := range job.Ops {
			a, ok := seen[[2]int{j, k}]
			if !ok {
				bad("operation %v not scheduled", [2]int{j, k})
				continue
			}
			makespan = max(makespan, a.End)
			if prev, ok := seen[[2]int{j, k - 1}]; ok && k > 0 && prev.End > a.Start {
				bad("job %d: operation %d starts at %d before operation %d ends at %d", j, k, a.Start, k-1, prev.End)
			}
		}
		if len(job.Ops) == 0 {
			continue
		}
		end := seen[[2]int{j, len(job.Ops) - 1}].End
		if j < len(s.JobEnd) && s.JobEnd[j] != end {
			bad("job %d: reported to end at %d, its last operation ends at %d", j, s.JobEnd[j], end)
		}
		if job.Due > 0 && end > job.Due {
			late++
			tardiness += max(job.Weight, 1) * (end - job.Due)
		}
	}
	if len(s.JobEnd) != len(p.Jobs) && len(s.Ops) > 0 {
		bad("%d job ends reported for %d jobs", len(s.JobEnd), len(p.Jobs))
	}
	family := func(a Assignment) int { return p.Jobs[a.Job].Ops[a.Op].Family }
	fixed := func(a Assignment) bool { return p.Jobs[a.Job].Ops[a.Op].Fixed != nil }
	byMachine := make(map[int][]Assignment)
	for _, a := range seen {
		byMachine[a.Machine] = append(byMachine[a.Machine], a)
	}
	var changeovers int
	var changeoverTime int64
	for m, as := range byMachine {
		slices.SortFunc(as, func(x, y Assignment) int {
			if x.Start != y.Start {
				return int(x.Start - y.Start)
			}
			return int(x.End - y.End)
		})
		for i, a := range as {
			var need int64
			if i > 0 && p.Changeover != nil && !fixed(a) {
				need = p.Changeover[family(as[i-1])][family(a)]
			}
			if !fixed(a) && a.Changeover != need {
				bad("machine %d: operation %d/%d reports a changeover of %d, it needs %d", m, a.Job, a.Op, a.Changeover, need)
			}
			if need > 0 {
				changeovers++
				changeoverTime += need
			}
			if i > 0 {
				prev := as[i-1]
				zero := a.End == a.Start || prev.End == prev.Start
				if a.Start-need < prev.End && (!zero || need > 0) {
					bad("machine %d: operations %d/%d and %d/%d overlap (with a changeover of %d)", m, prev.Job, prev.Op, a.Job, a.Op, need)
				}
			}
			if fixed(a) || m >= len(p.Down) {
				continue
			}
			from, to := a.Start-need, max(a.End, a.Start+1)
			for _, d := range p.Down[m] {
				if from < d.End && d.Start < to {
					bad("machine %d: operation %d/%d with its changeover [%d, %d) overlaps downtime [%d, %d)", m, a.Job, a.Op, from, a.End, d.Start, d.End)
				}
			}
		}
	}
	if makespan != s.Makespan {
		bad("makespan %d, operations end at %d", s.Makespan, makespan)
	}
	if tardiness != s.Tardiness || late != s.Late {
		bad("reported weighted tardiness %d of %d late jobs, the operations give %d of %d", s.Tardiness, s.Late, tardiness, late)
	}
	if changeovers != s.Changeovers || changeoverTime != s.ChangeoverTime {
		bad("reported %d changeovers taking %d, the operations need %d taking %d", s.Changeovers, s.ChangeoverTime, changeovers, changeoverTime)
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
		{"ragged changeovers", Problem{Machines: 1, Changeover: [][]int64{{0, 1}, {1}}}, "invalid problem: changeover row 1 has 1 columns, want 2"},
		{"negative changeover", Problem{Machines: 1, Changeover: [][]int64{{-1}}}, "invalid problem: changeover from family 0 to 0: negative time -1"},
		{"family out of range", Problem{Machines: 1, Changeover: [][]int64{{0}}, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}, Family: 1}}}}}, "invalid problem: job 0: operation 0: family 1 out of range 0..0"},
		{"empty downtime", Problem{Machines: 1, Down: [][]Interval{{{Start: 5, End: 5}}}}, "invalid problem: machine 0: empty downtime [5, 5)"},
		{"downtime of unknown machine", Problem{Machines: 1, Down: make([][]Interval, 2)}, "invalid problem: downtime for 2 machines, the problem has 1"},
		{"negative weight", Problem{Machines: 1, Jobs: []Job{{Weight: -1}}}, "invalid problem: job 0: negative weight -1"},
		{"every machine down for good", Problem{Machines: 1, Down: [][]Interval{{{Start: 9, End: Forever}}}, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}}}}}},
			"invalid problem: job 0: operation 0: every machine that can run it is down for good"},
		{"fixed after a free operation", Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}}, {Alternatives: []Alt{{Machine: 0}}, Fixed: &Fixed{}}}}}},
			"invalid problem: job 0: operation 1 is fixed but operation 0 before it is not"},
		{"fixed end before start", Problem{Machines: 1, Jobs: []Job{{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}, Fixed: &Fixed{Start: 3, End: 2}}}}}},
			"invalid problem: job 0: operation 0: fixed to end at 2 before its start 3"},
		{"fixed overlap", Problem{Machines: 1, Jobs: []Job{
			{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}, Fixed: &Fixed{Start: 0, End: 5}}}},
			{Ops: []Op{{Alternatives: []Alt{{Machine: 0}}, Fixed: &Fixed{Start: 4, End: 6}}}},
		}}, "invalid problem: machine 0: fixed operations [0, 5) and [4, 6) overlap"},
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
