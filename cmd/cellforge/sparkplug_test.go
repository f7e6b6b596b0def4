package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/sparkplug/sparkplugtest"
)

// TestSparkplugNodeOfTheDaemon serves the demo factory with a Sparkplug node on a real
// Mosquitto, heard by a host on Eclipse Tahu's payload library: the node's birth and its
// machines', a machine of the simulated floor that stops answering gives its DDEATH and its
// DBIRTH when it answers again, and a clean stop publishes the NDEATH of the session's bdSeq.
// Served again on the same data, the node's next session has the next bdSeq.
func TestSparkplugNodeOfTheDaemon(t *testing.T) {
	t.Parallel()
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	h := sparkplugtest.StartHost(t, mq.Addr())
	demo, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "factory.yaml")
	section := fmt.Sprintf("\ntelemetry:\n  interval: 200ms\n  mqtt:\n    broker: %s\n    client_id: spb-test\n  sparkplug:\n    group: studio\n", mq.URL())
	if err := os.WriteFile(config, append(demo, section...), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	d := startDaemon(t, config, data, "--sim-speed", "600")

	// The edge node id is the site's, the devices are the machines' ids.
	birth := h.WaitFor("the NBIRTH", sparkplugtest.Is("NBIRTH", ""))
	bd := sparkplugtest.BdSeq(t, birth)
	if birth.Group != "studio" || birth.Node != "loom-lantern" {
		t.Errorf("NBIRTH of %s/%s, want studio/loom-lantern", birth.Group, birth.Node)
	}
	h.WaitFor("the DBIRTH of loom-c", sparkplugtest.Is("DBIRTH", "loom-c"))
	h.WaitFor("DDATA of loom-c", sparkplugtest.Is("DDATA", "loom-c"))

	manager := d.signIn(t, "ines", "demo-manager-password")
	fault := func(body string) {
		t.Helper()
		code, err := request(context.Background(), "PUT", d.url+"/api/v1/sim/devices/loom-c/faults", manager, "application/json", []byte(body), nil)
		if err != nil || code != 200 {
			t.Fatalf("setting loom-c's faults to %s: %d %v", body, code, err)
		}
	}
	fault(`{"drop": true}`)
	h.WaitFor("the DDEATH of loom-c", sparkplugtest.Is("DDEATH", "loom-c"))
	fault(`{}`)
	h.WaitFor("the DBIRTH of loom-c back", sparkplugtest.Is("DBIRTH", "loom-c"))
	h.WaitFor("DDATA of loom-c back", sparkplugtest.Is("DDATA", "loom-c"))

	stopDaemon(t, d)
	if got := sparkplugtest.BdSeq(t, h.WaitFor("the NDEATH at the stop", sparkplugtest.Is("NDEATH", ""))); got != bd {
		t.Errorf("the NDEATH at the stop has bdSeq %d, the NBIRTH had %d", got, bd)
	}
	d = startDaemon(t, config, data, "--sim-speed", "600")
	if got := sparkplugtest.BdSeq(t, h.WaitFor("the NBIRTH after a restart", sparkplugtest.Is("NBIRTH", ""))); got != (bd+1)%256 {
		t.Errorf("the NBIRTH after a restart has bdSeq %d, want %d", got, (bd+1)%256)
	}
	h.WaitFor("the DBIRTH of loom-c after a restart", sparkplugtest.Is("DBIRTH", "loom-c"))
	stopDaemon(t, d)
	h.CheckRules()
}

// stopDaemon stops a daemon with SIGINT and waits until it has exited cleanly.
func stopDaemon(t *testing.T, d *daemon) {
	t.Helper()
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGINT\n%s", err, d.logs())
		}
		d.done <- nil
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop within a minute of SIGINT\n%s", d.logs())
	}
}
