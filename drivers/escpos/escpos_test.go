package escpos

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/cellforge/cellforge/drivers/health"
	"github.com/cellforge/cellforge/drivers/rawport"
	simescpos "github.com/cellforge/cellforge/firmware-sim/escpos"
	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
)

// startTCP serves a simulated printer on a fresh local port until the test
// ends and returns it with a driver for it.
func startTCP(t *testing.T, timeout time.Duration) (*simescpos.Printer, *Printer) {
	t.Helper()
	sim := simescpos.New(simescpos.Config{})
	addr := streamtest.ServeTCP(t, sim.Serve)
	return sim, newPrinter(t, rawport.Config{Address: addr, Timeout: timeout})
}

// startPTY serves a simulated printer on a pty pair until the test ends and
// returns it with a driver that opens the terminal end with go.bug.st/serial.
func startPTY(t *testing.T, timeout time.Duration) (*simescpos.Printer, *Printer) {
	t.Helper()
	sim := simescpos.New(simescpos.Config{})
	path, _ := streamtest.ServePTY(t, sim.ServePort)
	return sim, newPrinter(t, rawport.Config{Name: "traveler-1", Dial: rawport.DialSerial(path, &serial.Mode{BaudRate: 115200}), Timeout: timeout})
}

// newPrinter returns a driver for cfg, closed when the test ends.
func newPrinter(t *testing.T, cfg rawport.Config) *Printer {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var transports = []struct {
	name  string
	start func(*testing.T, time.Duration) (*simescpos.Printer, *Printer)
}{{"tcp", startTCP}, {"serial pty", startPTY}}

var traveler = Ticket{
	WorkOrder: "WO-1042",
	SKU:       "TEE-BLK-M",
	Quantity:  24,
	Drop:      "summer-25",
	Due:       time.Date(2025, 7, 14, 16, 0, 0, 0, time.UTC),
	Steps:     []string{"cut panels", "dye vat A, 40 min at 60 C, rinse twice before drying", "sew"},
	Notes:     "Handle with gloves. Größe M.",
	URL:       "https://cellforge.test/wo/WO-1042?x=^~",
}

func TestPrintArrives(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sim, p := tr.start(t, 2*time.Second)
			if err := p.Print(t.Context(), traveler); err != nil {
				t.Fatalf("Print: %v", err)
			}
			streamtest.Eventually(t, "the ticket", func() bool { return len(sim.Tickets()) == 1 })
			got := sim.Tickets()[0]
			want := []string{
				"WO WO-1042",
				"WORK ORDER TRAVELER",
				strings.Repeat("-", 32),
				"SKU:  TEE-BLK-M",
				"Qty:  24",
				"Drop: summer-25",
				"Due:  2025-07-14 16:00",
				strings.Repeat("-", 32),
				"Routing",
				" 1. cut panels",
				" 2. dye vat A, 40 min at 60 C,",
				"    rinse twice before drying",
				" 3. sew",
				strings.Repeat("-", 32),
				"Notes",
				"Handle with gloves. Gr??e M.",
				"",         // the line feed after the QR code
				"", "", "", // ESC d 3 before the cut
			}
			var text []string
			for _, l := range got.Lines {
				text = append(text, l.Text)
			}
			if strings.Join(text, "\n") != strings.Join(want, "\n") {
				t.Fatalf("ticket lines\n%s\nwant\n%s", strings.Join(text, "\n"), strings.Join(want, "\n"))
			}
			if l := got.Lines[0]; !l.Bold || l.Width != 2 || l.Height != 2 || l.Align != simescpos.AlignCenter {
				t.Errorf("title line %+v, want bold, double size, centered", l)
			}
			if len(got.QRCodes) != 1 || got.QRCodes[0].Data != traveler.URL || got.QRCodes[0].ECC != 'M' || got.QRCodes[0].AfterLine != 16 {
				t.Errorf("qr codes %+v, want one of %q", got.QRCodes, traveler.URL)
			}
			if got.Cut != simescpos.CutPartial {
				t.Errorf("cut %v, want partial", got.Cut)
			}
			if h := p.Health(); !h.Connected || h.Requests != 2 || len(h.Errors) != 0 {
				t.Fatalf("health %+v, want connected with 2 requests and no errors", h)
			}
		})
	}
}

