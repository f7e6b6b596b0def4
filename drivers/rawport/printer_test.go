package rawport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// pageDialect is testDialect with its status request named.
func pageDialect(ready *int) Dialect[byteStatus] {
	d := testDialect(ready)
	d.Request = "page status"
	return d
}

var errEmptyPage = errors.New("empty page")

// page is a test printer's job; an empty page cannot be printed.
type page string

func (p page) Validate() error {
	if p == "" {
		return errEmptyPage
	}
	return nil
}

// testJobs prints pages and collects the pages it logs as printed.
func testJobs(printed *[]string) Jobs[page] {
	return Jobs[page]{
		Render:  func(p page) []byte { return []byte(p) },
		Name:    func(p page) string { return fmt.Sprintf("page %q", string(p)) },
		Printed: func(_ *slog.Logger, p page) { *printed = append(*printed, string(p)) },
	}
}

func TestPrinterPrint(t *testing.T) {
	tests := []struct {
		name        string
		status      byte
		page        string
		wantErr     error  // nil for success
		wantMessage string // the error's text, "" for success
		wantData    string
	}{
		{name: "printed", status: 'R', page: "page", wantData: "page"},
		{name: "refused job names it", status: 'R', page: "", wantErr: errEmptyPage,
			wantMessage: `printing page "": empty page`},
		{name: "fault names job and printer", status: 'F', page: "page", wantErr: errFault,
			wantMessage: `printing page "page" on test-1: before sending: status 'F': test printer fault`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := startPrinter(t, tt.status, 0)
			var printed []string
			ready := 0
			p, err := NewPrinter(proto, pageDialect(&ready), testJobs(&printed), Config{Name: "test-1", Address: pr.addr})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			err = p.Print(context.Background(), page(tt.page))
			if !errors.Is(err, tt.wantErr) || tt.wantErr != nil && err.Error() != tt.wantMessage {
				t.Fatalf("Print error = %v, want %q", err, tt.wantMessage)
			}
			if got := pr.received(); got != tt.wantData {
				t.Errorf("printer received %q, want %q", got, tt.wantData)
			}
			wantPrinted := []string(nil)
			if tt.wantErr == nil {
				wantPrinted = []string{tt.page}
			}
			if fmt.Sprint(printed) != fmt.Sprint(wantPrinted) {
				t.Errorf("logged as printed %q, want %q", printed, wantPrinted)
			}
		})
	}
}

func TestPrinterStatus(t *testing.T) {
	tests := []struct {
		name      string
		addr      func(t *testing.T) string
		wantFault bool
		wantErr   string // the start of the error, "" for none
	}{
		{name: "ready", addr: func(t *testing.T) string { return startPrinter(t, 'R', 0).addr }},
		{name: "fault is an answer", addr: func(t *testing.T) string { return startPrinter(t, 'F', 0).addr }, wantFault: true},
		{name: "unreachable names request and printer", addr: func(t *testing.T) string { return "127.0.0.1:1" },
			wantErr: "page status of test-1: connecting: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var printed []string
			ready := 0
			p, err := NewPrinter(proto, pageDialect(&ready), testJobs(&printed), Config{Name: "test-1", Address: tt.addr(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			st, err := p.Status(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Status: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Fatalf("Status error = %v, want one starting %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && (st.Err() != nil) != tt.wantFault {
				t.Errorf("status %q: fault %v, want %v", byte(st), st.Err(), tt.wantFault)
			}
			if p.Name() != "test-1" || p.Logger() == nil {
				t.Errorf("printer name %q, logger %v", p.Name(), p.Logger())
			}
		})
	}
}

func TestNewPrinterNeedsRendering(t *testing.T) {
	ready := 0
	if _, err := NewPrinter(proto, testDialect(&ready), Jobs[page]{}, Config{Address: "127.0.0.1:9100"}); err == nil {
		t.Fatal("NewPrinter without a rendering of its jobs: no error")
	}
}

var (
	errPaperOut = errors.New("paper out")
	errJammed   = errors.New("jammed")
	errOther    = errors.New("cover open")
)

// faults is a test status with two faults.
type faults struct{ paperOut, jammed bool }

func (s faults) Faults() []error {
	return Conditions(Condition{On: s.paperOut, Err: errPaperOut}, Condition{On: s.jammed, Err: errJammed})
}

func TestFault(t *testing.T) {
	tests := []struct {
		name    string
		status  faults
		want    string // "" for no fault
		matches []error
	}{
		{name: "ready", status: faults{}},
		{name: "one fault", status: faults{paperOut: true}, want: "printer reports paper out", matches: []error{errPaperOut}},
		{name: "faults in order", status: faults{paperOut: true, jammed: true}, want: "printer reports paper out, jammed",
			matches: []error{errPaperOut, errJammed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Fault(tt.status)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Fault = %v, want nil", err)
				}
				return
			}
			var fe *FaultError[faults]
			if !errors.As(err, &fe) || fe.Status != tt.status || err.Error() != tt.want {
				t.Fatalf("Fault = %#v (%v), want a *FaultError %q", err, err, tt.want)
			}
			for _, target := range []error{errPaperOut, errJammed, errOther} {
				want := false
				for _, m := range tt.matches {
					want = want || m == target
				}
				if got := errors.Is(fmt.Errorf("wrapped: %w", err), target); got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, target, got, want)
				}
			}
		})
	}
}
