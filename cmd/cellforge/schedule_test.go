package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/scheduler"
)

const mk01 = "../../scheduler/testdata/mk01.fjs"

// printedSchedule is the JSON cellforge schedule fjsp prints.
type printedSchedule struct {
	Makespan   int64 `json:"makespan"`
	Operations []struct {
		Job, Op, Machine int
		Start, End       int64
	} `json:"operations"`
}

// checkSchedule fails t unless out is a feasible schedule of the instance in path: every
// operation once, on one of its machines (numbered from 1) for its duration there, after its
// job's previous operation, never two at once on a machine, and the makespan its last end.
func checkSchedule(t *testing.T, path string, out []byte) printedSchedule {
	t.Helper()
	var s printedSchedule
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("the output is not a JSON schedule: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := scheduler.ParseFJS(f)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, j := range p.Jobs {
		want += len(j.Ops)
	}
	if len(s.Operations) != want {
		t.Fatalf("%d operations, want %d", len(s.Operations), want)
	}
	type key struct{ job, op int }
	end := map[key]int64{}
	var last int64
	busy := map[int][][2]int64{}
	for _, a := range s.Operations {
		if a.Job < 0 || a.Job >= len(p.Jobs) || a.Op < 0 || a.Op >= len(p.Jobs[a.Job].Ops) {
			t.Fatalf("no operation %d of job %d", a.Op, a.Job)
		}
		k := key{a.Job, a.Op}
		if _, dup := end[k]; dup {
			t.Fatalf("job %d op %d scheduled twice", a.Job, a.Op)
		}
		end[k] = a.End
		if a.Machine < 1 || a.Machine > p.Machines {
			t.Errorf("job %d op %d on machine %d, want 1..%d", a.Job, a.Op, a.Machine, p.Machines)
		}
		ok := false
		for _, alt := range p.Jobs[a.Job].Ops[a.Op].Alternatives {
			ok = ok || (alt.Machine+1 == a.Machine && alt.Duration == a.End-a.Start)
		}
		if !ok || a.Start < 0 {
			t.Errorf("job %d op %d on machine %d during [%d, %d): not one of its machines for its duration",
				a.Job, a.Op, a.Machine, a.Start, a.End)
		}
		for _, b := range busy[a.Machine] {
			if a.Start < b[1] && b[0] < a.End {
				t.Errorf("machine %d runs two operations at once: [%d, %d) and [%d, %d)", a.Machine, a.Start, a.End, b[0], b[1])
			}
		}
		busy[a.Machine] = append(busy[a.Machine], [2]int64{a.Start, a.End})
		last = max(last, a.End)
	}
	for _, a := range s.Operations {
		if prev, ok := end[key{a.Job, a.Op - 1}]; ok && a.Start < prev {
			t.Errorf("job %d op %d starts at %d, before op %d ends at %d", a.Job, a.Op, a.Start, a.Op-1, prev)
		}
	}
	if s.Makespan != last {
		t.Errorf("makespan %d, but the last operation ends at %d", s.Makespan, last)
	}
	return s
}

func runSchedule(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"schedule"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestScheduleFJSP(t *testing.T) {
	// Job 2's operation names machine 3 of a 2-machine shop.
	broken := writeFile(t, "broken.fjs", "2 2\n1 1 1 5\n1 1 3 5\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantStderr are the pieces of the message a user must see.
		wantStderr []string
		// wantOps is the number of operations of the printed schedule when the command succeeds.
		wantOps int
	}{
		{
			name:    "search under an iteration budget",
			args:    []string{"fjsp", "--iterations", "200", "--seed", "1", "--workers", "1", mk01},
			wantOps: 55,
		},
		{
			name:    "earliest due date dispatching",
			args:    []string{"fjsp", "--dispatch", mk01},
			wantOps: 55,
		},
		{
			name:       "broken instance",
			args:       []string{"fjsp", "--iterations", "10", broken},
			wantCode:   1,
			wantStderr: []string{broken + ": ", "line 3", "machine 3 out of range 1..2"},
		},
		{
			name:       "missing instance file",
			args:       []string{"fjsp", "--iterations", "10", broken + ".missing"},
			wantCode:   1,
			wantStderr: []string{broken + ".missing", "no such file"},
		},
		{
			name:       "no FILE",
			args:       []string{"fjsp", "--iterations", "10"},
			wantCode:   2,
			wantStderr: []string{"missing FILE.fjs", "Usage: cellforge schedule fjsp"},
		},
		{
			name:       "two files",
			args:       []string{"fjsp", mk01, mk01},
			wantCode:   2,
			wantStderr: []string{"one FILE.fjs at a time, got 2"},
		},
		{
			name:       "no time limit and no iteration budget",
			args:       []string{"fjsp", "--time-limit", "0", "--iterations", "0", mk01},
			wantCode:   2,
			wantStderr: []string{"--time-limit and --iterations are both 0: nothing would stop the search"},
		},
		{
			name:       "no workers",
			args:       []string{"fjsp", "--workers", "0", mk01},
			wantCode:   2,
			wantStderr: []string{"--workers 0: want at least 1"},
		},
		{
			name:       "no problem named",
			args:       nil,
			wantCode:   2,
			wantStderr: []string{"Usage: cellforge schedule PROBLEM", "fjsp"},
		},
		{
			name:       "unknown problem",
			args:       []string{"jssp", mk01},
			wantCode:   2,
			wantStderr: []string{`unknown problem "jssp"`, "Usage: cellforge schedule PROBLEM"},
		},
		{
			name:       "help",
			args:       []string{"fjsp", "--help"},
			wantStderr: []string{"--time-limit", "--dispatch"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runSchedule(tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut)
				}
			}
			if tc.wantOps == 0 {
				if out != "" {
					t.Errorf("printed on stdout: %s", out)
				}
				return
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			if s := checkSchedule(t, mk01, []byte(out)); len(s.Operations) != tc.wantOps {
				t.Errorf("%d operations, want %d", len(s.Operations), tc.wantOps)
			}
		})
	}
}

// The search improves on the dispatching baseline it starts from, and under an iteration budget
// the same command prints the same schedule.
func TestScheduleFJSPSearchIsReproducibleAndBeatsDispatching(t *testing.T) {
	search := []string{"fjsp", "--iterations", "200", "--seed", "1", "--workers", "1", mk01}
	_, first, _ := runSchedule(search...)
	_, second, _ := runSchedule(search...)
	if first != second {
		t.Errorf("two runs of the same command differ:\n%s\n%s", first, second)
	}
	_, edd, _ := runSchedule("fjsp", "--dispatch", mk01)
	s, d := checkSchedule(t, mk01, []byte(first)), checkSchedule(t, mk01, []byte(edd))
	// 40 is mk01's proven optimum: no feasible schedule is shorter.
	if s.Makespan < 40 || s.Makespan > d.Makespan {
		t.Errorf("search makespan %d, dispatching %d: want 40 <= search <= dispatching", s.Makespan, d.Makespan)
	}
}
