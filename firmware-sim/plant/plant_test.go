package plant

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain installs mbpoll, the Modbus master the tests read the plant with, when missing.
func TestMain(m *testing.M) {
	if _, err := exec.LookPath("mbpoll"); err != nil {
		cmd := exec.Command("../../scripts/deps.sh", "mbpoll")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "installing mbpoll: %v\n", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// demoSpec has every kind of device, over TCP and on serial lines.
func demoSpec(link string) Spec {
	return Spec{
		Lines: []Line{{ID: "rs485-1", Baud: 19200, Link: link}, {ID: "tickets", Baud: 9600}},
		Devices: []Device{
			{ID: "loom-a", Kind: KindLoom, Listen: "127.0.0.1:0"},
			{ID: "vat-a", Kind: KindDyeStation, Line: "rs485-1", UnitID: 1},
			{ID: "loom-c", Kind: KindLoom, Line: "rs485-1", UnitID: 3},
			{ID: "stamp-1", Kind: KindMicroPrinter, Line: "tickets"},
			{ID: "labeller-1", Kind: KindLabelPrinter},
		},
	}
}

func startPlant(t *testing.T, spec Spec) *Plant {
	t.Helper()
	p, err := New(spec, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	})
	return p
}

func mbpoll(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mbpoll", args...).CombinedOutput()
	return string(out), err
}

var mbpollValue = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(-?\d+)`)

func values(out string) map[int]int {
	vals := map[int]int{}
	for _, m := range mbpollValue.FindAllStringSubmatch(out, -1) {
		ref, _ := strconv.Atoi(m[1])
		v, _ := strconv.Atoi(m[2])
		vals[ref] = v
	}
	return vals
}

// readRTU reads input register 1 (1-based) of unit on the serial line at port.
func readRTU(t *testing.T, port string, unit int) (map[int]int, string, error) {
	t.Helper()
	out, err := mbpoll(t, "-m", "rtu", "-b", "19200", "-P", "none", "-1", "-o", "0.5", "-a", strconv.Itoa(unit), "-t", "3", "-r", "1", "-c", "1", port)
	return values(out), out, err
}

func TestPlantServesEveryDeviceWhereItsDriverLooks(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyRS485")
	p := startPlant(t, demoSpec(link))

	// The loom over Modbus TCP: its seven input registers.
	host, port, _ := net.SplitHostPort(p.Addr("loom-a"))
	out, err := mbpoll(t, "-m", "tcp", "-p", port, "-1", "-a", "1", "-t", "3", "-r", "1", "-c", "7", host)
	if err != nil || len(values(out)) != 7 {
		t.Fatalf("reading loom-a over TCP: %v\n%s", err, out)
	}
	// Two units on the RTU line, reached through the link too.
	if target, err := os.Readlink(link); err != nil || target != p.Port("rs485-1") {
		t.Fatalf("link %s -> %q, %v; want the line's terminal %s", link, target, err, p.Port("rs485-1"))
	}
	for _, unit := range []int{1, 3} {
		if vals, out, err := readRTU(t, link, unit); err != nil || len(vals) != 1 {
			t.Fatalf("reading unit %d on the line: %v\n%s", unit, err, out)
		}
	}
	// The label printer over raw TCP.
	c, err := net.Dial("tcp", p.Addr("labeller-1"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c, "^XA^FO20,20^A0N,30,30^FDRUG-KILIM-S^FS^XZ")
	c.Close()
	// The ticket printer on its serial line.
	term, err := os.OpenFile(p.Port("tickets"), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	term.Write([]byte("\x1b@WORK ORDER 7\n\x1dV\x00"))
	eventually(t, "the label and the ticket to be printed", func() bool {
		labels, _ := p.Labels("labeller-1")
		tickets, _ := p.Tickets("stamp-1")
		return len(labels) == 1 && len(tickets) == 1
	})
	labels, _ := p.Labels("labeller-1")
	if _, ok := labels[0].Field("RUG-KILIM-S"); !ok {
		t.Errorf("label fields = %+v, want RUG-KILIM-S", labels[0].Fields)
	}
}

func TestMachinesRunOnThePlantClock(t *testing.T) {
	// At 3600x a loom unit of 20 minutes takes a third of a second.
	p, err := New(Spec{Devices: []Device{{ID: "loom-a", Kind: KindLoom}}}, Config{Speed: 3600})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	b := p.Loom("loom-a").Bank()
	b.SetHolding(0, 7) // pattern
	b.SetHolding(1, 2) // target units
	b.SetCoil(0, true) // start
	eventually(t, "the loom to weave 2 units", func() bool { return b.Input(0) == 2 && b.Input(5) == 2 })
}

func TestMachinesRunOnTheCallersClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	p, err := New(Spec{Devices: []Device{{ID: "loom-a", Kind: KindLoom}}}, Config{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	b := p.Loom("loom-a").Bank()
	b.SetHolding(0, 7) // pattern
	b.SetHolding(1, 2) // target units
	b.SetCoil(0, true) // start
	eventually(t, "the loom to start", func() bool { return b.Input(0) == 1 })
	// A loom unit takes 20 minutes of the clock's, however long the wall clock takes.
	advance(30 * time.Minute)
	eventually(t, "the loom to weave a unit in half an hour", func() bool { return b.Input(5) == 1 })
	advance(10 * time.Minute)
	eventually(t, "the loom to weave the second unit", func() bool { return b.Input(0) == 2 && b.Input(5) == 2 })
}

func TestControlAPI(t *testing.T) {
	p := startPlant(t, demoSpec(""))
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	put := func(device, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/devices/"+device+"/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return resp.StatusCode, e.Error
		}
		return resp.StatusCode, string(b)
	}

	t.Run("refusals name the field and the reason", func(t *testing.T) {
		tests := []struct {
			name, device, body string
			code               int
			want               string
		}{
			{"unknown device", "nope", `{}`, 404, "unknown device: nope"},
			{"unknown fault", "loom-a", `{"dorp": true}`, 400, `unknown fault "dorp"`},
			{"wrong type", "loom-a", `{"drop": "yes"}`, 400, "drop: want a bool"},
			{"bad duration", "loom-a", `{"delay": "soon"}`, 400, `delay: invalid duration "soon"`},
			{"printer fault on a loom", "loom-a", `{"paper_out": true}`, 400, "paper_out: applies to printers, and loom-a is a loom"},
			{"crc on TCP", "loom-a", `{"corrupt_crc": true}`, 400, "corrupt_crc: applies to Modbus devices on a serial line"},
			{"two objects", "loom-a", `{} {}`, 400, "one JSON object expected"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, body := put(tc.device, tc.body)
				if code != tc.code || !strings.Contains(body, tc.want) {
					t.Errorf("PUT %s %s = %d %s; want %d containing %q", tc.device, tc.body, code, body, tc.code, tc.want)
				}
			})
		}
	})

	t.Run("a dropped unit times out while its neighbour answers", func(t *testing.T) {
		if code, body := put("loom-c", `{"drop": true}`); code != 200 {
			t.Fatalf("PUT = %d %s", code, body)
		}
		if vals, out, err := readRTU(t, p.Port("rs485-1"), 3); err == nil && len(vals) > 0 {
			t.Fatalf("loom-c answered with drop set:\n%s", out)
		}
		if vals, out, err := readRTU(t, p.Port("rs485-1"), 1); err != nil || len(vals) != 1 {
			t.Fatalf("vat-a did not answer while its neighbour drops: %v\n%s", err, out)
		}
		if code, _ := put("loom-c", `{}`); code != 200 {
			t.Fatal("clearing faults failed")
		}
		if vals, out, err := readRTU(t, p.Port("rs485-1"), 3); err != nil || len(vals) != 1 {
			t.Fatalf("loom-c silent after clearing: %v\n%s", err, out)
		}
	})

	t.Run("machine fault and printer faults show in the status", func(t *testing.T) {
		if code, body := put("loom-a", `{"machine_fault": 1}`); code != 200 {
			t.Fatalf("PUT = %d %s", code, body)
		}
		if code, body := put("labeller-1", `{"paper_out": true, "silent": true}`); code != 200 {
			t.Fatalf("PUT = %d %s", code, body)
		}
		resp, err := http.Get(srv.URL + "/devices")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var all []DeviceStatus
		if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
			t.Fatal(err)
		}
		byID := map[string]DeviceStatus{}
		for _, d := range all {
			byID[d.ID] = d
		}
		if m := byID["loom-a"].Machine; m["state"] != 3 || m["fault_code"] != 1 {
			t.Errorf("loom-a machine = %v, want state 3 (fault), code 1", m)
		}
		if f := byID["labeller-1"].Faults; !f.PaperOut || !f.Silent {
			t.Errorf("labeller-1 faults = %+v", f)
		}
		if byID["loom-c"].Port != p.Port("rs485-1") || byID["loom-c"].UnitID != 3 {
			t.Errorf("loom-c = %+v, want on the line's port as unit 3", byID["loom-c"])
		}
		// A paper-out printer holds the label back.
		c, err := net.Dial("tcp", p.Addr("labeller-1"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(c, "^XA^FDheld^FS^XZ~HS")
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, _ := c.Read(make([]byte, 64))
		c.Close()
		if n != 0 {
			t.Errorf("a silent printer answered ~HS with %d bytes", n)
		}
		if labels, _ := p.Labels("labeller-1"); len(labels) != 0 {
			t.Errorf("a paper-out printer printed %d labels", len(labels))
		}
	})
}

func TestNewRefusesBadSpecsAndLeavesNothingOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ttyUSB0")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown kind", Spec{Devices: []Device{{ID: "x", Kind: "kiln"}}}, `unknown kind "kiln"`},
		{"unknown line", Spec{Devices: []Device{{ID: "x", Kind: KindLoom, Line: "nope"}}}, `unknown serial line "nope"`},
		{"duplicate device", Spec{Devices: []Device{{ID: "x", Kind: KindLoom}, {ID: "x", Kind: KindLoom}}}, "given twice"},
		{"printer sharing a line", Spec{Lines: []Line{{ID: "l"}}, Devices: []Device{
			{ID: "a", Kind: KindLoom, Line: "l"}, {ID: "b", Kind: KindMicroPrinter, Line: "l"}}}, "needs serial line l to itself"},
		{"duplicate unit", Spec{Lines: []Line{{ID: "l"}}, Devices: []Device{
			{ID: "a", Kind: KindLoom, Line: "l", UnitID: 2}, {ID: "b", Kind: KindDyeStation, Line: "l", UnitID: 2}}}, "unit id already served"},
		{"link over a file", Spec{Lines: []Line{{ID: "l", Link: file}}}, "exists and is not a symbolic link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.spec, Config{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want an error containing %q", p, err, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(file); !bytes.Equal(b, nil) {
		t.Error("the file in the link's way was changed")
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
