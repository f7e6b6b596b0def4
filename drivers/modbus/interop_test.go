package modbus

import (
	"bufio"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// libmodbusPeer builds testdata/libmodbus/NAME.c against libmodbus into a
// temporary directory and returns the program's path. A missing libmodbus
// is installed with scripts/deps.sh; when it is still missing the test
// fails, since a peer that is never run proves nothing.
func libmodbusPeer(t *testing.T, name string) string {
	t.Helper()
	if exec.Command("pkg-config", "--exists", "libmodbus").Run() != nil {
		out, err := exec.Command("../../scripts/deps.sh", "libmodbus-dev").CombinedOutput()
		if err != nil {
			t.Fatalf("installing libmodbus-dev: %v\n%s", err, out)
		}
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libmodbus").Output()
	if err != nil {
		t.Fatalf("pkg-config libmodbus: %v (libmodbus-dev is not installed)", err)
	}
	bin := filepath.Join(t.TempDir(), name)
	args := append([]string{"-O2", "-o", bin, filepath.Join("testdata", "libmodbus", name+".c")}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("compiling %s.c: %v\n%s", name, err, out)
	}
	return bin
}

// startLibmodbusServer runs testdata/libmodbus/server.c on a free loopback
// port until the test ends and returns its address.
func startLibmodbusServer(t *testing.T) string {
	t.Helper()
	bin := libmodbusPeer(t, "server")
	stderr, err := os.Create(filepath.Join(t.TempDir(), "server.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd := exec.Command(bin, "0")
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		port, ok := strings.CutPrefix(strings.TrimSpace(s), "listening on ")
		if !ok {
			msg, _ := os.ReadFile(stderr.Name())
			t.Fatalf("libmodbus server printed %q, want \"listening on PORT\"; stderr:\n%s", s, msg)
		}
		return "127.0.0.1:" + port
	case <-time.After(10 * time.Second):
		t.Fatal("libmodbus server did not print its port within 10 s")
	}
	return ""
}

// libmodbusProfile matches the known values of testdata/libmodbus/server.c.
func libmodbusProfile() *Profile {
	return &Profile{
		Name: "libmodbus",
		Registers: []Register{
			{Name: "h0", Table: Holding, Address: 0, Type: Uint16},
			{Name: "h1_little", Table: Holding, Address: 1, Type: Uint16, ByteOrder: LittleEndian},
			{Name: "h9_scaled", Table: Holding, Address: 9, Type: Uint16, Scale: 0.5, Offset: -4},
			{Name: "in5", Table: Input, Address: 5, Type: Int16},
			{Name: "in6", Table: Input, Address: 6, Type: Int16},
			{Name: "temp", Table: Input, Address: 10, Type: Float32},
			{Name: "temp_low_first", Table: Input, Address: 12, Type: Float32, WordOrder: LowFirst},
			{Name: "count", Table: Input, Address: 20, Type: Int32},
			{Name: "count_low_first", Table: Input, Address: 22, Type: Int32, WordOrder: LowFirst},
			{Name: "coil0", Table: Coil, Address: 0, Type: Bool},
			{Name: "coil1", Table: Coil, Address: 1, Type: Bool},
			{Name: "coil3", Table: Coil, Address: 3, Type: Bool},
			{Name: "discrete1", Table: Discrete, Address: 1, Type: Bool},
			// Written by the command.
			{Name: "setpoint", Table: Holding, Address: 50, Type: Uint16},
			{Name: "target", Table: Holding, Address: 52, Type: Float32},
			{Name: "run", Table: Coil, Address: 10, Type: Bool},
			// Past the server's 100 holding registers.
			{Name: "beyond", Table: Holding, Address: 100, Type: Uint16},
		},
		Groups: []Group{
			{Name: "known", Interval: time.Hour, Registers: []string{"h0", "h1_little", "h9_scaled", "in5", "in6",
				"temp", "temp_low_first", "count", "count_low_first", "coil0", "coil1", "coil3", "discrete1"}},
			{Name: "written", Interval: time.Hour, Registers: []string{"setpoint", "target", "run"}},
			{Name: "beyond", Interval: time.Hour, Registers: []string{"beyond"}},
		},
		Commands: []Command{
			{Name: "start", Writes: []Write{
				{Register: "setpoint", Param: "rpm"},
				{Register: "target", Param: "temp"},
				{Register: "run", Value: 1},
			}},
		},
	}
}

// TestInteropLibmodbus polls and commands a Modbus TCP server built on
// libmodbus, an implementation the project did not write.
func TestInteropLibmodbus(t *testing.T) {
	addr := startLibmodbusServer(t)
	l := tcpLine(t, addr, 2*time.Second)
	d, h := newDevice(t, l, "libmodbus", 1, libmodbusProfile(), nil)
	ctx := t.Context()

	known := map[string]float64{
		"h0":              1000,
		"h1_little":       0xE903, // 1001 = 0x03E9 with its bytes swapped
		"h9_scaled":       1009*0.5 - 4,
		"in5":             -12,
		"in6":             2006,
		"temp":            21.5,
		"temp_low_first":  -3.25,
		"count":           -123456,
		"count_low_first": 70000,
		"coil0":           1,
		"coil1":           0,
		"coil3":           1,
		"discrete1":       1,
	}
	rd, err := d.Poll(ctx, "known")
	if err != nil || rd.Err != nil {
		t.Fatalf("polling the known values: %v, %v", err, rd.Err)
	}
	checkValues(t, rd.Values, known)

	rd, err = d.Poll(ctx, "written")
	if err != nil || rd.Err != nil {
		t.Fatalf("polling before the command: %v, %v", err, rd.Err)
	}
	checkValues(t, rd.Values, map[string]float64{"setpoint": 1050, "target": float64(math.Float32frombits(1052<<16 | 1053)), "run": 0})

	if err := d.Command(ctx, "start", map[string]float64{"rpm": 420, "temp": 63.25}); err != nil {
		t.Fatalf("command: %v", err)
	}
	rd, err = d.Poll(ctx, "written")
	if err != nil || rd.Err != nil {
		t.Fatalf("polling after the command: %v, %v", err, rd.Err)
	}
	checkValues(t, rd.Values, map[string]float64{"setpoint": 420, "target": 63.25, "run": 1})

	rd, err = d.Poll(ctx, "beyond")
	if err != nil {
		t.Fatal(err)
	}
	var ex *ExceptionError
	if !errors.As(rd.Err, &ex) {
		t.Fatalf("reading past the mapping: error %v, want an exception", rd.Err)
	}
	if ex.Code != IllegalDataAddress || ex.Function != 3 {
		t.Errorf("reading past the mapping: exception %02x to function %d, want %02x to function 3", ex.Code, ex.Function, IllegalDataAddress)
	}
	if len(rd.Values) != 0 {
		t.Errorf("reading past the mapping returned values %v", rd.Values)
	}

	// An exception leaves the connection usable.
	rd, err = d.Poll(ctx, "known")
	if err != nil || rd.Err != nil {
		t.Fatalf("polling after the exception: %v, %v", err, rd.Err)
	}
	checkValues(t, rd.Values, known)

	s := h.Snapshot()
	if s.Errors["exception"] != 1 || s.Errors["timeout"]+s.Errors["frame"]+s.Errors["io"] != 0 {
		t.Errorf("health errors %v, want exactly one exception", s.Errors)
	}
}
