package modbus

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTCP serves srv on a free port of 127.0.0.1 until the test ends, and
// checks that Serve then returns nil.
func startTCP(t *testing.T, srv *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	})
	return l.Addr().String()
}

// newTCPServer returns a server with unit 1 on a fresh test bank, served on
// 127.0.0.1.
func newTCPServer(t *testing.T, cfg Config) (*Server, *Bank, string) {
	t.Helper()
	srv := New(cfg)
	bank := testBank()
	if err := srv.AddUnit(1, bank); err != nil {
		t.Fatal(err)
	}
	return srv, bank, startTCP(t, srv)
}

// tcpClient is a plain Modbus TCP client with a deadline on every exchange.
type tcpClient struct {
	t    *testing.T
	conn net.Conn
	tid  uint16
}

func dial(t *testing.T, addr string) *tcpClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &tcpClient{t: t, conn: c}
}

// send writes a request for unit with pdu.
func (c *tcpClient) send(unit byte, pdu []byte) {
	c.t.Helper()
	c.tid++
	h := make([]byte, 7, 7+len(pdu))
	binary.BigEndian.PutUint16(h, c.tid)
	binary.BigEndian.PutUint16(h[4:], uint16(1+len(pdu)))
	h[6] = unit
	if _, err := c.conn.Write(append(h, pdu...)); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one answer within timeout and returns its PDU, after checking
// the header echoes the request's.
func (c *tcpClient) recv(unit byte, timeout time.Duration) ([]byte, error) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	h := make([]byte, 7)
	if _, err := io.ReadFull(c.conn, h); err != nil {
		return nil, err
	}
	if tid := binary.BigEndian.Uint16(h); tid != c.tid || binary.BigEndian.Uint16(h[2:]) != 0 || h[6] != unit {
		c.t.Fatalf("answer header % x does not echo transaction %d, protocol 0, unit %d", h, c.tid, unit)
	}
	pdu := make([]byte, int(binary.BigEndian.Uint16(h[4:]))-1)
	_, err := io.ReadFull(c.conn, pdu)
	return pdu, err
}

// call sends pdu to unit 1 and returns the answer, failing the test when
// there is none within a second.
func (c *tcpClient) call(pdu []byte) []byte {
	c.t.Helper()
	c.send(1, pdu)
	resp, err := c.recv(1, time.Second)
	if err != nil {
		c.t.Fatalf("no answer to % x: %v", pdu, err)
	}
	return resp
}

// isClosed reports whether err says the peer closed the connection: EOF, or
// a reset when the peer closed with our bytes still unread.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestTCPMbpoll(t *testing.T) {
	_, bank, addr := newTCPServer(t, Config{})
	_, port, _ := net.SplitHostPort(addr)
	for i := range uint16(5) {
		bank.SetHolding(i, 100+i)
		bank.SetInput(i, 200+i)
	}
	bank.SetCoil(1, true)
	bank.SetCoil(2, true)
	bank.SetDiscrete(0, true)
	bank.SetDiscrete(3, true)

	reads := []struct {
		name string
		args []string
		want map[int]int
	}{
		{name: "holding registers", args: []string{"-t", "4", "-r", "1", "-c", "5"}, want: map[int]int{1: 100, 2: 101, 3: 102, 4: 103, 5: 104}},
		{name: "input registers", args: []string{"-t", "3", "-r", "2", "-c", "3"}, want: map[int]int{2: 201, 3: 202, 4: 203}},
		{name: "coils", args: []string{"-t", "0", "-r", "1", "-c", "4"}, want: map[int]int{1: 0, 2: 1, 3: 1, 4: 0}},
		{name: "discrete inputs", args: []string{"-t", "1", "-r", "1", "-c", "4"}, want: map[int]int{1: 1, 2: 0, 3: 0, 4: 1}},
	}
	for _, tt := range reads {
		t.Run("read "+tt.name, func(t *testing.T) {
			args := append([]string{"-m", "tcp", "-a", "1", "-1", "-p", port}, tt.args...)
			out, err := mbpoll(t, append(args, "127.0.0.1")...)
			if err != nil {
				t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
			}
			if got := mbpollValues(t, out); !equalMaps(got, tt.want) {
				t.Fatalf("mbpoll read %v, want %v\n%s", got, tt.want, out)
			}
		})
	}

	writes := []struct {
		name   string
		args   []string
		values []string
		check  func() bool
	}{
		{name: "one holding register", args: []string{"-t", "4", "-r", "3"}, values: []string{"4242"},
			check: func() bool { return bank.Holding(2) == 4242 }},
		{name: "several holding registers", args: []string{"-t", "4", "-r", "10"}, values: []string{"7", "8", "9"},
			check: func() bool { return bank.Holding(9) == 7 && bank.Holding(10) == 8 && bank.Holding(11) == 9 }},
		{name: "one coil", args: []string{"-t", "0", "-r", "100"}, values: []string{"1"},
			check: func() bool { return bank.Coil(99) }},
		{name: "several coils", args: []string{"-t", "0", "-r", "200"}, values: []string{"1", "0", "1"},
			check: func() bool { return bank.Coil(199) && !bank.Coil(200) && bank.Coil(201) }},
	}
	for _, tt := range writes {
		t.Run("write "+tt.name, func(t *testing.T) {
			args := append([]string{"-m", "tcp", "-a", "1", "-1", "-p", port}, tt.args...)
			args = append(append(args, "127.0.0.1"), tt.values...)
			out, err := mbpoll(t, args...)
			if err != nil {
				t.Fatalf("mbpoll %v: %v\n%s", args, err, out)
			}
			if !tt.check() {
				t.Fatalf("mbpoll %v did not change the bank\n%s", args, out)
			}
		})
	}

	t.Run("read past the end is refused", func(t *testing.T) {
		out, err := mbpoll(t, "-m", "tcp", "-a", "1", "-1", "-p", port, "-t", "4", "-r", "129", "-c", "5", "127.0.0.1")
		if err == nil && len(mbpollValues(t, out)) > 0 {
			t.Fatalf("mbpoll read registers 129..133 of 130:\n%s", out)
		}
	})
}

