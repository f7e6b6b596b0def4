package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	simescpos "github.com/cellforge/cellforge/firmware-sim/escpos"
	simzpl "github.com/cellforge/cellforge/firmware-sim/zpl"
)

// crashFloorConfig is the floor of TestKill9KeepsWhatTheFloorOwes: a loom with a label printer
// (tag-1: each unit it counts owes a label), two more looms and the ticket printer, every
// device on a loopback TCP port of a `cellforge sim` of its own, which lives on while the
// daemon is killed, as a real floor does.
const crashFloorConfig = `site: crash-floor
printing:
  labels: labeller-1
  tickets: stamp-1
  provenance_url: https://crash.example/u/{serial}
cells:
  - id: tag-1
    capabilities: [tag]
    devices:
      - {id: loom-a, kind: loom, address: "127.0.0.1:%d"}
      - {id: labeller-1, kind: label-printer, address: "127.0.0.1:%d"}
  - id: weave-1
    capabilities: [weave]
    devices:
      - {id: loom-b, kind: loom, address: "127.0.0.1:%d"}
  - id: knit-1
    capabilities: [knit]
    devices:
      - {id: loom-c, kind: loom, address: "127.0.0.1:%d"}
  - id: pack-1
    capabilities: [pack]
    devices:
      - {id: stamp-1, kind: micro-printer, address: "127.0.0.1:%d"}
products:
  - sku: TAG
    routing: [{capability: tag, unit_time: 20m, params: {pattern: 1}}]
  - sku: WEAVE
    routing: [{capability: weave, unit_time: 20m, params: {pattern: 2}}]
  - sku: KNIT
    routing: [{capability: knit, unit_time: 20m, params: {pattern: 3}}]
drops:
  - id: winter
    date: 2027-01-10
    windows: {TAG: 100, WEAVE: 100, KNIT: 100}
tokens:
  - {name: planner, role: planner, token: "crash-planner-token-0001"}
  - {name: operator, role: operator, token: "crash-operator-token-001"}
`

// startSim runs cellforge sim for a config and returns the address of its fault control API.
// The simulated machines run speed times faster than the wall clock.
func startSim(t testing.TB, config string, speed int) string {
	t.Helper()
	cmd := exec.Command(binary(t), "sim", "--config", config, "--control", "127.0.0.1:0", "--speed", strconv.Itoa(speed))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	errw := &syncWriter{w: &stderr}
	cmd.Stderr = errw
	logs := func() string {
		errw.mu.Lock()
		defer errw.mu.Unlock()
		return stderr.String()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The scanner reads until the process's stdout closes: the clean-up kills the process
	// first, then waits for the reader.
	addr := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := controlLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		close(addr)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-drained; cmd.Wait() })
	select {
	case a, ok := <-addr:
		if ok {
			return a
		}
		t.Fatalf("sim exited without printing its control address\n%s", logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("sim printed no control address in 60 s\n%s", logs())
	}
	return ""
}

// floorCell is what GET /api/v1/cells/{cell} shows of a cell's controller.
type floorCell struct {
	Status struct {
		Online     bool   `json:"online"`
		Machine    string `json:"machine"`
		Down       string `json:"down"`
		LabelsOwed int    `json:"labels_owed"`
	} `json:"status"`
}

// TestKill9KeepsWhatTheFloorOwes kills a daemon with SIGKILL while its label printer is out of
// paper and its ticket printer offline, with a cell down for a machine fault and a job a
// person paused, and restarts it on the same data against the same simulated floor: every
// label and ticket owed prints exactly once when the printers come back, the cell stays down
// until its machine is reset and then the job the fault paused resumes by itself, and the job
// the person paused stays paused. It runs on both stores.
func TestKill9KeepsWhatTheFloorOwes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts and kills a daemon")
	}
	for _, st := range crashStores {
		t.Run(st.name, func(t *testing.T) { testKill9KeepsWhatTheFloorOwes(t, st) })
	}
}

