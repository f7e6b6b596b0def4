package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	demoPlanner  = "demo-planner-token-0001"
	demoOperator = "demo-operator-token-0001"
)

type cellView struct {
	ID     string `json:"id"`
	Status *struct {
		Manual    bool               `json:"manual"`
		Online    bool               `json:"online"`
		Machine   string             `json:"machine"`
		Down      string             `json:"down"`
		Operation int64              `json:"operation"`
		Values    map[string]float64 `json:"values"`
	} `json:"status"`
}

type queueEntry struct {
	ID        int64  `json:"id"`
	State     string `json:"state"`
	OrderID   string `json:"order_id"`
	UnitsDone int    `json:"units_done"`
	Version   int64  `json:"version"`
}

type simDevice struct {
	ID      string             `json:"id"`
	Printed int                `json:"printed"`
	Machine map[string]float64 `json:"machine"`
}

// get reads path with the daemon's reader token.
func (d *daemon) get(t testing.TB, path string, out any) {
	t.Helper()
	if code, err := request(context.Background(), "GET", d.url+path, d.reader, "", nil, out); err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", path, code, err)
	}
}

func (d *daemon) signIn(t *testing.T, person, password string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	body := fmt.Sprintf(`{"person":%q,"password":%q}`, person, password)
	if code, err := request(context.Background(), "POST", d.url+"/api/v1/auth/signin", "", "application/json", []byte(body), &s); err != nil || code != 200 {
		t.Fatalf("sign in as %s: %d %v", person, code, err)
	}
	return s.Token
}

// The demo factory runs on its own: imported work orders are started on the simulated machines,
// their counters advance, operations complete, tickets and labels are printed. Floor staff play
// their part only at the manual cells (wash, finish, label, pack), as they would.
func TestDemoFactoryWorksOnItsOwn(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--sim-speed", "3600")
	csv, err := os.ReadFile("../../configs/examples/spring-27.csv")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if code, err := request(ctx, "POST", d.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", csv, nil); err != nil || code != 201 {
		t.Fatalf("import: %d %v\n%s", code, err, d.logs())
	}

	manual := map[string]bool{}
	var all []cellView
	d.get(t, "/api/v1/cells", &all)
	for _, c := range all {
		if c.Status == nil {
			t.Fatalf("cell %s has no status: the daemon runs no floor", c.ID)
		}
		if c.Status.Manual {
			manual[c.ID] = true
		}
	}

	sawRunning := map[string]bool{}
	var labeller, stamp simDevice
	// A bound for a floor that is stuck, not a measure of its speed: alone the first label is out
	// in a few seconds, but beside the race detector's pass of every other package on 2 cores
	// the daemon once took more than 90 s.
	deadline := time.Now().Add(180 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the demo factory did not print in time: %d labels, %d tickets; machines seen running: %v\nwarnings:\n%s",
				labeller.Printed, stamp.Printed, sawRunning, warnings(d.logs()))
		}
		d.get(t, "/api/v1/cells", &all)
		for _, c := range all {
			if st := c.Status; !st.Manual && st.Operation != 0 && st.Machine != "idle" && st.Machine != "done" {
				sawRunning[c.ID] = true
			}
		}
		// The floor staff start and complete whatever reaches a manual cell.
		for cell := range manual {
			var q struct {
				Queue []queueEntry `json:"queue"`
			}
			d.get(t, "/api/v1/cells/"+cell+"/queue?limit=1", &q)
			if len(q.Queue) == 0 {
				continue
			}
			e := q.Queue[0]
			action := map[string]string{"queued": "start", "running": "complete"}[e.State]
			if action != "" {
				request(ctx, "POST", fmt.Sprintf("%s/api/v1/operations/%d/%s", d.url, e.ID, action), demoOperator, "application/json", []byte("{}"), nil)
			}
		}
		d.get(t, "/api/v1/sim/devices/labeller-1", &labeller)
		d.get(t, "/api/v1/sim/devices/stamp-1", &stamp)
		if labeller.Printed > 0 && stamp.Printed > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Machine work moved on by the machines' own counting.
	var events struct {
		Events []struct {
			Actor string `json:"actor"`
			Kind  string `json:"kind"`
			To    string `json:"to"`
		} `json:"events"`
	}
	d.get(t, "/api/v1/events?limit=1000", &events)
	byMachine := map[string]int{}
	for _, e := range events.Events {
		if strings.HasPrefix(e.Actor, "cell:") {
			byMachine[e.Kind+" "+e.To]++
		}
	}
	if byMachine["operation.progress running"] == 0 || byMachine["operation.changed done"] == 0 {
		t.Errorf("cell controllers recorded %v; want progress and completions", byMachine)
	}
	if !sawRunning["dye-1"] && !sawRunning["dye-2"] || !sawRunning["weave-1"] && !sawRunning["weave-2"] && !sawRunning["weave-3"] {
		t.Errorf("machines seen working: %v; want a dye vat and a loom", sawRunning)
	}
}

