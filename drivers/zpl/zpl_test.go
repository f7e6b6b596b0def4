package zpl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/cellforge/cellforge/drivers/health"
	"github.com/cellforge/cellforge/drivers/rawport"
	"github.com/cellforge/cellforge/firmware-sim/stream/streamtest"
	simzpl "github.com/cellforge/cellforge/firmware-sim/zpl"
)

// startTCP serves a simulated printer on a fresh local port until the test
// ends and returns it with a driver for it.
func startTCP(t *testing.T, timeout time.Duration) (*simzpl.Printer, *Printer) {
	t.Helper()
	sim := simzpl.New(simzpl.Config{})
	addr := streamtest.ServeTCP(t, sim.Serve)
	return sim, newPrinter(t, rawport.Config{Address: addr, Timeout: timeout})
}

// startPTY serves a simulated printer on a pty pair until the test ends and
// returns it with a driver that opens the terminal end with go.bug.st/serial.
func startPTY(t *testing.T, timeout time.Duration) (*simzpl.Printer, *Printer) {
	t.Helper()
	sim := simzpl.New(simzpl.Config{})
	path, _ := streamtest.ServePTY(t, sim.ServePort)
	return sim, newPrinter(t, rawport.Config{Name: "label-1", Dial: rawport.DialSerial(path, &serial.Mode{BaudRate: 115200}), Timeout: timeout})
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

type transport struct {
	name  string
	start func(*testing.T, time.Duration) (*simzpl.Printer, *Printer)
}

var transports = []transport{{"tcp", startTCP}, {"serial pty", startPTY}}

func TestPrintArrives(t *testing.T) {
	labels := []struct {
		name  string
		label Label
	}{
		{name: "plain", label: Label{SKU: "TEE-BLK-M", Drop: "D-2025-07", Serial: "SN-000123", URL: "https://cellforge.test/p/SN-000123", Title: "CellForge", Quantity: 2}},
		{name: "carets and tildes", label: Label{SKU: "TEE^XZ~HS_1", Drop: "d^~", Serial: "S~N^1", URL: "https://x.test/p?a=^XZ&b=~JA&c=_5E"}},
		{name: "utf-8", label: Label{SKU: "Größe-Ω", Serial: "1", URL: "https://x.test/ü"}},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sim, p := tr.start(t, 2*time.Second)
			for i, tt := range labels {
				t.Run(tt.name, func(t *testing.T) {
					if err := p.Print(t.Context(), tt.label); err != nil {
						t.Fatalf("Print: %v", err)
					}
					streamtest.Eventually(t, "the label", func() bool { return len(sim.Labels()) == i+1 })
					got := sim.Labels()[i]
					if _, ok := got.Field(tt.label.SKU); !ok {
						t.Errorf("no field with the sku %q in %+v", tt.label.SKU, got.Fields)
					}
					if _, ok := got.Field(tt.label.Serial); !ok {
						t.Errorf("no field with the serial %q in %+v", tt.label.Serial, got.Fields)
					}
					if qr := got.QRCodes(); len(qr) != 1 || qr[0] != tt.label.URL {
						t.Errorf("qr codes %q, want [%q]", qr, tt.label.URL)
					}
					if want := max(tt.label.Quantity, 1); got.Quantity != want {
						t.Errorf("quantity %d, want %d", got.Quantity, want)
					}
					if len(got.Unknown) != 1 || got.Unknown[0].Code != "^CI" {
						t.Errorf("unexpected commands %+v", got.Unknown)
					}
				})
			}
			if st := sim.Stats(); st != (simzpl.Stats{}) {
				t.Fatalf("simulator ignored input: %+v", st)
			}
			if h := p.Health(); !h.Connected || h.Requests != uint64(2*len(labels)) || len(h.Errors) != 0 {
				t.Fatalf("health %+v, want connected with %d requests and no errors", h, 2*len(labels))
			}
		})
	}
}