func TestPrintRefusedOnFault(t *testing.T) {
	tests := []struct {
		name   string
		faults simescpos.Faults
		want   error
	}{
		{name: "paper out", faults: simescpos.Faults{PaperOut: true}, want: ErrPaperOut},
		{name: "cover open", faults: simescpos.Faults{CoverOpen: true}, want: ErrCoverOpen},
		{name: "offline", faults: simescpos.Faults{Offline: true}, want: ErrOffline},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr.name+"/"+tt.name, func(t *testing.T) {
				sim, p := tr.start(t, 2*time.Second)
				sim.SetFaults(tt.faults)
				err := p.Print(t.Context(), traveler)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Print error %v, want %v", err, tt.want)
				}
				// The ticket was never sent: nothing printed or dropped.
				sim.SetFaults(simescpos.Faults{})
				if _, err := p.Status(t.Context()); err != nil {
					t.Fatal(err)
				}
				if len(sim.Tickets()) != 0 || sim.Dropped() != 0 {
					t.Fatalf("refused ticket reached the printer: %d printed, %d dropped", len(sim.Tickets()), sim.Dropped())
				}
				if h := p.Health(); h.Errors[health.KindDevice] != 1 {
					t.Fatalf("health errors %v, want one device error", h.Errors)
				}
			})
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name   string
		faults simescpos.Faults
		want   Status
	}{
		{name: "ready"},
		{name: "paper out", faults: simescpos.Faults{PaperOut: true}, want: Status{Offline: true, PaperEndStop: true, PaperOut: true, NearEnd: true}},
		{name: "near end", faults: simescpos.Faults{NearEnd: true}, want: Status{NearEnd: true}},
		{name: "cover open", faults: simescpos.Faults{CoverOpen: true}, want: Status{Offline: true, CoverOpen: true}},
		{name: "offline", faults: simescpos.Faults{Offline: true}, want: Status{Offline: true}},
	}
	sim, p := startTCP(t, 2*time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.SetFaults(tt.faults)
			st, err := p.Status(t.Context())
			if err != nil || st != tt.want {
				t.Fatalf("Status() = %+v, %v; want %+v", st, err, tt.want)
			}
			// A status read is how an idle printer's health is kept: its fault shows there.
			h := p.Health()
			if ready := st.Err() == nil; h.Connected != ready || (!ready && h.LastErrorKind != health.KindDevice) {
				t.Errorf("health after the status %+v: %+v", st, h)
			}
		})
	}
}

func TestNearEndStillPrints(t *testing.T) {
	sim, p := startTCP(t, 2*time.Second)
	sim.SetFaults(simescpos.Faults{NearEnd: true})
	if err := p.Print(t.Context(), Ticket{WorkOrder: "WO-1"}); err != nil {
		t.Fatalf("Print with the roll near its end: %v", err)
	}
	streamtest.Eventually(t, "the ticket", func() bool { return len(sim.Tickets()) == 1 })
}

func TestPaperRunsOutWhilePrinting(t *testing.T) {
	sim := simescpos.New(simescpos.Config{})
	dial := rawport.DialTCP(streamtest.ServeTCP(t, sim.Serve))
	p := newPrinter(t, rawport.Config{Timeout: 2 * time.Second, Dial: func(ctx context.Context) (io.ReadWriteCloser, error) {
		c, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		return &paperOutOnTicket{ReadWriteCloser: c, sim: sim}, nil
	}})
	err := p.Print(t.Context(), traveler)
	if !errors.Is(err, ErrPaperOut) || !strings.Contains(err.Error(), "after sending") {
		t.Fatalf("Print error %v, want paper out after sending", err)
	}
	if len(sim.Tickets()) != 0 || sim.Dropped() == 0 {
		t.Fatalf("printer out of paper printed %d tickets, dropped %d", len(sim.Tickets()), sim.Dropped())
	}
}

// paperOutOnTicket runs the simulated printer out of paper just before a
// ticket goes out.
type paperOutOnTicket struct {
	io.ReadWriteCloser
	sim *simescpos.Printer
}

func (c *paperOutOnTicket) Write(b []byte) (int, error) {
	if len(b) > 2 && b[0] == 0x1B && b[1] == '@' {
		c.sim.SetFaults(simescpos.Faults{PaperOut: true})
	}
	return c.ReadWriteCloser.Write(b)
}

func TestSilentPrinterTimesOut(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sim, p := tr.start(t, 150*time.Millisecond)
			sim.SetFaults(simescpos.Faults{Silent: true})
			start := time.Now()
			err := p.Print(t.Context(), traveler)
			if !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("Print error %v, want ErrNoAnswer", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("no answer took %v with a 150ms timeout", d)
			}
			if len(sim.Tickets()) != 0 {
				t.Fatal("ticket sent to a printer that did not answer")
			}
			if h := p.Health(); h.Connected || h.Errors[health.KindTimeout] != 1 {
				t.Fatalf("health %+v, want disconnected with one timeout", h)
			}
			sim.SetFaults(simescpos.Faults{})
			if _, err := p.Status(t.Context()); err != nil {
				t.Fatalf("Status after the printer recovered: %v", err)
			}
		})
	}
}

func TestContextEndsRequest(t *testing.T) {
	sim, p := startTCP(t, 10*time.Second)
	sim.SetFaults(simescpos.Faults{Silent: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := p.Status(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Status error %v, want the caller's cancellation", err)
	}
}
