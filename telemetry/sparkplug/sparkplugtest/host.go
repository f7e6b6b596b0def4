// Package sparkplugtest runs a Sparkplug B host application for tests: Eclipse Tahu's
// JavaScript payload library (sparkplug-payload, pinned in telemetry/sparkplug/host) decoding
// every message under spBv1.0/# of a real broker and checking the session rules of the edge
// nodes it hears (birth before data, aliases declared, seq order, the NDEATH's bdSeq that of
// the session's NBIRTH). A test reads what it heard and the rules it found broken.
//
// Node.js and npm are installed with the repository's scripts/deps.sh when missing, and the
// host's node_modules with npm ci when they are missing or older than its lockfile: a test that
// cannot get its host fails, it never skips. The package imports only the standard library.
package sparkplugtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// WaitTimeout bounds how long WaitFor waits for the host to hear something.
const WaitTimeout = 30 * time.Second

// Event is a line the host writes: a message it heard (Kind "message"), a rule broken
// ("violation"), a command sent ("sent"), its subscription made ("connected").
type Event struct {
	Kind    string   `json:"kind"`
	Type    string   `json:"type,omitempty"`
	Group   string   `json:"group,omitempty"`
	Node    string   `json:"node,omitempty"`
	Device  string   `json:"device,omitempty"`
	Seq     *int     `json:"seq,omitempty"`
	BdSeq   *int     `json:"bdSeq,omitempty"`
	Metrics []Metric `json:"metrics,omitempty"`
	Rule    string   `json:"rule,omitempty"`
	Topic   string   `json:"topic,omitempty"`
	Detail  string   `json:"detail,omitempty"`
	What    string   `json:"what,omitempty"`
	Err     string   `json:"err,omitempty"`
	Ignored string   `json:"ignored,omitempty"`
}

// Metric is a metric of a message as the host decoded it.
type Metric struct {
	Name  string `json:"name,omitempty"`
	Alias *int   `json:"alias,omitempty"`
	Type  string `json:"type,omitempty"`
	Value any    `json:"value,omitempty"`
}

// String returns the event as JSON.
func (e Event) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// Host is the JavaScript Sparkplug host (telemetry/sparkplug/host/host.js) running as a
// child process.
type Host struct {
	t     testing.TB
	stdin io.WriteCloser

	mu     sync.Mutex
	events []Event
	raw    []string
	stderr strings.Builder
	next   int // the first event waitFor looks at
	more   chan struct{}
}

var (
	npmOnce sync.Once
	npmErr  error
)

// hostDir returns the host's directory with its node_modules installed: npm ci when they are
// missing or older than the lockfile, Node.js and npm installed by scripts/deps.sh when
// missing. A host that cannot be made fails the test.
func hostDir(t testing.TB) string {
	t.Helper()
	root, err := peertest.RepoRoot()
	if err != nil {
		t.Fatalf("sparkplugtest: %v", err)
	}
	dir := filepath.Join(root, "telemetry", "sparkplug", "host")
	npmOnce.Do(func() { npmErr = install(root, dir) })
	if npmErr != nil {
		t.Fatalf("sparkplugtest: %v", npmErr)
	}
	return dir
}

// install installs Node.js and npm when they are missing, and the host's node_modules when
// they are missing or older than its lockfile. Several test binaries may install at once: each
// runs npm ci in a directory of its own and renames the result into place, and the first
// rename wins.
func install(root, dir string) error {
	if _, err := exec.LookPath("npm"); err != nil {
		out, err := exec.Command("bash", filepath.Join(root, "scripts", "deps.sh"), "nodejs", "npm").CombinedOutput()
		if err != nil {
			return fmt.Errorf("installing Node.js and npm: %v\n%s", err, out)
		}
	}
	modules := filepath.Join(dir, "node_modules")
	fresh := func() bool {
		mi, err := os.Stat(filepath.Join(modules, ".package-lock.json"))
		li, lerr := os.Stat(filepath.Join(dir, "package-lock.json"))
		return err == nil && lerr == nil && !mi.ModTime().Before(li.ModTime())
	}
	if fresh() {
		return nil
	}
	tmp, err := os.MkdirTemp(dir, ".npm-ci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci for %s: %v\n%s", dir, err, out)
	}
	if fresh() {
		return nil // another test binary installed them meanwhile
	}
	// Stale ones go aside first: a directory is renamed only onto a missing or empty one.
	if err := os.Rename(modules, filepath.Join(tmp, "stale")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "node_modules"), modules); err != nil && !fresh() {
		return fmt.Errorf("installing the host's node_modules: %w", err)
	}
	return nil
}

