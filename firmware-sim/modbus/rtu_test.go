package modbus

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.bug.st/serial"
)

// ptyPair starts socat joining two ptys and returns their paths; socat
// stops when the test ends.
func ptyPair(t *testing.T) (a, b string) {
	t.Helper()
	dir := t.TempDir()
	a, b = filepath.Join(dir, "a"), filepath.Join(dir, "b")
	cmd := exec.Command("socat", "-d", "-d",
		"pty,raw,echo=0,link="+a, "pty,raw,echo=0,link="+b)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting socat: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	eventually(t, "socat's pty links", func() bool {
		_, errA := os.Stat(a)
		_, errB := os.Stat(b)
		return errA == nil && errB == nil
	})
	return a, b
}

func openPort(t *testing.T, path string) serial.Port {
	t.Helper()
	p, err := serial.Open(path, &serial.Mode{BaudRate: 19200})
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// startRTU serves srv at 19200 baud on one end of a fresh pty pair until the
// test ends and returns the path of the other end.
func startRTU(t *testing.T, srv *Server, cfg RTUConfig) string {
	t.Helper()
	a, b := ptyPair(t)
	port := openPort(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeRTU(ctx, port, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("ServeRTU returned %v after cancel, want nil", err)
		}
	})
	return b
}

// newRTUServer returns a server for units 1 and 2 on one line at 19200 baud.
func newRTUServer(t *testing.T) (*Server, *Bank, *Bank, string) {
	return newRTUServerWith(t, RTUConfig{Baud: 19200})
}

// newRTUServerWith is newRTUServer with the line's config.
func newRTUServerWith(t *testing.T, cfg RTUConfig) (*Server, *Bank, *Bank, string) {
	t.Helper()
	srv := New(Config{})
	b1, b2 := testBank(), testBank()
	if err := srv.AddUnit(1, b1); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUnit(2, b2); err != nil {
		t.Fatal(err)
	}
	return srv, b1, b2, startRTU(t, srv, cfg)
}

func TestRTUMbpoll(t *testing.T) {
	_, b1, b2, dev := newRTUServer(t)
	for i := range uint16(5) {
		b1.SetHolding(i, 10+i)
		b2.SetHolding(i, 20+i)
	}
	b2.SetInput(0, 555)
	b1.SetCoil(0, true)
	tests := []struct {
		name string
		args []string
		want map[int]int
	}{
		{name: "unit 1 holding", args: []string{"-a", "1", "-r", "1", "-c", "5", "-t", "4"}, want: map[int]int{1: 10, 2: 11, 3: 12, 4: 13, 5: 14}},
		{name: "unit 2 holding", args: []string{"-a", "2", "-r", "1", "-c", "5", "-t", "4"}, want: map[int]int{1: 20, 2: 21, 3: 22, 4: 23, 5: 24}},
		{name: "unit 2 input", args: []string{"-a", "2", "-r", "1", "-c", "1", "-t", "3"}, want: map[int]int{1: 555}},
		{name: "unit 1 coils", args: []string{"-a", "1", "-r", "1", "-c", "2", "-t", "0"}, want: map[int]int{1: 1, 2: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-m", "rtu", "-b", "19200", "-P", "none", "-1"}, tt.args...)
			out, err := mbpoll(t, append(args, dev)...)
			if err != nil {
				t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
			}
			if got := mbpollValues(t, out); !equalMaps(got, tt.want) {
				t.Fatalf("mbpoll read %v, want %v\n%s", got, tt.want, out)
			}
		})
	}
	t.Run("write unit 2", func(t *testing.T) {
		out, err := mbpoll(t, "-m", "rtu", "-b", "19200", "-P", "none", "-1", "-a", "2", "-r", "8", "-t", "4", dev, "1234", "5678")
		if err != nil {
			t.Fatalf("mbpoll: %v\n%s", err, out)
		}
		if b2.Holding(7) != 1234 || b2.Holding(8) != 5678 || b1.Holding(7) != 0 {
			t.Fatalf("write reached the wrong bank: unit 2 has %d %d, unit 1 has %d", b2.Holding(7), b2.Holding(8), b1.Holding(7))
		}
	})
	t.Run("absent unit times out", func(t *testing.T) {
		out, err := mbpoll(t, "-m", "rtu", "-b", "19200", "-P", "none", "-1", "-o", "0.3", "-a", "3", "-t", "4", dev)
		if err == nil && len(mbpollValues(t, out)) > 0 {
			t.Fatalf("unit 3 answered:\n%s", out)
		}
	})
}

// rtuMaster is a raw RTU master on a pty end.
type rtuMaster struct {
	t    *testing.T
	port serial.Port
}

func (m *rtuMaster) send(frame []byte) {
	m.t.Helper()
	if _, err := m.port.Write(frame); err != nil {
		m.t.Fatal(err)
	}
}

