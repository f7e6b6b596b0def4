package modbus

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// peers are the real programs the integration tests talk to.
var peers = []string{"mbpoll", "socat"}

// TestMain installs the real peers when they are missing. Failing to install
// them fails the run: nothing may be skipped for a missing dependency.
func TestMain(m *testing.M) {
	missing := false
	for _, p := range peers {
		if _, err := exec.LookPath(p); err != nil {
			missing = true
		}
	}
	if missing {
		cmd := exec.Command("../../scripts/deps.sh", peers...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "installing test peers %v: %v\n", peers, err)
			os.Exit(1)
		}
		for _, p := range peers {
			if _, err := exec.LookPath(p); err != nil {
				fmt.Fprintf(os.Stderr, "test peer %s still missing after scripts/deps.sh: %v\n", p, err)
				os.Exit(1)
			}
		}
	}
	os.Exit(m.Run())
}

// mbpoll runs mbpoll with args and returns its combined output.
func mbpoll(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "mbpoll", args...).CombinedOutput()
	return string(out), err
}

var mbpollValue = regexp.MustCompile(`(?m)^\[(\d+)\]:\s+(-?\d+)`)

// mbpollValues parses mbpoll's "[ref]: value" lines into values by reference.
func mbpollValues(t *testing.T, out string) map[int]int {
	t.Helper()
	vals := map[int]int{}
	for _, m := range mbpollValue.FindAllStringSubmatch(out, -1) {
		ref, _ := strconv.Atoi(m[1])
		v, _ := strconv.Atoi(m[2])
		vals[ref] = v
	}
	return vals
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
