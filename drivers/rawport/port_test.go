package rawport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/drivers/health"
)

var (
	errNoAnswer  = errors.New("no answer from test device")
	errBadAnswer = errors.New("malformed test answer")
	proto        = Protocol{Name: "test", NoAnswer: errNoAnswer, BadAnswer: errBadAnswer}
)

// device is a line-based device on a local TCP port: it answers each line
// with the same line in upper case, unless it is silent.
type device struct {
	addr    string
	accepts atomic.Int32
	silent  atomic.Bool
}

func startDevice(t *testing.T) *device {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &device{addr: l.Addr().String()}
	serveConns(t, l, func(c net.Conn) {
		d.accepts.Add(1)
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if !d.silent.Load() {
				io.WriteString(c, strings.ToUpper(line))
			}
		}
	})
	return d
}

func newPort(t *testing.T, cfg Config) *Port {
	t.Helper()
	p, err := New(proto, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// ask sends q and returns the answer line; a "bad" answer is malformed.
func ask(ctx context.Context, p *Port, q string) (string, error) {
	var a string
	_, err := p.Do(ctx, func(w io.Writer, r *bufio.Reader) error {
		if _, err := io.WriteString(w, q+"\n"); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		a = strings.TrimSuffix(line, "\n")
		if a == "BAD" {
			return fmt.Errorf("answer %q: %w", a, errBadAnswer)
		}
		return nil
	})
	return a, err
}

func TestDoKeepsTheConnection(t *testing.T) {
	d := startDevice(t)
	p := newPort(t, Config{Address: d.addr, Timeout: 2 * time.Second})
	for _, q := range []string{"one", "two", "three"} {
		a, err := ask(t.Context(), p, q)
		if err != nil || a != strings.ToUpper(q) {
			t.Fatalf("ask(%q) = %q, %v", q, a, err)
		}
	}
	if n := d.accepts.Load(); n != 1 {
		t.Fatalf("%d connections for three requests, want 1", n)
	}
	if h := p.Health().Snapshot(); h.Requests != 0 || h.Device != d.addr || h.Driver != "test" {
		t.Fatalf("health %+v: the port must not count answers the caller has not accepted", h)
	}
}

func TestTimeoutDropsAndReconnects(t *testing.T) {
	d := startDevice(t)
	p := newPort(t, Config{Address: d.addr, Timeout: 100 * time.Millisecond})
	if _, err := ask(t.Context(), p, "hello"); err != nil {
		t.Fatal(err)
	}
	d.silent.Store(true)
	start := time.Now()
	_, err := ask(t.Context(), p, "late")
	if !errors.Is(err, errNoAnswer) {
		t.Fatalf("error %v, want the protocol's no answer error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("no answer took %v with a 100ms timeout", d)
	}
	if h := p.Health().Snapshot(); h.Connected || h.Errors[health.KindTimeout] != 1 {
		t.Fatalf("health %+v, want disconnected with one timeout", h)
	}
	// The device answers again. The late answer to "late" must not be
	// taken for the answer to "again": the port reconnected.
	d.silent.Store(false)
	a, err := ask(t.Context(), p, "again")
	if err != nil || a != "AGAIN" {
		t.Fatalf("after the timeout: %q, %v; want AGAIN", a, err)
	}
	if n := d.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2: one before the timeout, one after", n)
	}
}

func TestContextEndsRequest(t *testing.T) {
	d := startDevice(t)
	d.silent.Store(true)
	p := newPort(t, Config{Address: d.addr, Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := ask(ctx, p, "hello")
	if !errors.Is(err, context.Canceled) || errors.Is(err, errNoAnswer) {
		t.Fatalf("error %v, want the caller's cancellation", err)
	}
	if h := p.Health().Snapshot(); h.Requests != 0 || len(h.Errors) != 0 {
		t.Fatalf("health %+v: a request the caller gave up is not the device's failure", h)
	}
	d.silent.Store(false)
	if a, err := ask(t.Context(), p, "next"); err != nil || a != "NEXT" {
		t.Fatalf("after the cancellation: %q, %v; want NEXT", a, err)
	}
	if n := d.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestFailuresByKind(t *testing.T) {
	d := startDevice(t)
	tests := []struct {
		name string
		cfg  Config
		q    string
		want string
	}{
		{name: "malformed answer", cfg: Config{Address: d.addr}, q: "bad", want: health.KindFrame},
		{name: "dial fails", cfg: Config{Dial: func(context.Context) (io.ReadWriteCloser, error) {
			return nil, errors.New("no route")
		}}, q: "x", want: health.KindIO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPort(t, tt.cfg)
			if _, err := ask(t.Context(), p, tt.q); err == nil {
				t.Fatal("no error")
			}
			if h := p.Health().Snapshot(); h.Connected || h.Errors[tt.want] != 1 || len(h.Errors) != 1 {
				t.Fatalf("health errors %v, want one %s error", h.Errors, tt.want)
			}
		})
	}
}

func TestCloseThenReconnect(t *testing.T) {
	d := startDevice(t)
	p := newPort(t, Config{Address: d.addr})
	if _, err := ask(t.Context(), p, "a"); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if a, err := ask(t.Context(), p, "b"); err != nil || a != "B" {
		t.Fatalf("after Close: %q, %v", a, err)
	}
	if n := d.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestDefaultNoAnswer(t *testing.T) {
	d := startDevice(t)
	d.silent.Store(true)
	p, err := New(Protocol{Name: "test"}, Config{Address: d.addr, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := ask(t.Context(), p, "x"); !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("error %v, want ErrNoAnswer", err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantName string
		wantErr  string
	}{
		{name: "address names the device", cfg: Config{Address: "10.0.0.9:9100"}, wantName: "10.0.0.9:9100"},
		{name: "name wins", cfg: Config{Name: "label-1", Address: "/dev/ttyUSB0"}, wantName: "label-1"},
		{name: "dial only", cfg: Config{Dial: DialTCP("x:1")}, wantName: "test"},
		{name: "nothing to dial", cfg: Config{}, wantErr: "test printer config: address or dial func required"},
		{name: "negative timeout", cfg: Config{Address: "x:1", Timeout: -time.Second}, wantErr: "test printer config: negative timeout -1s"},
		{name: "negative baud", cfg: Config{Address: "/dev/ttyS0", Baud: -1}, wantErr: "test printer config: negative baud rate -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(proto, tt.cfg)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != tt.wantName || p.timeout != DefaultTimeout {
				t.Fatalf("name %q timeout %v, want %q and %v", p.Name(), p.timeout, tt.wantName, DefaultTimeout)
			}
		})
	}
}

func TestIsSerialPath(t *testing.T) {
	tests := []struct {
		address string
		want    bool
	}{
		{"/dev/ttyUSB0", true},
		{"COM3", true},
		{"com4", true},
		{"printer.local:9100", false},
		{"127.0.0.1:9100", false},
	}
	for _, tt := range tests {
		if got := isSerialPath(tt.address); got != tt.want {
			t.Errorf("isSerialPath(%q) = %v, want %v", tt.address, got, tt.want)
		}
	}
}

func TestConcurrentRequestsOneAtATime(t *testing.T) {
	d := startDevice(t)
	p := newPort(t, Config{Address: d.addr, Timeout: 2 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := fmt.Sprintf("q%d", i)
			for range 20 {
				a, err := ask(t.Context(), p, q)
				if err != nil || a != strings.ToUpper(q) {
					errs <- fmt.Errorf("ask(%q) = %q, %v", q, a, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// serveConns serves every connection l accepts with handle, each in its own goroutine, until
// the test ends: then it closes l and the connections and waits for them.
func serveConns(t *testing.T, l net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}