func equalMaps(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestTCPHookSeesMbpollWrite(t *testing.T) {
	_, bank, addr := newTCPServer(t, Config{})
	_, port, _ := net.SplitHostPort(addr)
	got := make(chan Write, 1)
	bank.OnWrite(func(w Write) { got <- w })
	out, err := mbpoll(t, "-m", "tcp", "-a", "1", "-1", "-p", port, "-t", "0", "-r", "6", "127.0.0.1", "1")
	if err != nil {
		t.Fatalf("mbpoll: %v\n%s", err, out)
	}
	select {
	case w := <-got:
		if w != (Write{Table: Coils, Addr: 5, Quantity: 1}) {
			t.Fatalf("hook saw %+v, want coil 5", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hook not called for mbpoll's coil write")
	}
}

func TestTCPConcurrentConnections(t *testing.T) {
	_, bank, addr := newTCPServer(t, Config{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, addr)
			for n := range uint16(50) {
				c.send(1, req(6, uint16(i), n))
				if resp, err := c.recv(1, 2*time.Second); err != nil || !bytes.Equal(resp, req(6, uint16(i), n)) {
					t.Errorf("client %d write %d: % x, %v", i, n, resp, err)
					return
				}
				c.send(1, req(3, uint16(i), 1))
				if resp, err := c.recv(1, 2*time.Second); err != nil || !bytes.Equal(resp, []byte{3, 2, 0, byte(n)}) {
					t.Errorf("client %d read %d: % x, %v", i, n, resp, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range uint16(8) {
		if bank.Holding(i) != 49 {
			t.Errorf("register %d = %d, want 49", i, bank.Holding(i))
		}
	}
}

func TestTCPMalformedFrames(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
	}{
		{name: "protocol id 1", frame: []byte{0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1}},
		{name: "length 0xffff", frame: []byte{0, 1, 0, 0, 0xFF, 0xFF, 1, 3, 0, 0, 0, 1}},
		{name: "length 1, no function code", frame: []byte{0, 1, 0, 0, 0, 1, 1}},
		{name: "length 255", frame: []byte{0, 1, 0, 0, 0, 255, 1, 3}},
	}
	_, _, addr := newTCPServer(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr)
			if _, err := c.conn.Write(tt.frame); err != nil {
				t.Fatal(err)
			}
			c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := c.conn.Read(make([]byte, 64)); !isClosed(err) {
				t.Fatalf("after % x: read %d bytes, %v; want the connection closed", tt.frame, n, err)
			}
			// The server still answers others.
			if resp := dial(t, addr).call(req(3, 0, 1)); !bytes.Equal(resp, []byte{3, 2, 0, 0}) {
				t.Fatalf("server answers % x after a malformed frame", resp)
			}
		})
	}
}

func TestTCPUnknownUnit(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []byte // nil: no answer
	}{
		{name: "default no answer", cfg: Config{}},
		{name: "exception 0b", cfg: Config{UnknownUnitException: true}, want: []byte{0x83, 0x0B}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, addr := newTCPServer(t, tt.cfg)
			c := dial(t, addr)
			c.send(9, req(3, 0, 1))
			resp, err := c.recv(9, 300*time.Millisecond)
			switch {
			case tt.want == nil && !isTimeout(err):
				t.Fatalf("unit 9 answered % x, %v; want a timeout", resp, err)
			case tt.want != nil && (err != nil || !bytes.Equal(resp, tt.want)):
				t.Fatalf("unit 9 answered % x, %v; want % x", resp, err, tt.want)
			}
			// Unit 1 still answers on the same connection.
			if resp := c.call(req(3, 0, 1)); !bytes.Equal(resp, []byte{3, 2, 0, 0}) {
				t.Fatalf("unit 1 answered % x", resp)
			}
		})
	}
}

func TestTCPFaults(t *testing.T) {
	srv, bank, addr := newTCPServer(t, Config{})
	t.Run("delay", func(t *testing.T) {
		srv.SetFaults(Faults{Delay: 400 * time.Millisecond})
		defer srv.SetFaults(Faults{})
		c := dial(t, addr)
		c.send(1, req(3, 0, 1))
		if resp, err := c.recv(1, 100*time.Millisecond); !isTimeout(err) {
			t.Fatalf("delayed answer came early: % x, %v", resp, err)
		}
		if resp, err := c.recv(1, 5*time.Second); err != nil || !bytes.Equal(resp, []byte{3, 2, 0, 0}) {
			t.Fatalf("delayed answer: % x, %v", resp, err)
		}
	})
	t.Run("drop", func(t *testing.T) {
		srv.SetFaults(Faults{Drop: true})
		c := dial(t, addr)
		c.send(1, req(6, 4, 99))
		if resp, err := c.recv(1, 300*time.Millisecond); !isTimeout(err) {
			t.Fatalf("dropped answer arrived: % x, %v", resp, err)
		}
		if bank.Holding(4) != 99 {
			t.Fatal("write with a dropped answer not applied")
		}
		srv.SetFaults(Faults{})
		if resp := c.call(req(3, 4, 1)); !bytes.Equal(resp, []byte{3, 2, 0, 99}) {
			t.Fatalf("answer after the fault cleared: % x", resp)
		}
	})
	t.Run("exception", func(t *testing.T) {
		srv.SetFaults(Faults{Exception: ServerDeviceBusy})
		defer srv.SetFaults(Faults{})
		c := dial(t, addr)
		if resp := c.call(req(6, 5, 1)); !bytes.Equal(resp, []byte{0x86, 0x06}) {
			t.Fatalf("answer % x, want 86 06", resp)
		}
		if bank.Holding(5) != 0 {
			t.Fatal("write answered with an exception was applied")
		}
	})
	t.Run("close connection", func(t *testing.T) {
		srv.SetFaults(Faults{CloseConn: true})
		defer srv.SetFaults(Faults{})
		c := dial(t, addr)
		c.send(1, req(3, 0, 1))
		if resp, err := c.recv(1, 5*time.Second); !isClosed(err) {
			t.Fatalf("got % x, %v; want the connection closed", resp, err)
		}
	})
}

func TestTCPServeStops(t *testing.T) {
	srv := New(Config{})
	if err := srv.AddUnit(1, testBank()); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, l) }()
	c := dial(t, l.Addr().String())
	c.call(req(3, 0, 1))
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.Read(make([]byte, 1)); !isClosed(err) {
		t.Fatalf("open connection not closed: %v", err)
	}
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Fatal("listener still accepts after Serve returned")
	}
}

