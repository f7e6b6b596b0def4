package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOrderBookNeedsNoDriver lists what the order book and the stores are built from (go list
// -deps, from the module's root) and fails for each package that has no business there: a
// driver, a serial port, a Modbus framing or a metrics client. They reach the book only through
// a package that imports a driver for its types, as configs once did for the device profiles.
func TestOrderBookNeedsNoDriver(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./book", "./store/...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, tt := range []struct {
		name    string
		matches func(pkg string) bool
	}{
		{"drivers", func(pkg string) bool { return strings.HasPrefix(pkg, "github.com/cellforge/cellforge/drivers/") }},
		{"serial port", func(pkg string) bool { return strings.HasPrefix(pkg, "go.bug.st/serial") }},
		{"goburrow", func(pkg string) bool { return strings.Contains(pkg, "goburrow") }},
		{"prometheus", func(pkg string) bool { return strings.Contains(pkg, "prometheus") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, pkg := range deps {
				if tt.matches(pkg) {
					t.Errorf("book or a store depends on %s", pkg)
				}
			}
		})
	}
}
