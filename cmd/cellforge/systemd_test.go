package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeTellsSystemd runs the daemon as systemd would run the packaged unit, with
// $NOTIFY_SOCKET naming a real datagram socket and a watchdog, and reads what it says:
// READY=1 once it serves, WATCHDOG=1 while it runs, STOPPING=1 when told to stop.
func TestServeTellsSystemd(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	// WATCHDOG_PID is left unset: the process to watch is the one started.
	d := startCommandEnv(t, []string{"NOTIFY_SOCKET=" + socket, "WATCHDOG_USEC=600000", "WATCHDOG_PID="},
		"serve", "--config", "../../configs/demo.yaml", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	wait := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case s := <-got:
				if s == want {
					return
				}
				if s != "READY=1" && s != "WATCHDOG=1" && s != "STOPPING=1" {
					t.Fatalf("unexpected datagram %q", s)
				}
			case <-deadline:
				t.Fatalf("no %q from the daemon\n%s", want, d.logs())
			}
		}
	}
	wait("READY=1")
	if code, err := request(context.Background(), "GET", d.url+"/healthz", "", "", nil, nil); err != nil || code != 200 {
		t.Fatalf("healthz after READY=1: %d %v", code, err)
	}
	for i := 0; i < 3; i++ {
		wait("WATCHDOG=1")
	}
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	wait("STOPPING=1")
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, d.logs())
		}
		d.done <- nil
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeRefusesABadNotifySocket(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "absent")
	cmd := exec.Command(binary(t), "serve", "--config", "../../configs/demo.yaml", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+socket)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `NOTIFY_SOCKET "`+socket+`"`) || strings.Contains(string(out), "serving") {
		t.Fatalf("serve with a NOTIFY_SOCKET that is no socket: %v\n%s\nwant a refusal naming it, before serving", err, out)
	}
}