func TestAddUnit(t *testing.T) {
	srv := New(Config{})
	tests := []struct {
		name    string
		id      byte
		bank    *Bank
		wantErr bool
	}{
		{name: "first", id: 1, bank: testBank()},
		{name: "duplicate", id: 1, bank: testBank(), wantErr: true},
		{name: "broadcast", id: 0, bank: testBank(), wantErr: true},
		{name: "nil bank", id: 2, wantErr: true},
		{name: "tcp 255", id: 255, bank: testBank()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := srv.AddUnit(tt.id, tt.bank); (err != nil) != tt.wantErr {
				t.Fatalf("AddUnit(%d) = %v, want error %v", tt.id, err, tt.wantErr)
			}
		})
	}
}

// A fault set on one unit leaves the other units of the server answering.
func TestUnitFaultsApplyToOneUnit(t *testing.T) {
	srv, _, addr := newTCPServer(t, Config{})
	if err := srv.AddUnit(2, testBank()); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	read := []byte{3, 0, 0, 0, 1} // read holding register 0
	srv.SetUnitFaults(2, Faults{Exception: ServerDeviceFailure})
	c.send(1, read)
	if resp, err := c.recv(1, time.Second); err != nil || resp[0] != 3 {
		t.Fatalf("unit 1 answered % x, %v; want a normal answer", resp, err)
	}
	c.send(2, read)
	if resp, err := c.recv(2, time.Second); err != nil || !bytes.Equal(resp, []byte{0x83, byte(ServerDeviceFailure)}) {
		t.Fatalf("unit 2 answered % x, %v; want exception 4", resp, err)
	}
	// A server-wide fault does not override the unit's own.
	srv.SetFaults(Faults{Exception: IllegalFunction})
	c.send(2, read)
	if resp, err := c.recv(2, time.Second); err != nil || resp[1] != byte(ServerDeviceFailure) {
		t.Fatalf("unit 2 under a server fault answered % x, %v; want its own exception 4", resp, err)
	}
	srv.SetFaults(Faults{})
	srv.ClearUnitFaults(2)
	c.send(2, read)
	if resp, err := c.recv(2, time.Second); err != nil || resp[0] != 3 {
		t.Fatalf("unit 2 after clearing answered % x, %v; want a normal answer", resp, err)
	}
}
