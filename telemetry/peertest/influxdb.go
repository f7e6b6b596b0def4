package peertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// InfluxDB is a real InfluxDB 1.8 with Flux enabled, on loopback ports, with temporary meta,
// data and WAL directories. Besides the 1.x API it serves the 2.x compatibility endpoints
// /api/v2/write and /api/v2/query that influxdb-client-go/v2 uses: the organization is ignored
// (pass ""), a bucket is "database/retention-policy", and with authentication off any token,
// also "", is accepted.
type InfluxDB struct {
	url  string
	proc *process
}

// StartInfluxDB starts an InfluxDB server and waits until it answers /ping. The server is
// stopped when the test ends.
func StartInfluxDB(t testing.TB) *InfluxDB {
	t.Helper()
	bin := ensureBinary(t, "influxd", "influxd", goBinDir())
	dir := t.TempDir()
	httpAddr, rpcAddr := loopback(freePort(t)), loopback(freePort(t))
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = %q

[meta]
  dir = %q

[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false

[http]
  bind-address = %q
  flux-enabled = true
  log-enabled = false
  auth-enabled = false

[monitor]
  store-enabled = false

[logging]
  level = "warn"
`, rpcAddr, filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), httpAddr)
	confFile := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatalf("peertest: %v", err)
	}

	i := &InfluxDB{
		url: "http://" + httpAddr,
		proc: &process{
			t: t, name: "influxd", path: bin,
			args: []string{"run", "-config", confFile},
			env:  influxEnv(),
		},
	}
	t.Cleanup(i.Stop)
	i.Start()
	return i
}

// influxEnv is the test's environment without INFLUXDB_* variables, which influxd would take
// over the config file.
func influxEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INFLUXDB_") {
			env = append(env, kv)
		}
	}
	return env
}

// URL returns the server's HTTP address, http://127.0.0.1:PORT.
func (i *InfluxDB) URL() string { return i.url }

// PID returns the server's process id, to read its CPU time and memory from /proc; 0 while it
// is stopped.
func (i *InfluxDB) PID() int {
	if i.proc.cmd == nil {
		return 0
	}
	return i.proc.cmd.Process.Pid
}

// Stop sends the server SIGTERM and waits until it has exited. Stopping a stopped server does
// nothing.
func (i *InfluxDB) Stop() { i.proc.t.Helper(); i.proc.stop() }

// Start starts a stopped server again on the same ports with the same data and waits until
// GET /ping answers 204.
func (i *InfluxDB) Start() {
	i.proc.t.Helper()
	client := &http.Client{Timeout: time.Second}
	i.proc.start(func() bool {
		resp, err := client.Get(i.url + "/ping")
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	})
}

// CreateDatabase creates database name with its default retention policy autogen; for the 2.x
// API its bucket is "name/autogen". Creating an existing database does nothing.
func (i *InfluxDB) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
	q := url.Values{"q": {`CREATE DATABASE "` + quoted + `"`}}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.PostForm(i.url+"/query", q)
	if err != nil {
		t.Fatalf("peertest: creating database %q: %v\n%s", name, err, i.Log())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("peertest: creating database %q: %v", name, err)
	}
	var result struct {
		Error   string `json:"error"`
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &result); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("peertest: creating database %q: %s: %s", name, resp.Status, body)
	}
	if result.Error != "" {
		t.Fatalf("peertest: creating database %q: %s", name, result.Error)
	}
	for _, r := range result.Results {
		if r.Error != "" {
			t.Fatalf("peertest: creating database %q: %s", name, r.Error)
		}
	}
}

// Log returns the server's log so far, across restarts, for failure messages.
func (i *InfluxDB) Log() string { return i.proc.log.String() }
