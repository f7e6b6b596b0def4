package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs/profiles"
	"github.com/cellforge/cellforge/drivers/modbus"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var controlLine = regexp.MustCompile(`fault control API on http://(\S+)/devices`)

// cellforge sim runs a config's devices where the config says they are: a loom on its TCP port
// and a dye station on the serial line linked at the line's port; cellforge sim fault sets
// their faults.
func TestSimServesAConfigsDevicesAndTakesFaults(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	link := filepath.Join(dir, "ttyRS485")
	config := filepath.Join(dir, "floor.yaml")
	os.WriteFile(config, []byte(fmt.Sprintf(`site: sim-test
serial_lines:
  - {id: rs485-1, port: %s, baud: 19200}
cells:
  - id: weave-1
    capabilities: [weave]
    devices:
      - {id: loom-a, kind: loom, address: "192.0.2.10:%d"}
  - id: dye-1
    capabilities: [dye]
    devices:
      - {id: vat-a, kind: dye-station, serial_line: rs485-1, unit_id: 4}
products:
  - sku: RUG
    routing:
      - {capability: dye, unit_time: 1h, params: {recipe: 1, temperature: 60}}
      - {capability: weave, unit_time: 1h, params: {pattern: 3}}
`, link, port)), 0o600)

	cmd := exec.Command(binary(t), "sim", "--config", config, "--host", "127.0.0.1", "--control", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var out []string
	control := ""
	sc := bufio.NewScanner(stdout)
	for control == "" && sc.Scan() {
		out = append(out, sc.Text())
		if m := controlLine.FindStringSubmatch(sc.Text()); m != nil {
			control = m[1]
		}
	}
	if control == "" {
		t.Fatalf("sim printed no control address:\n%s", strings.Join(out, "\n"))
	}
	listing := strings.Join(out, "\n")
	if !strings.Contains(listing, fmt.Sprintf("127.0.0.1:%d", port)) || !strings.Contains(listing, "unit 4") {
		t.Errorf("sim listing does not say where the devices are:\n%s", listing)
	}

	builtin, err := profiles.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := func(line *modbus.Line, unit byte, profile string) (modbus.Reading, error) {
		go line.Run(ctx)
		dev, err := modbus.NewDevice(line, modbus.DeviceConfig{Name: profile, UnitID: unit, Profile: builtin[profile].Modbus})
		if err != nil {
			t.Fatal(err)
		}
		r, err := dev.Poll(ctx, "status")
		if err == nil {
			err = r.Err
		}
		return r, err
	}
	tcp, _ := modbus.NewTCPLine(modbus.TCPConfig{Address: fmt.Sprintf("127.0.0.1:%d", port), Timeout: 300 * time.Millisecond})
	if r, err := read(tcp, 1, "loom"); err != nil || r.Values["state"] != 0 {
		t.Fatalf("reading the loom over TCP: %v %v", r.Values, err)
	}
	rtu, _ := modbus.NewRTULine(modbus.RTUConfig{Port: link, Baud: 19200, Parity: "even", Timeout: 300 * time.Millisecond})
	if r, err := read(rtu, 4, "dye-station"); err != nil || r.Values["temperature"] < 15 {
		t.Fatalf("reading the dye station through %s: %v %v", link, r.Values, err)
	}

	fault := func(args ...string) (string, error) {
		out, err := exec.Command(binary(t), append([]string{"sim", "fault", "--control", control}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := fault("loom-a", "drop"); err != nil {
		t.Fatalf("sim fault: %v\n%s", err, out)
	}
	tcp2, _ := modbus.NewTCPLine(modbus.TCPConfig{Address: fmt.Sprintf("127.0.0.1:%d", port), Timeout: 200 * time.Millisecond})
	if _, err := read(tcp2, 1, "loom"); !errors.Is(err, modbus.ErrTimeout) {
		t.Errorf("reading a loom that drops its answers: %v, want a timeout", err)
	}
	out2, err := fault("loom-a", "dorp")
	if err == nil || !strings.Contains(out2, `loom-a: unknown fault "dorp"`) {
		t.Errorf("an unknown fault: %v\n%s", err, out2)
	}
	if out, err := fault("loom-a"); err != nil || !strings.Contains(out, `"faults": {}`) {
		t.Errorf("clearing faults: %v\n%s", err, out)
	}
}
