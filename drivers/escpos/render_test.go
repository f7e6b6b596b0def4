package escpos

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesWrap(t *testing.T) {
	tests := []struct {
		name, in, indent string
		width            int
		want             string
	}{
		{name: "fits", in: "short", width: 10, want: "short\n"},
		{name: "at a space", in: "aaa bbb ccc", width: 7, want: "aaa bbb\nccc\n"},
		{name: "hanging indent", in: " 1. one two three", width: 10, indent: "    ", want: " 1. one\n    two\n    three\n"},
		{name: "long word cut", in: "abcdefghijkl", width: 5, want: "abcde\nfghij\nkl\n"},
		{name: "non-ascii and controls", in: "é\x1bE", width: 10, want: "??E\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(lines(nil, tt.in, tt.width, tt.indent)); got != tt.want {
				t.Fatalf("lines(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderKeepsCommandsOutOfText(t *testing.T) {
	b := Render(Ticket{WorkOrder: "W\x1b@\x1dV\x00", SKU: "\x10\x04\x01"})
	if n := bytes.Count(b, []byte{0x1B, '@'}); n != 1 {
		t.Fatalf("%d ESC @ in the ticket, want 1:\n% x", n, b)
	}
	if bytes.Contains(b, []byte{0x10, 0x04}) {
		t.Fatalf("status request in the ticket text:\n% x", b)
	}
	if !bytes.HasSuffix(b, []byte{0x1D, 'V', 66, 0}) {
		t.Fatalf("ticket does not end with a cut:\n% x", b)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		ticket Ticket
		want   string
	}{
		{name: "ok", ticket: Ticket{WorkOrder: "W"}},
		{name: "no work order", ticket: Ticket{}, want: "ticket has no work order"},
		{name: "negative quantity", ticket: Ticket{WorkOrder: "W", Quantity: -2}, want: "quantity -2 is negative"},
		{name: "long url", ticket: Ticket{WorkOrder: "W", URL: strings.Repeat("u", MaxURL+1)}, want: "url of 1001 bytes longer than 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ticket.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name string
		in   [3]byte
		want Status
		bad  bool
	}{
		{name: "ready", in: [3]byte{0x12, 0x12, 0x12}},
		{name: "paper out", in: [3]byte{0x1A, 0x32, 0x7E}, want: Status{Offline: true, PaperEndStop: true, PaperOut: true, NearEnd: true}},
		{name: "cover open", in: [3]byte{0x1A, 0x16, 0x12}, want: Status{Offline: true, CoverOpen: true}},
		{name: "fixed bit clear", in: [3]byte{0x12, 0x02, 0x12}, bad: true},
		{name: "fixed bit set", in: [3]byte{0x13, 0x12, 0x12}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parsed % x as %+v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStatus(% x) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}