func testKill9KeepsWhatTheFloorOwes(t *testing.T, st crashStore) {
	dir := t.TempDir()
	config := filepath.Join(dir, "floor.yaml")
	ports := make([]any, 5)
	for i := range ports {
		ports[i] = freePort(t)
	}
	if err := os.WriteFile(config, []byte(fmt.Sprintf(crashFloorConfig, ports...)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A loom unit of 20 minutes takes a sixth of a second.
	control := startSim(t, config, 7200)
	data := filepath.Join(dir, "data")
	storeFlags := st.flags(t, data)
	ctx := context.Background()

	setFaults := func(device, faults string) {
		t.Helper()
		if code, err := request(ctx, "PUT", "http://"+control+"/devices/"+device+"/faults", "", "application/json", []byte(faults), nil); err != nil || code != 200 {
			t.Fatalf("setting faults %s of %s: %d %v", faults, device, code, err)
		}
	}
	labels := func() map[string]int {
		t.Helper()
		var printed []simzpl.Label
		if code, err := request(ctx, "GET", "http://"+control+"/devices/labeller-1/printed", "", "", nil, &printed); err != nil || code != 200 {
			t.Fatalf("reading the labels printed: %d %v", code, err)
		}
		out := map[string]int{}
		for _, l := range printed {
			for _, f := range l.Fields {
				if f.Barcode == "QR" {
					out[strings.TrimPrefix(f.Data, "https://crash.example/u/")]++
				}
			}
		}
		return out
	}
	tickets := func() map[string]int {
		t.Helper()
		var printed []simescpos.Ticket
		if code, err := request(ctx, "GET", "http://"+control+"/devices/stamp-1/printed", "", "", nil, &printed); err != nil || code != 200 {
			t.Fatalf("reading the tickets printed: %d %v", code, err)
		}
		out := map[string]int{}
		for _, tk := range printed {
			for _, order := range []string{"T0", "T1", "F1", "P1"} {
				if strings.Contains(tk.Text(), "("+order+")") {
					out[order]++
				}
			}
		}
		return out
	}
	importCSV := func(d *daemon, csv string) {
		t.Helper()
		if code, err := request(ctx, "POST", d.url+"/api/v1/drops/winter/orders", crashPlannerToken, "text/csv", []byte(csv), nil); err != nil || code != 201 {
			t.Fatalf("import: %d %v\n%s", code, err, d.logs())
		}
	}
	operation := func(d *daemon, order string) book.Operation {
		t.Helper()
		var o struct {
			WorkOrder struct {
				ID int64 `json:"id"`
			} `json:"work_order"`
		}
		d.get(t, "/api/v1/orders/"+order, &o)
		var wo book.WorkOrderDetail
		d.get(t, fmt.Sprintf("/api/v1/work-orders/%d", o.WorkOrder.ID), &wo)
		return wo.Operations[0]
	}
	cell := func(d *daemon, id string) floorCell {
		t.Helper()
		var c floorCell
		d.get(t, "/api/v1/cells/"+id, &c)
		return c
	}
	// check polls cond until it holds, or fails the test (and returns false) at the deadline.
	check := func(d *daemon, what string, cond func() bool) bool {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Errorf("timed out waiting for %s\n%s", what, tail(d.logs(), 3000))
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}
	wait := func(d *daemon, what string, cond func() bool) {
		t.Helper()
		if !check(d, what, cond) {
			t.FailNow()
		}
	}

	d := startDaemon(t, config, data, storeFlags...)
	d.reader = crashPlannerToken
	// A first unit labelled and its work order's ticket printed while the printers work.
	importCSV(d, "order_id,sku,quantity\nT0,TAG,1\n")
	// Confirmed and recorded, not only printed: a printer that faults during the status check
	// after sending fails the print, which is then tried again.
	wait(d, "T0's label and ticket", func() bool {
		return labels()["T0-1"] == 1 && cell(d, "tag-1").Status.LabelsOwed == 0 &&
			tickets()["T0"] == 1 && strings.Contains(d.logs(), `msg="ticket printed"`)
	})

	setFaults("labeller-1", `{"paper_out": true}`)
	setFaults("stamp-1", `{"offline": true}`)
	importCSV(d, "order_id,sku,quantity\nT1,TAG,3\nF1,WEAVE,30\nP1,KNIT,30\n")
	wait(d, "T1's three units to owe their labels", func() bool {
		return operation(d, "T1").State == book.Done && cell(d, "tag-1").Status.LabelsOwed == 3
	})
	// A reprint of T0's label, owed too.
	var reprint struct {
		Serial string `json:"serial"`
	}
	body := fmt.Sprintf(`{"operation": %d, "unit": 1}`, operation(d, "T0").ID)
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/tag-1/labels", crashOperatorToken, "application/json", []byte(body), &reprint); err != nil || code != 202 || reprint.Serial != "T0-1" {
		t.Fatalf("reprint while out of paper: %d %v %+v, want 202 for T0-1", code, err, reprint)
	}

	// F1 is woven at weave-1 when its loom faults; a person pauses P1 at knit-1.
	wait(d, "F1 and P1 to make their first units", func() bool {
		return operation(d, "F1").UnitsDone > 0 && operation(d, "P1").UnitsDone > 0
	})
	setFaults("loom-b", `{"machine_fault": 1}`)
	p1 := operation(d, "P1")
	if code, err := request(ctx, "POST", fmt.Sprintf("%s/api/v1/operations/%d/pause", d.url, p1.ID), crashOperatorToken, "application/json", []byte(`{"reason": "break"}`), nil); err != nil || code != 200 {
		t.Fatalf("pausing P1: %d %v", code, err)
	}
	wait(d, "weave-1 down with F1 paused, knit-1 stopped", func() bool {
		return cell(d, "weave-1").Status.Down != "" && operation(d, "F1").State == book.Paused && cell(d, "knit-1").Status.Machine == "idle"
	})
	if l, tk := labels(), tickets(); len(l) != 1 || len(tk) != 1 {
		t.Fatalf("printed while the printers were out: labels %v, tickets %v", l, tk)
	}
	d.kill()

	d = startDaemon(t, config, data, storeFlags...)
	d.reader = crashPlannerToken
	down := cell(d, "weave-1").Status.Down
	if !strings.Contains(down, "in fault") {
		t.Errorf("weave-1 after the restart: down %q, want down for its loom's fault", down)
	}
	// The controller reads the loom, still in fault: the cell stays down, F1 paused.
	wait(d, "the controller to read loom-b", func() bool { return cell(d, "weave-1").Status.Machine == "fault" })
	if c := cell(d, "weave-1"); c.Status.Down == "" || operation(d, "F1").State != book.Paused {
		t.Errorf("weave-1 with its loom in fault: down %q, F1 %s; want down and F1 paused", c.Status.Down, operation(d, "F1").State)
	}
	// The controller counts what it owes when it first goes through its work after the start.
	wait(d, "tag-1 to owe 4 labels after the restart (T1's three and the reprint)", func() bool {
		return cell(d, "tag-1").Status.LabelsOwed == 4
	})

	// The printers come back: what was owed prints, once.
	setFaults("labeller-1", `{}`)
	setFaults("stamp-1", `{}`)
	wantLabels := map[string]int{"T0-1": 2, "T1-1": 1, "T1-2": 1, "T1-3": 1}
	wantTickets := map[string]int{"T0": 1, "T1": 1, "F1": 1, "P1": 1}
	check(d, "the labels and tickets owed", func() bool {
		return fmt.Sprint(labels()) == fmt.Sprint(wantLabels) && fmt.Sprint(tickets()) == fmt.Sprint(wantTickets)
	})

	// The loom is reset: weave-1 comes back and F1 resumes by itself, where it stopped.
	f1 := operation(d, "F1")
	if code, err := request(ctx, "POST", d.url+"/api/v1/cells/weave-1/reset", crashOperatorToken, "application/json", nil, nil); err != nil || code != 202 {
		t.Fatalf("reset: %d %v", code, err)
	}
	if check(d, "F1 to finish at weave-1", func() bool { return operation(d, "F1").State == book.Done }) {
		if op := operation(d, "F1"); op.UnitsDone != 30 || op.Cell != "weave-1" {
			t.Errorf("F1 finished %d units at %s, want 30 at weave-1 (%d before the restart)", op.UnitsDone, op.Cell, f1.UnitsDone)
		}
	}
	if op := operation(d, "P1"); op.State != book.Paused || op.Reason != "break" || cell(d, "knit-1").Status.Machine != "idle" {
		t.Errorf("P1 is %s (%q) with knit-1's loom %s; want paused for the break, the loom idle",
			op.State, op.Reason, cell(d, "knit-1").Status.Machine)
	}
	if l, tk := labels(), tickets(); fmt.Sprint(l) != fmt.Sprint(wantLabels) || fmt.Sprint(tk) != fmt.Sprint(wantTickets) {
		t.Errorf("printed in the end: labels %v, tickets %v; want %v and %v", l, tk, wantLabels, wantTickets)
	}
}
