package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cellforge once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cellforge-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cellforge")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// daemon is a cellforge serve process.
type daemon struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	errw   *syncWriter // guards stderr while the daemon runs
	done   chan error
	// exited is set once the process has exited and been waited for (before done has its
	// error), which kill reads instead of cmd.ProcessState, written by Wait meanwhile.
	exited atomic.Bool
	// reader is the token get reads the API with: the demo planner's unless a test serving
	// another factory sets its own.
	reader string
}

// logs returns what the daemon logged so far; safe while it runs.
func (d *daemon) logs() string {
	d.errw.mu.Lock()
	defer d.errw.mu.Unlock()
	return d.stderr.String()
}

var servingLine = regexp.MustCompile(`on (http://\S+)`)

// startDaemon starts cellforge serve on a free loopback port and waits until it answers.
// extra flags follow the others.
func startDaemon(t testing.TB, config, data string, extra ...string) *daemon {
	t.Helper()
	return startCommand(t, append([]string{"serve", "--config", config, "--data", data, "--listen", "127.0.0.1:0"}, extra...)...)
}

// startCommand starts cellforge with args, a command that prints the address it serves on as
// its first line (serve, hub), and waits until it does.
func startCommand(t testing.TB, args ...string) *daemon {
	t.Helper()
	return startCommandEnv(t, nil, args...)
}

// startCommandEnv is startCommand with env added to the test's environment.
func startCommandEnv(t testing.TB, env []string, args ...string) *daemon {
	t.Helper()
	d, lines := launch(t, env, args...)
	d.awaitServing(t, lines, args[0])
	return d
}

// launch starts cellforge with args and env added to the test's environment, without waiting:
// lines has the first line of its output once it prints it (see awaitServing).
func launch(t testing.TB, env []string, args ...string) (*daemon, <-chan string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1), reader: demoPlanner}
	d.errw = &syncWriter{w: d.stderr}
	cmd.Stderr = d.errw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		d.exited.Store(true)
		d.done <- err
	}()
	t.Cleanup(func() { d.kill() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	return d, lines
}

// awaitServing waits for the address the command (serve, hub) prints as its first line.
func (d *daemon) awaitServing(t testing.TB, lines <-chan string, command string) {
	t.Helper()
	select {
	case line := <-lines:
		m := servingLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected first line from %s: %q", command, line)
		}
		d.url = m[1]
	case err := <-d.done:
		t.Fatalf("%s exited before serving: %v\n%s", command, err, d.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start in time\n%s", command, d.logs())
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	if d.exited.Load() {
		return
	}
	d.cmd.Process.Kill()
	<-d.done
	d.done <- nil // later calls return at once
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func request(ctx context.Context, method, url, token, contentType string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

func TestServeAnswersAndStopsCleanly(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir())
	var h struct {
		Status string `json:"status"`
	}
	if code, err := request(context.Background(), "GET", d.url+"/healthz", "", "", nil, &h); err != nil || code != 200 || h.Status != "ok" {
		t.Fatalf("healthz: %d %v %+v", code, err, h)
	}
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGINT\n%s", err, d.stderr)
		}
		d.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
}

func TestServeRefusesBadStarts(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "demo credentials on every interface",
			args: []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "0.0.0.0:0"},
			want: "refusing to listen on 0.0.0.0:0",
		},
		{
			name: "demo credentials on a non-loopback address",
			args: []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "192.0.2.1:8080"},
			want: "has demo credentials",
		},
		{
			name: "demo credentials behind a proxy",
			args: []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1"},
			want: "refusing to serve behind proxies",
		},
		{
			name: "a proxy that is no address",
			args: []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1, caddy"},
			want: `--trusted-proxies: "caddy" is neither an IP address nor a CIDR prefix`,
		},
		{
			name: "a config that cannot run",
			args: []string{"serve", "--config", "testdata/nocell.bad.yaml", "--listen", "127.0.0.1:0"},
			want: `testdata/nocell.bad.yaml:`,
		},
		{
			name: "a missing config",
			args: []string{"serve", "--config", "testdata/absent.yaml"},
			want: "no such file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(tt.args, "--data", t.TempDir()), nil, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}
