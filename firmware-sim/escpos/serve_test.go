package escpos

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
)

func readStatus(t *testing.T, c io.ReadWriter, n byte) byte {
	t.Helper()
	if _, err := c.Write([]byte{dle, eot, n}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading status %d: %v", n, err)
	}
	return b[0]
}

func TestServeTCP(t *testing.T) {
	p := New(Config{})
	addr := streamtest.ServeTCP(t, p.Serve)
	// Two connections, one after the other and one at the same time.
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetDeadline(time.Now().Add(5 * time.Second))
	b.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := a.Write(cat(esc, '@', "from ")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(cat("b", lf, gs, 'V', 0)); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "the ticket of the second connection", func() bool { return len(p.Tickets()) == 1 })
	if s := readStatus(t, a, 1); s != 0x12 {
		t.Fatalf("printer status %02x, want 12", s)
	}
	if _, err := a.Write(cat("a", lf, qrStoreCmd("https://q.test/1"), qrPrintCmd, gs, 'V', 1)); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "two tickets", func() bool { return len(p.Tickets()) == 2 })
	got := p.Tickets()
	if got[0].Text() != "b\n" || got[1].Text() != "from a\n" || len(got[1].QRCodes) != 1 || got[1].QRCodes[0].Data != "https://q.test/1" {
		t.Fatalf("tickets %+v", got)
	}

	p.SetFaults(Faults{PaperOut: true})
	if s := readStatus(t, b, 4); s != 0x7E {
		t.Fatalf("paper sensor status %02x out of paper, want 7e", s)
	}
	p.SetFaults(Faults{Silent: true})
	if _, err := b.Write([]byte{dle, eot, 1}); err != nil {
		t.Fatal(err)
	}
	b.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := b.Read(make([]byte, 1)); n != 0 || err == nil {
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
	p.SetFaults(Faults{CoverOpen: true})
	if s := readStatus(t, term, 2); s != 0x16 {
		t.Fatalf("offline status %02x with the cover open, want 16", s)
	}
	p.SetFaults(Faults{})
	if _, err := term.Write(cat("serial", lf, gs, 'V', 0)); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, "the ticket", func() bool { return len(p.Tickets()) == 1 })
	if got := p.Tickets()[0].Text(); got != "serial\n" {
		t.Fatalf("ticket %q", got)
	}
	// ServePort must return nil soon after its context is cancelled.
	stop()
}
