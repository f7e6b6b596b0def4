package sdnotify

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen makes the socket systemd would listen on, at name (a path, or '@' and an abstract
// name), and returns what the daemon is told in $NOTIFY_SOCKET and the datagrams it reads.
func listen(t *testing.T, name string) (string, <-chan string) {
	t.Helper()
	addr := name
	if strings.HasPrefix(name, "@") {
		addr = "\x00" + name[1:]
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return name, got
}

func next(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came on the notification socket")
		return ""
	}
}

func TestRunNotifiesReadyWatchdogStopping(t *testing.T) {
	for _, tc := range []struct{ name, socket string }{
		{"path", filepath.Join(t.TempDir(), "notify")},
		{"abstract", "@cellforge-sdnotify-test-" + strings.ReplaceAll(t.Name(), "/", "-") + time.Now().Format("150405.000000000")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socket, got := listen(t, tc.socket)
			n, err := Open(socket)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- n.Run(ctx, Config{Timeout: 40 * time.Millisecond}) }()
			if s := next(t, got); s != Ready {
				t.Fatalf("first datagram %q, want %q", s, Ready)
			}
			for i := 0; i < 3; i++ {
				if s := next(t, got); s != Watchdog {
					t.Fatalf("datagram %q, want %q", s, Watchdog)
				}
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			for s := range drain(got) {
				if s == Stopping {
					return
				}
				if s != Watchdog {
					t.Fatalf("datagram %q after the pings, want %q", s, Stopping)
				}
			}
			t.Fatalf("no %q once stopped", Stopping)
		})
	}
}

// drain yields what came and comes within a second.
func drain(got <-chan string) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		for {
			select {
			case s := <-got:
				out <- s
			case <-time.After(time.Second):
				return
			}
		}
	}()
	return out
}

func TestRunStopsPingingWhileUnhealthy(t *testing.T) {
	socket, got := listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := Open(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var wedged atomic.Bool
	wedged.Store(true)
	block := make(chan struct{})
	defer close(block)
	healthy := func(ctx context.Context) error {
		if wedged.Load() {
			<-block // a lock that is never released: the check outlives its context
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- n.Run(ctx, Config{Timeout: 40 * time.Millisecond, Healthy: healthy}) }()
	if s := next(t, got); s != Ready {
		t.Fatalf("first datagram %q, want %q", s, Ready)
	}
	// While wedged, several check periods pass without a ping.
	select {
	case s := <-got:
		t.Fatalf("datagram %q while the daemon is wedged", s)
	case <-time.After(200 * time.Millisecond):
	}
	wedged.Store(false)
	if s := next(t, got); s != Watchdog {
		t.Fatalf("datagram %q once healthy again, want %q", s, Watchdog)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestFailingCheckSkipsPing(t *testing.T) {
	socket, got := listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := Open(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var fail atomic.Bool
	fail.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Run(ctx, Config{Timeout: 40 * time.Millisecond, Healthy: func(context.Context) error {
		if fail.Load() {
			return errors.New("floor wedged")
		}
		return nil
	}})
	next(t, got) // READY=1
	select {
	case s := <-got:
		t.Fatalf("datagram %q while the check fails", s)
	case <-time.After(200 * time.Millisecond):
	}
	fail.Store(false)
	if s := next(t, got); s != Watchdog {
		t.Fatalf("datagram %q, want %q", s, Watchdog)
	}
}

func TestNoSocketNoNotifier(t *testing.T) {
	n, err := Open("")
	if err != nil || n != nil {
		t.Fatalf("Open(\"\") = %v, %v; want nil, nil", n, err)
	}
	if err := n.Notify(Ready); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Run(ctx, Config{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct{ name, socket, want string }{
		{"relative", "run/notify", "want an absolute path"},
		{"missing", filepath.Join(t.TempDir(), "none"), "NOTIFY_SOCKET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.socket)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%q) = %v, want an error with %q", tc.socket, err, tc.want)
			}
		})
	}
}

func TestWatchdogTimeout(t *testing.T) {
	for _, tc := range []struct {
		name, usec, pid string
		want            time.Duration
		err             string
	}{
		{name: "unset"},
		{name: "ours", usec: "30000000", pid: "42", want: 30 * time.Second},
		{name: "no pid", usec: "1500", want: 1500 * time.Microsecond},
		{name: "another process's", usec: "30000000", pid: "7"},
		{name: "not a number", usec: "30s", err: `WATCHDOG_USEC "30s"`},
		{name: "zero", usec: "0", err: `WATCHDOG_USEC "0"`},
		{name: "bad pid", usec: "1", pid: "x", err: `WATCHDOG_PID "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WatchdogTimeout(tc.usec, tc.pid, 42)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
