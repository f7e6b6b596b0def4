package rawport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/drivers/health"
)

var errFault = errors.New("test printer fault")

// byteStatus is a test printer's one-byte status: 'R' ready, 'F' faulted.
type byteStatus byte

func (s byteStatus) Err() error {
	if s != 'R' {
		return fmt.Errorf("status %q: %w", byte(s), errFault)
	}
	return nil
}

// testPrinter answers each '?' with its status byte and keeps every other
// byte it receives; faultAfter, when set, turns its status to 'F' once it
// has received that many bytes of data.
type testPrinter struct {
	addr string

	mu         sync.Mutex
	status     byte
	faultAfter int
	data       bytes.Buffer
}

func startPrinter(t *testing.T, status byte, faultAfter int) *testPrinter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPrinter{addr: l.Addr().String(), status: status, faultAfter: faultAfter}
	serveConns(t, l, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			p.mu.Lock()
			if b == '?' {
				st := p.status
				p.mu.Unlock()
				c.Write([]byte{st})
				continue
			}
			p.data.WriteByte(b)
			if p.faultAfter > 0 && p.data.Len() >= p.faultAfter {
				p.status = 'F'
			}
			p.mu.Unlock()
		}
	})
	return p
}

func (p *testPrinter) received() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data.String()
}

// testDialect asks with '?' and counts the statuses a print's checks accept.
func testDialect(ready *int) Dialect[byteStatus] {
	return Dialect[byteStatus]{
		Query: func(w io.Writer, r *bufio.Reader) (byteStatus, error) {
			if _, err := w.Write([]byte{'?'}); err != nil {
				return 0, err
			}
			b, err := r.ReadByte()
			if err != nil {
				return 0, err
			}
			if b != 'R' && b != 'F' {
				return 0, fmt.Errorf("status %q: %w", b, errBadAnswer)
			}
			return byteStatus(b), nil
		},
		Ready: func(byteStatus, *slog.Logger) { *ready++ },
		Noun:  "page",
	}
}

func TestSessionPrint(t *testing.T) {
	tests := []struct {
		name       string
		status     byte
		faultAfter int
		wantErr    string // "" for success
		wantData   string
		wantReady  int
		wantDevice uint64 // device failures in health
	}{
		{name: "ready before and after", status: 'R', wantData: "page", wantReady: 2},
		{name: "fault before sending", status: 'F', wantErr: "before sending", wantDevice: 1},
		{name: "fault after sending", status: 'R', faultAfter: 4, wantErr: "after sending", wantData: "page", wantReady: 1, wantDevice: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := startPrinter(t, tt.status, tt.faultAfter)
			ready := 0
			s, err := NewSession(proto, testDialect(&ready), Config{Address: pr.addr})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			err = s.Print(context.Background(), []byte("page"))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Print: %v", err)
			case tt.wantErr != "" && (err == nil || !errors.Is(err, errFault) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Print error = %v, want a fault %s", err, tt.wantErr)
			}
			if got := pr.received(); got != tt.wantData {
				t.Errorf("printer received %q, want %q", got, tt.wantData)
			}
			if ready != tt.wantReady {
				t.Errorf("checks accepted %d statuses, want %d", ready, tt.wantReady)
			}
			if got := s.Health().Errors[health.KindDevice]; got != tt.wantDevice {
				t.Errorf("device failures in health = %d, want %d", got, tt.wantDevice)
			}
		})
	}
}

func TestSessionStatus(t *testing.T) {
	tests := []struct {
		name       string
		status     byte
		wantFault  bool
		wantDevice uint64
	}{
		{name: "ready", status: 'R'},
		{name: "faulted answers without error", status: 'F', wantFault: true, wantDevice: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := startPrinter(t, tt.status, 0)
			ready := 0
			s, err := NewSession(proto, testDialect(&ready), Config{Address: pr.addr})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			st, err := s.Status(context.Background())
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if (st.Err() != nil) != tt.wantFault {
				t.Errorf("status %q: fault %v, want %v", byte(st), st.Err(), tt.wantFault)
			}
			h := s.Health()
			if h.Errors[health.KindDevice] != tt.wantDevice || h.Requests != 1 {
				t.Errorf("health = %+v, want %d device failures in 1 request", h, tt.wantDevice)
			}
			if ready != 0 {
				t.Errorf("a status request is no print's check, yet Ready saw %d", ready)
			}
		})
	}
}

func TestNewSessionNeedsQuery(t *testing.T) {
	if _, err := NewSession(proto, Dialect[byteStatus]{}, Config{Address: "127.0.0.1:9100"}); err == nil {
		t.Fatal("NewSession without a status query: no error")
	}
}
