// Package peertest starts real peers for tests: a Mosquitto broker and an InfluxDB 1.8 server,
// each as its own process on free loopback ports with temporary configuration and data
// directories, stopped when the test ends; and a TCP proxy that cuts the path between a client
// and its peer as an outage would. It is to the telemetry integration tests what
// net/http/httptest is to HTTP handlers.
//
// A missing peer program is installed with the repository's scripts/deps.sh; a test that cannot
// get its peer fails, it never skips. The package imports only the standard library and none of
// the project's packages, so any package's tests can use it.
package peertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds how long a peer may take to accept connections after it is started:
	// a limit where the test gives up, not a measure. With both cores busy compiling, influxd
	// once took more than 30 s to open its stores.
	readyTimeout = 2 * time.Minute
	// stopTimeout bounds how long a peer may take to exit after SIGTERM before it is killed.
	stopTimeout = 60 * time.Second
	// pollInterval is the pause between two readiness probes.
	pollInterval = 20 * time.Millisecond
)

// logBuffer collects a process's output; the exec package writes to it from its own goroutines
// while a test may read it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// process is one peer program that can be stopped and started again with the same arguments.
type process struct {
	t    testing.TB
	name string
	path string
	args []string
	env  []string
	log  logBuffer

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// start starts the program and returns once ready reports true, failing the test with the
// program's log when it exits first or is not ready within readyTimeout.
func (p *process) start(ready func() bool) {
	p.t.Helper()
	if p.cmd != nil {
		p.t.Fatalf("peertest: %s is already running", p.name)
	}
	fmt.Fprintf(&p.log, "--- peertest: starting %s %s\n", p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.Stdout = &p.log
	cmd.Stderr = &p.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("peertest: starting %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(done)
	}()
	p.cmd, p.done = cmd, done

	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for !ready() {
		select {
		case <-done:
			p.cmd = nil
			p.t.Fatalf("peertest: %s exited before it was ready: %v\n%s", p.name, p.waitErr, p.log.String())
		case <-deadline.C:
			p.stop()
			p.t.Fatalf("peertest: %s not ready within %v\n%s", p.name, readyTimeout, p.log.String())
		case <-time.After(pollInterval):
		}
	}
}

// stop sends SIGTERM and waits for the program to exit, killing it after stopTimeout. A program
// that had already exited, or did not exit in time, fails the test: its data may not be on disk.
func (p *process) stop() {
	p.t.Helper()
	if p.cmd == nil {
		return
	}
	cmd, done := p.cmd, p.done
	p.cmd = nil
	select {
	case <-done:
		p.t.Errorf("peertest: %s exited before it was stopped: %v\n%s", p.name, p.waitErr, p.log.String())
		return
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Errorf("peertest: stopping %s: %v", p.name, err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-done:
		fmt.Fprintf(&p.log, "--- peertest: %s stopped: %v\n", p.name, exitStatus(p.waitErr))
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-done
		p.t.Errorf("peertest: %s did not exit within %v of SIGTERM and was killed\n%s", p.name, stopTimeout, p.log.String())
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// freePort returns a loopback TCP port that was free a moment ago. Another process may take it
// before the peer binds it; the peer then fails to start and the test fails with its log.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peertest: finding a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("peertest: finding a free port: %v", err)
	}
	return port
}

// canDial reports whether something accepts TCP connections on addr.
func canDial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// ensureMu serializes installs within one test binary; scripts/deps.sh serializes them across
// processes with a lock file.
var (
	ensureMu sync.Mutex
	ensured  = map[string]string{}
)

// ensureBinary returns the path of program name, looking on PATH and in dirs, and installing it
// with scripts/deps.sh dep when it is missing. It fails the test when it cannot.
func ensureBinary(t testing.TB, name, dep string, dirs ...string) string {
	t.Helper()
	ensureMu.Lock()
	defer ensureMu.Unlock()
	if path, ok := ensured[name]; ok {
		return path
	}
	if path, ok := lookBinary(name, dirs); ok {
		ensured[name] = path
		return path
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("peertest: %s is missing and the script that installs it cannot be found: %v", name, err)
	}
	script := filepath.Join(root, "scripts", "deps.sh")
	out, err := exec.Command("bash", script, dep).CombinedOutput()
	if path, ok := lookBinary(name, dirs); ok {
		t.Logf("peertest: %s was missing; ran %s %s:\n%s", name, script, dep, out)
		ensured[name] = path
		return path
	}
	t.Fatalf("peertest: %s is missing and %s %s did not install it (%v):\n%s", name, script, dep, err, out)
	return ""
}

func lookBinary(name string, dirs []string) (string, bool) {
	if path, err := exec.LookPath(name); err == nil {
		return path, true
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return path, true
		}
	}
	return "", false
}

// RepoRoot walks up from the working directory (a test's package directory) to the directory
// that holds go.mod: where scripts/deps.sh and the pinned npm packages are.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// goBinDir is where go install puts programs: GOBIN, or the first GOPATH entry's bin. It is
// empty when the go command cannot tell.
func goBinDir() string {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
		return strings.TrimSpace(lines[0])
	}
	if len(lines) < 2 {
		return ""
	}
	gopath, _, _ := strings.Cut(strings.TrimSpace(lines[1]), string(os.PathListSeparator))
	if gopath == "" {
		return ""
	}
	return filepath.Join(gopath, "bin")
}

// loopback returns 127.0.0.1:port.
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
