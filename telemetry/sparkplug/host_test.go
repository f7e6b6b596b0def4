package sparkplug_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds how long a test waits for the host to hear something.
const waitTimeout = 30 * time.Second

// hostEvent is a line the host writes: a message it heard, a rule broken, a command sent.
type hostEvent struct {
	Kind    string       `json:"kind"`
	Type    string       `json:"type,omitempty"`
	Group   string       `json:"group,omitempty"`
	Node    string       `json:"node,omitempty"`
	Device  string       `json:"device,omitempty"`
	Seq     *int         `json:"seq,omitempty"`
	BdSeq   *int         `json:"bdSeq,omitempty"`
	Metrics []hostMetric `json:"metrics,omitempty"`
	Rule    string       `json:"rule,omitempty"`
	Topic   string       `json:"topic,omitempty"`
	Detail  string       `json:"detail,omitempty"`
	What    string       `json:"what,omitempty"`
	Err     string       `json:"err,omitempty"`
	Ignored string       `json:"ignored,omitempty"`
}

type hostMetric struct {
	Name  string `json:"name,omitempty"`
	Alias *int   `json:"alias,omitempty"`
	Type  string `json:"type,omitempty"`
	Value any    `json:"value,omitempty"`
}

func (e hostEvent) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// host is the JavaScript Sparkplug host (host/host.js) running as a child process.
type host struct {
	t     *testing.T
	stdin io.WriteCloser

	mu     sync.Mutex
	events []hostEvent
	raw    []string
	stderr strings.Builder
	next   int // the first event waitFor looks at
	more   chan struct{}
}

var npmOnce sync.Once

// hostDir returns the host's directory with its node_modules installed: npm ci when they are
// missing or older than the lockfile, Node.js and npm installed by scripts/deps.sh when
// missing. A host that cannot be made fails the test.
func hostDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("host")
	if err != nil {
		t.Fatal(err)
	}
	var failure string
	npmOnce.Do(func() {
		if _, err := exec.LookPath("npm"); err != nil {
			out, err := exec.Command("bash", "../../scripts/deps.sh", "nodejs", "npm").CombinedOutput()
			if err != nil {
				failure = fmt.Sprintf("installing Node.js and npm: %v\n%s", err, out)
				return
			}
		}
		marker, lock := filepath.Join(dir, "node_modules", ".package-lock.json"), filepath.Join(dir, "package-lock.json")
		mi, err := os.Stat(marker)
		li, lerr := os.Stat(lock)
		if lerr != nil {
			failure = lerr.Error()
			return
		}
		if err == nil && !mi.ModTime().Before(li.ModTime()) {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			failure = fmt.Sprintf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if failure != "" {
		t.Fatal(failure)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "sparkplug-payload")); err != nil {
		t.Fatalf("the host's node_modules: %v", err)
	}
	return dir
}

// startHost starts the host against the broker at addr (host:port) and waits until it has
// subscribed. It is stopped when the test ends.
func startHost(t *testing.T, addr string) *host {
	t.Helper()
	dir := hostDir(t)
	cmd := exec.Command("node", filepath.Join(dir, "host.js"), "mqtt://"+addr, "host-"+strings.ReplaceAll(t.Name(), "/", "-"))
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &host{t: t, more: make(chan struct{}, 1)}
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
	h.waitFor("the host subscribed", func(e hostEvent) bool { return e.Kind == "connected" })
	return h
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// read collects the host's lines.
func (h *host) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e hostEvent
		line := sc.Text()
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			e = hostEvent{Kind: "violation", Rule: "host-output", Detail: line}
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

// waitFor returns the first event from where the last wait stopped that ok accepts, failing
// the test when none comes within waitTimeout. Later waits look after it.
func (h *host) waitFor(what string, ok func(hostEvent) bool) hostEvent {
	h.t.Helper()
	deadline := time.After(waitTimeout)
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
			h.t.Fatalf("the host did not see %s within %v; it heard:\n%s", what, waitTimeout, h.log())
		}
	}
}

// send writes a command line to the host.
func (h *host) send(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		h.t.Fatalf("telling the host %q: %v", line, err)
	}
}

// log returns what the host wrote, for failure messages.
func (h *host) log() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.raw, "\n") + "\n--- stderr:\n" + h.stderr.String()
}

// checkRules fails the test for every rule the host found broken.
func (h *host) checkRules() {
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
		h.t.Errorf("the host found the session rules broken:\n%s\nall it heard:\n%s", strings.Join(bad, "\n"), h.log())
	}
}

// is returns a predicate for a message of type typ, of device dev ("" for the node's).
func is(typ, dev string) func(hostEvent) bool {
	return func(e hostEvent) bool { return e.Kind == "message" && e.Type == typ && e.Device == dev }
}

// bdSeqOf returns the bdSeq of a birth or a death, failing the test when it has none.
func bdSeqOf(t *testing.T, e hostEvent) int {
	t.Helper()
	if e.BdSeq == nil {
		t.Fatalf("%s has no bdSeq", e)
	}
	return *e.BdSeq
}
