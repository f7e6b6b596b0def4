package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/link"
)

// TestNetworkKeygen makes a key with network keygen: it prints the public key of the private
// key it wrote (mode 0600), and refuses to overwrite a key.
func TestNetworkKeygen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys", "porto.key")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"network", "keygen", file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("network keygen exited %d: %s", code, stderr.String())
	}
	key, err := link.LoadKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := configs.FormatPublicKey(key.Public().(ed25519.PublicKey)) + "\n"; stdout.String() != want {
		t.Errorf("network keygen printed %q, want %q", stdout.String(), want)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	before, _ := os.ReadFile(file)
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"network", "keygen", file}, nil, &stdout, &stderr); code != 1 || stdout.Len() > 0 {
		t.Errorf("network keygen over an existing key exited %d printing %q; want 1 and nothing", code, stdout.String())
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("network keygen overwrote an existing key")
	}
	for _, args := range [][]string{{"network"}, {"network", "keygen"}, {"network", "rotate", file}} {
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("%v exited %d, want 2 (usage)", args, code)
		}
	}
}

// TestHubRefusesBadStarts runs hub with what it must refuse before it connects to anything.
func TestHubRefusesBadStarts(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "hub.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nstore: {postgres: \"postgres://h@127.0.0.1/c\"}\nsites: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	locked := t.TempDir()
	_, release, err := claimDataDir(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a hub file with problems", []string{"--config", bad}, bad + ":4: "},
		{"a missing hub file", []string{"--config", "testdata/absent-hub.yaml"}, "no such file"},
		{"a store that is not PostgreSQL", []string{"--config", "testdata/net/hub.yaml", "--store", "sqlite"}, `--store "sqlite": want a postgres:// URL`},
		{"a data directory another daemon holds", []string{"--config", "testdata/net/hub.yaml", "--data", locked}, "another daemon runs on it"},
		{"a token in clear on every interface", []string{"--config", "testdata/net/hub.yaml", "--listen", "0.0.0.0:0"}, `refusing to listen on 0.0.0.0:0: testdata/net/hub.yaml has the token "planner" written in clear`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"hub", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, tt.args...)
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// TestServeRefusesANetworkWithoutPlanner starts a site of a network with the planner off: its
// promises are the planner's, so serve refuses to start.
func TestServeRefusesANetworkWithoutPlanner(t *testing.T) {
	raw, err := os.ReadFile("testdata/net/porto.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "porto.yaml")
	section := "network:\n  broker: {url: \"tcp://127.0.0.1:1\"}\n  hub_key: \"" + configs.FormatPublicKey(netTestKey(t, "hub")) + "\"\n"
	if err := os.WriteFile(file, append(raw, section...), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"serve", "--config", file, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--plan-search", "0"}
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--plan-search must be above 0") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and the planner asked for", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "network.key")); err == nil {
		t.Error("serve made a network key before refusing to start")
	}
}
