package zpl

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
)

// hostStatus asks for ~HS and reads the three strings.
func hostStatus(t *testing.T, rw io.ReadWriter) []string {
	t.Helper()
	if _, err := rw.Write([]byte("~HS")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(rw)
	var out []string
	for range 3 {
		s, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading host status: %v (have %q)", err, out)
		}
		out = append(out, s)
	}
	return out
}

func TestServeTCP(t *testing.T) {
	p := New(Config{})
	addr := streamtest.ServeTCP(t, p.Serve)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// The format arrives in two pieces, cut inside a command.
	if _, err := c.Write([]byte("^XA^FO10,10^FDhel")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("lo^FS^XZ")); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "the label", func() bool { return len(p.Labels()) == 1 })
	if f, ok := p.Labels()[0].Field("hello"); !ok || f.X != 10 {
		t.Fatalf("label %+v has no field hello at x 10", p.Labels()[0])
	}

	p.SetFaults(Faults{HeadOpen: true})
	st := hostStatus(t, c)
	if !bytes.HasPrefix([]byte(st[1]), []byte("\x02000,0,1,")) {
		t.Fatalf("host status %q does not say head up", st)
	}

	// A second connection while the first is open.
	d, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Write([]byte("^XA^FDheld^FS^XZ")); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "the held label", func() bool { return len(p.Pending()) == 1 })
	p.SetFaults(Faults{Silent: true})
	if len(p.Labels()) != 2 {
		t.Fatalf("closing the head printed %d labels, want 2", len(p.Labels()))
	}
	if _, err := d.Write([]byte("~HS")); err != nil {
		t.Fatal(err)
	}
	d.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := d.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("silent printer answered: %d bytes, %v", n, err)
	}
}

func TestServePortPTY(t *testing.T) {
	p := New(Config{})
	path, stop := streamtest.ServePTY(t, p.ServePort)

	term, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	p.SetFaults(Faults{PaperOut: true})
	if st := hostStatus(t, term); st[0] != "\x02030,1,0,0609,000,0,0,0,000,0,0,0\x03\r\n" {
		t.Fatalf("host status %q does not say paper out", st)
	}
	p.SetFaults(Faults{})
	if _, err := term.Write([]byte("^XA^BQN,2,4^FDQA,https://s.test/x^FS^XZ")); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "the label", func() bool { return len(p.Labels()) == 1 })
	if got := p.Labels()[0].QRCodes(); len(got) != 1 || got[0] != "https://s.test/x" {
		t.Fatalf("qr codes %q", got)
	}
	// ServePort must return nil soon after its context is cancelled.
	stop()
}