func TestPrintRefusedOnFault(t *testing.T) {
	tests := []struct {
		name   string
		faults simzpl.Faults
		want   error
	}{
		{name: "paper out", faults: simzpl.Faults{PaperOut: true}, want: ErrPaperOut},
		{name: "head open", faults: simzpl.Faults{HeadOpen: true}, want: ErrHeadOpen},
		{name: "paused", faults: simzpl.Faults{Paused: true}, want: ErrPaused},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr.name+"/"+tt.name, func(t *testing.T) {
				sim, p := tr.start(t, 2*time.Second)
				sim.SetFaults(tt.faults)
				err := p.Print(t.Context(), Label{SKU: "A", Serial: "1", URL: "https://x.test/1"})
				if !errors.Is(err, tt.want) {
					t.Fatalf("Print error %v, want %v", err, tt.want)
				}
				var fe *FaultError
				if !errors.As(err, &fe) {
					t.Fatalf("Print error %v is not a *FaultError", err)
				}
				if h := p.Health(); h.Errors[health.KindDevice] != 1 {
					t.Fatalf("health errors %v, want one device error", h.Errors)
				}
				// Nothing was sent: nothing printed, nothing held.
				st, err := p.Status(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if len(sim.Labels()) != 0 || len(sim.Pending()) != 0 || st.Formats != 0 {
					t.Fatalf("refused label reached the printer: %d printed, %d held", len(sim.Labels()), len(sim.Pending()))
				}
			})
		}
	}
}

// A fault that appears while the label is on its way is reported after
// sending: the label is held by the printer, not lost.
func TestPrintFaultAfterSending(t *testing.T) {
	sim := simzpl.New(simzpl.Config{})
	dial := rawport.DialTCP(streamtest.ServeTCP(t, sim.Serve))
	p := newPrinter(t, rawport.Config{Timeout: 2 * time.Second, Dial: func(ctx context.Context) (io.ReadWriteCloser, error) {
		c, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		return &pauseOnLabel{ReadWriteCloser: c, sim: sim}, nil
	}})
	err := p.Print(t.Context(), Label{SKU: "A", Serial: "1", URL: "https://x.test/1"})
	if !errors.Is(err, ErrPaused) || !strings.Contains(err.Error(), "after sending") {
		t.Fatalf("Print error %v, want paused after sending", err)
	}
	if len(sim.Pending()) != 1 {
		t.Fatalf("%d labels held, want 1", len(sim.Pending()))
	}
}

// pauseOnLabel pauses the simulated printer just before a label goes out.
type pauseOnLabel struct {
	io.ReadWriteCloser
	sim *simzpl.Printer
}

func (c *pauseOnLabel) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("^XA")) {
		c.sim.SetFaults(simzpl.Faults{Paused: true})
	}
	return c.ReadWriteCloser.Write(b)
}

func TestSilentPrinterTimesOut(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sim, p := tr.start(t, 150*time.Millisecond)
			sim.SetFaults(simzpl.Faults{Silent: true})
			start := time.Now()
			err := p.Print(t.Context(), Label{SKU: "A", Serial: "1", URL: "https://x.test/1"})
			if !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("Print error %v, want ErrNoAnswer", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("no answer took %v with a 150ms timeout", d)
			}
			if len(sim.Labels())+len(sim.Pending()) != 0 {
				t.Fatal("label sent to a printer that did not answer")
			}
			if h := p.Health(); h.Connected || h.Errors[health.KindTimeout] != 1 {
				t.Fatalf("health %+v, want disconnected with one timeout", h)
			}
			// The printer answers again: the driver reconnects.
			sim.SetFaults(simzpl.Faults{})
			if _, err := p.Status(t.Context()); err != nil {
				t.Fatalf("Status after the printer recovered: %v", err)
			}
		})
	}
}

func TestContextEndsRequest(t *testing.T) {
	sim, p := startTCP(t, 10*time.Second)
	sim.SetFaults(simzpl.Faults{Silent: true})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := p.Status(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Status error %v, want the caller's deadline", err)
	}
}

func TestStatus(t *testing.T) {
	sim, p := startTCP(t, 2*time.Second)
	sim.SetFaults(simzpl.Faults{PaperOut: true, HeadOpen: true})
	st, err := p.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Status{PaperOut: true, HeadOpen: true, LabelLength: simzpl.DefaultLabelLength}
	if st != want {
		t.Fatalf("status %+v, want %+v", st, want)
	}
	if err := st.Err(); !errors.Is(err, ErrPaperOut) || !errors.Is(err, ErrHeadOpen) || errors.Is(err, ErrPaused) {
		t.Fatalf("status error %v", err)
	}
	// A status read is how an idle printer's health is kept: its fault shows there.
	if h := p.Health(); h.Connected || h.LastErrorKind != health.KindDevice || h.LastError != "printer reports paper out, head open" {
		t.Errorf("health after reading a faulty status: %+v, want the printer's own fault", h)
	}
	sim.SetFaults(simzpl.Faults{})
	if _, err := p.Status(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h := p.Health(); !h.Connected {
		t.Errorf("health after reading a good status: %+v, want connected", h)
	}
}