// StartHost starts the host against the broker at addr (host:port) and waits until it has
// subscribed. It is stopped when the test ends.
func StartHost(t testing.TB, addr string) *Host {
	t.Helper()
	dir := hostDir(t)
	cmd := exec.Command("node", filepath.Join(dir, "host.js"), "mqtt://"+addr, "host-"+strings.ReplaceAll(t.Name(), "/", "-"))
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{t: t, more: make(chan struct{}, 1)}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.stderr.Write(p)
	})
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the host: %v", err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		h.read(stdout)
	}()
	t.Cleanup(func() {
		_ = h.stdin.Close()
		done := make(chan error, 1)
		go func() { <-read; done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	h.WaitFor("the host subscribed", func(e Event) bool { return e.Kind == "connected" })
	return h
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// read collects the host's lines.
func (h *Host) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e Event
		line := sc.Text()
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			e = Event{Kind: "violation", Rule: "host-output", Detail: line}
		}
		h.mu.Lock()
		h.events = append(h.events, e)
		h.raw = append(h.raw, line)
		h.mu.Unlock()
		select {
		case h.more <- struct{}{}:
		default:
		}
	}
}

// WaitFor returns the first event from where the last wait stopped that ok accepts, failing
// the test when none comes within WaitTimeout. Later waits look after it.
func (h *Host) WaitFor(what string, ok func(Event) bool) Event {
	h.t.Helper()
	deadline := time.After(WaitTimeout)
	for {
		h.mu.Lock()
		for i := h.next; i < len(h.events); i++ {
			if ok(h.events[i]) {
				h.next = i + 1
				e := h.events[i]
				h.mu.Unlock()
				return e
			}
		}
		h.mu.Unlock()
		select {
		case <-h.more:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("the host did not see %s within %v; it heard:\n%s", what, WaitTimeout, h.Log())
		}
	}
}

// Send writes a command line to the host: "rebirth GROUP NODE" publishes an NCMD asking for a
// rebirth, "garbage GROUP NODE" one that is not a Sparkplug payload; the host answers each
// with an Event of Kind "sent" and What the command's first word.
func (h *Host) Send(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		h.t.Fatalf("telling the host %q: %v", line, err)
	}
}

// Log returns what the host wrote, for failure messages.
func (h *Host) Log() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.raw, "\n") + "\n--- stderr:\n" + h.stderr.String()
}

// CheckRules fails the test for every rule the host found broken so far.
func (h *Host) CheckRules() {
	h.t.Helper()
	h.mu.Lock()
	var bad []string
	for _, e := range h.events {
		if e.Kind == "violation" {
			bad = append(bad, e.String())
		}
	}
	h.mu.Unlock()
	if len(bad) > 0 {
		h.t.Errorf("the host found the session rules broken:\n%s\nall it heard:\n%s", strings.Join(bad, "\n"), h.Log())
	}
}

// Is returns a predicate for a message of type typ (NBIRTH, DDATA, ...), of device dev (""
// for the node's own messages).
func Is(typ, dev string) func(Event) bool {
	return func(e Event) bool { return e.Kind == "message" && e.Type == typ && e.Device == dev }
}

// BdSeq returns the bdSeq of a birth or a death, failing the test when it has none.
func BdSeq(t testing.TB, e Event) int {
	t.Helper()
	if e.BdSeq == nil {
		t.Fatalf("%s has no bdSeq", e)
	}
	return *e.BdSeq
}