// A machine fault takes its cell out of service, visible in the API; a reset from the floor
// brings it back.
func TestCellFaultAndResetThroughTheAPI(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--sim-speed", "3600")
	ctx := context.Background()
	manager := d.signIn(t, "ines", "demo-manager-password")
	cellStatus := func() cellView {
		var c cellView
		d.get(t, "/api/v1/cells/weave-3", &c)
		return c
	}
	waitFor := func(what string, cond func(cellView) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for c := cellStatus(); !cond(c); c = cellStatus() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v\n%s", what, c.Status, tail(d.logs(), 2000))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// loom-c is unit 3 on the simulated RS-485 line.
	waitFor("loom-c to answer", func(c cellView) bool { return c.Status.Online })
	if code, err := request(ctx, "PUT", d.url+"/api/v1/sim/devices/loom-c/faults", demoOperator, "application/json", []byte(`{"machine_fault": 2}`), nil); err != nil || code != 403 {
		t.Errorf("an operator injecting a fault: %d %v, want 403", code, err)
	}
	if code, err := request(ctx, "PUT", d.url+"/api/v1/sim/devices/loom-c/faults", manager, "application/json", []byte(`{"machine_fault": 2}`), nil); err != nil || code != 200 {
		t.Fatalf("injecting a fault: %d %v", code, err)
	}
	waitFor("the cell to go down", func(c cellView) bool { return strings.Contains(c.Status.Down, "weft out") })
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/weave-3/reset", demoOperator, "application/json", nil, nil); err != nil || code != 202 {
		t.Fatalf("reset: %d %v", code, err)
	}
	waitFor("the cell to come back", func(c cellView) bool { return c.Status.Down == "" && c.Status.Machine == "idle" })
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/wash-1/reset", demoOperator, "application/json", nil, nil); err != nil || code != 409 {
		t.Errorf("resetting a manual cell: %d %v, want 409", code, err)
	}

	// A person reports a leak in the wet room, a manual cell: it goes down until reset.
	washDown := func() string {
		var c cellView
		d.get(t, "/api/v1/cells/wash-1", &c)
		return c.Status.Down
	}
	waitWash := func(what string, cond func(down string) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for down := washDown(); !cond(down); down = washDown() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: down %q\n%s", what, down, tail(d.logs(), 2000))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/wash-1/fault", demoOperator, "application/json", []byte(`{"code": "leak"}`), nil); err != nil || code != 202 {
		t.Fatalf("reporting a leak: %d %v", code, err)
	}
	waitWash("the wet room to go down", func(down string) bool { return down == "fault reported by token:floor-tablet: leak" })
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/wash-1/reset", demoOperator, "application/json", nil, nil); err != nil || code != 202 {
		t.Fatalf("resetting the wet room: %d %v", code, err)
	}
	waitWash("the wet room to come back", func(down string) bool { return down == "" })
}

// warnings returns the lines of a log above info level.
func warnings(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "level=INFO") && !strings.Contains(l, "level=DEBUG") {
			out = append(out, l)
		}
	}
	return tail(strings.Join(out, "\n"), 4000)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
