package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// Where there is no pseudo-terminal (Windows), a factory simulated with devices on serial lines
// is refused naming each such device and what to do, not left to fail at a pty deep in the
// simulator; a factory of TCP devices only is simulated there as anywhere.
func TestSimulatedSerialLinesWithoutPseudoTerminals(t *testing.T) {
	demo, err := loadConfig(filepath.Join(moduleRoot(t), "configs", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	err = simulableLines(demo, false, "windows")
	if err == nil {
		t.Fatal("the demo factory simulated on windows: no error, want its serial devices refused")
	}
	for _, want := range []string{"windows has no pseudo-terminal",
		"device vat-a of cell dye-1 (serial line rs485-1)", "device vat-b of cell dye-2 (serial line rs485-1)",
		"device loom-c of cell weave-3 (serial line rs485-1)", "device stamp-1 of cell pack-1 (serial line tickets)",
		"simulate: false"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "loom-a") {
		t.Errorf("error %q names loom-a, a TCP device", err)
	}
	if err := simulableLines(demo, true, "darwin"); err != nil {
		t.Errorf("with pseudo-terminals: %v", err)
	}
	tcpOnly := &configs.Factory{Cells: []configs.Cell{{ID: "weave-1",
		Devices: []configs.Device{{ID: "loom-a", Address: "127.0.0.1:1502"}}}}}
	if err := simulableLines(tcpOnly, false, "windows"); err != nil {
		t.Errorf("TCP devices only, on windows: %v", err)
	}
}