// recv reads what arrives until n bytes are in or timeout passes.
func (m *rtuMaster) recv(n int, timeout time.Duration) []byte {
	m.t.Helper()
	var got []byte
	buf := make([]byte, 256)
	deadline := time.Now().Add(timeout)
	for len(got) < n && time.Now().Before(deadline) {
		if err := m.port.SetReadTimeout(time.Until(deadline)); err != nil {
			m.t.Fatal(err)
		}
		k, err := m.port.Read(buf)
		if err != nil {
			m.t.Fatal(err)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

func rtuFrame(addr byte, pdu []byte) []byte {
	return appendCRC(append([]byte{addr}, pdu...))
}

func TestRTURaw(t *testing.T) {
	srv, b1, b2, dev := newRTUServer(t)
	m := &rtuMaster{t: t, port: openPort(t, dev)}
	b1.SetHolding(0, 0x0102)

	t.Run("bad crc dropped", func(t *testing.T) {
		f := rtuFrame(1, req(3, 0, 1))
		f[len(f)-1] ^= 1
		m.send(f)
		if got := m.recv(1, 300*time.Millisecond); len(got) != 0 {
			t.Fatalf("answer % x to a frame with a bad crc", got)
		}
		want := rtuFrame(1, []byte{3, 2, 1, 2})
		m.send(rtuFrame(1, req(3, 0, 1)))
		if got := m.recv(len(want), 2*time.Second); !bytes.Equal(got, want) {
			t.Fatalf("answer % x, want % x", got, want)
		}
	})
	t.Run("exception", func(t *testing.T) {
		want := rtuFrame(2, []byte{0x83, 2})
		m.send(rtuFrame(2, req(3, 200, 1)))
		if got := m.recv(len(want), 2*time.Second); !bytes.Equal(got, want) {
			t.Fatalf("answer % x, want % x", got, want)
		}
	})
	t.Run("broadcast", func(t *testing.T) {
		m.send(rtuFrame(0, req(6, 9, 777)))
		eventually(t, "broadcast write in both banks", func() bool {
			return b1.Holding(9) == 777 && b2.Holding(9) == 777
		})
		if got := m.recv(1, 300*time.Millisecond); len(got) != 0 {
			t.Fatalf("answer % x to a broadcast", got)
		}
	})
	t.Run("corrupt crc fault", func(t *testing.T) {
		srv.SetFaults(Faults{CorruptCRC: true})
		defer srv.SetFaults(Faults{})
		good := rtuFrame(1, []byte{3, 2, 1, 2})
		m.send(rtuFrame(1, req(3, 0, 1)))
		got := m.recv(len(good), 2*time.Second)
		if len(got) != len(good) || !bytes.Equal(got[:len(got)-2], good[:len(good)-2]) {
			t.Fatalf("answer % x, want % x with a bad crc", got, good)
		}
		if bytes.Equal(got, good) {
			t.Fatalf("answer % x has a good crc", got)
		}
	})
	t.Run("frame broken by a silence", func(t *testing.T) {
		f := rtuFrame(1, req(3, 0, 1))
		m.send(f[:3])
		time.Sleep(50 * time.Millisecond) // the stimulus: a gap far longer than 3.5 characters
		m.send(f[3:])
		if got := m.recv(1, 300*time.Millisecond); len(got) != 0 {
			t.Fatalf("answer % x to a frame broken by a silence", got)
		}
	})
	t.Run("drop fault", func(t *testing.T) {
		srv.SetFaults(Faults{Drop: true})
		m.send(rtuFrame(1, req(3, 0, 1)))
		if got := m.recv(1, 300*time.Millisecond); len(got) != 0 {
			t.Fatalf("dropped answer arrived: % x", got)
		}
		srv.SetFaults(Faults{})
	})
}

// TestRTUFrameInTwoWrites: a frame that arrives in two writes, the second
// within the silence that ends a frame, is one frame. The silence is set far
// longer than 19200 baud's 2 ms: the writes pass through socat's relay, which
// on a loaded machine may hold the second longer than that.
func TestRTUFrameInTwoWrites(t *testing.T) {
	_, b1, _, dev := newRTUServerWith(t, RTUConfig{Baud: 19200, Silence: 300 * time.Millisecond})
	m := &rtuMaster{t: t, port: openPort(t, dev)}
	b1.SetHolding(0, 0x0102)
	f := rtuFrame(1, req(3, 0, 1))
	m.send(f[:3])
	m.send(f[3:])
	want := rtuFrame(1, []byte{3, 2, 1, 2})
	if got := m.recv(len(want), 3*time.Second); !bytes.Equal(got, want) {
		t.Fatalf("answer % x, want % x", got, want)
	}
}

func TestRTUCorruptCRCSeenByMbpoll(t *testing.T) {
	srv, _, _, dev := newRTUServer(t)
	args := []string{"-m", "rtu", "-b", "19200", "-P", "none", "-1", "-o", "0.5", "-a", "1", "-t", "4", dev}
	srv.SetFaults(Faults{CorruptCRC: true})
	out, err := mbpoll(t, args...)
	if err == nil && len(mbpollValues(t, out)) > 0 {
		t.Fatalf("mbpoll accepted an answer with a corrupt crc:\n%s", out)
	}
	srv.SetFaults(Faults{})
	if out, err := mbpoll(t, args...); err != nil {
		t.Fatalf("mbpoll after the fault cleared: %v\n%s", err, out)
	}
}

func TestRTUSilence(t *testing.T) {
	tests := []struct {
		name string
		cfg  RTUConfig
		want time.Duration
	}{
		{name: "default 19200", cfg: RTUConfig{}, want: 2005208 * time.Nanosecond},
		{name: "9600", cfg: RTUConfig{Baud: 9600}, want: 4010416 * time.Nanosecond},
		{name: "above 19200 fixed", cfg: RTUConfig{Baud: 115200}, want: 1750 * time.Microsecond},
		{name: "override", cfg: RTUConfig{Baud: 9600, Silence: 20 * time.Millisecond}, want: 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.silence(); got != tt.want {
				t.Fatalf("silence = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRTUStopsWithoutReadTimeout(t *testing.T) {
	srv := New(Config{})
	if err := srv.AddUnit(1, testBank()); err != nil {
		t.Fatal(err)
	}
	server, client := net.Pipe()
	defer client.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeRTU(ctx, server, RTUConfig{Baud: 9600}) }()
	client.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Write(rtuFrame(1, req(6, 1, 5))); err != nil {
		t.Fatal(err)
	}
	want := rtuFrame(1, req(6, 1, 5))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("answer % x, %v; want % x", got, err, want)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("ServeRTU returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeRTU did not return after cancel")
	}
}
