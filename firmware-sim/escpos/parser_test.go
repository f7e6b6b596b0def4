package escpos

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// qrStore returns GS ( k function 80 storing data.
func qrStoreCmd(data string) []byte {
	n := len(data) + 3
	return append([]byte{gs, '(', 'k', byte(n), byte(n >> 8), 49, 80, 48}, data...)
}

var qrPrintCmd = []byte{gs, '(', 'k', 3, 0, 49, 81, 48}

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		case byte:
			b = append(b, v)
		case int:
			b = append(b, byte(v))
		case rune:
			b = append(b, byte(v))
		default:
			panic("cat: unsupported part")
		}
	}
	return b
}

// run feeds in to a fresh parser with faults f and ends the stream.
func run(in []byte, f Faults) *parser {
	p := newParser(DefaultColumns)
	p.feed(in, f)
	p.end()
	return p
}

func TestParserTickets(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []Ticket
	}{
		{
			name: "text lines and full cut",
			in:   cat(esc, '@', "hello", lf, "world", lf, gs, 'V', 0),
			want: []Ticket{{Cut: CutFull, Lines: []Line{
				{Text: "hello", Width: 1, Height: 1, Spans: []Span{{Text: "hello", Width: 1, Height: 1}}},
				{Text: "world", Width: 1, Height: 1, Spans: []Span{{Text: "world", Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "bold centered double size",
			in:   cat(esc, 'a', 1, esc, 'E', 1, gs, '!', 0x11, "WO-1", lf, gs, 'V', 66, 3),
			want: []Ticket{{Cut: CutPartial, Lines: []Line{
				{Text: "WO-1", Align: AlignCenter, Bold: true, Width: 2, Height: 2, Spans: []Span{{Text: "WO-1", Bold: true, Width: 2, Height: 2}}},
			}}},
		},
		{
			name: "mixed attributes on one line",
			in:   cat("a", esc, 'E', 1, "b", esc, 'E', 0, lf, gs, 'V', 49),
			want: []Ticket{{Cut: CutPartial, Lines: []Line{
				{Text: "ab", Width: 1, Height: 1, Spans: []Span{{Text: "a", Width: 1, Height: 1}, {Text: "b", Bold: true, Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "feed lines and cut ends unterminated line",
			in:   cat("x", esc, 'd', 2, "y", gs, 'V', 65, 0),
			want: []Ticket{{Cut: CutFull, Lines: []Line{
				{Text: "x", Width: 1, Height: 1, Spans: []Span{{Text: "x", Width: 1, Height: 1}}},
				{Width: 1, Height: 1},
				{Text: "y", Width: 1, Height: 1, Spans: []Span{{Text: "y", Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "qr stored and printed",
			in: cat([]byte{gs, '(', 'k', 4, 0, 49, 65, 50, 0}, []byte{gs, '(', 'k', 3, 0, 49, 67, 6},
				[]byte{gs, '(', 'k', 3, 0, 49, 69, 49}, qrStoreCmd("https://x.test/p?a=1"), qrPrintCmd, gs, 'V', 0),
			want: []Ticket{{Cut: CutFull, QRCodes: []QR{{Data: "https://x.test/p?a=1", Model: 2, ModuleSize: 6, ECC: 'M'}}}},
		},
		{
			name: "unknown and skipped commands keep the parser in step",
			in: cat(esc, '-', 1, gs, 'L', 'A', 'B', esc, '*', 0, 3, 0, "ABC", gs, 'v', '0', 0, 1, 0, 2, 0, "ZZ",
				gs, 'k', 4, "1234", 0, gs, 'k', 73, 3, "XYZ", esc, '~', "ok", lf,
				gs, '(', 'k', 4, 0, 48, 80, 48, 'Q', esc, ')', gs, 'V', 0),
			want: []Ticket{{Cut: CutFull, Lines: []Line{
				{Text: "ok", Width: 1, Height: 1, Spans: []Span{{Text: "ok", Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "long line wraps at 32 columns",
			in:   cat(strings.Repeat("a", 40), lf, gs, 'V', 0),
			want: []Ticket{{Cut: CutFull, Lines: []Line{
				{Text: strings.Repeat("a", 32), Width: 1, Height: 1, Spans: []Span{{Text: strings.Repeat("a", 32), Width: 1, Height: 1}}},
				{Text: strings.Repeat("a", 8), Width: 1, Height: 1, Spans: []Span{{Text: strings.Repeat("a", 8), Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "uncut ticket kept at end of stream, unended text not",
			in:   cat("a", lf, "b"),
			want: []Ticket{{Cut: CutNone, Lines: []Line{
				{Text: "a", Width: 1, Height: 1, Spans: []Span{{Text: "a", Width: 1, Height: 1}}},
			}}},
		},
		{
			name: "init clears unprinted text and attributes",
			in:   cat(esc, 'E', 1, "lost", esc, '@', "kept", lf, gs, 'V', 0),
			want: []Ticket{{Cut: CutFull, Lines: []Line{
				{Text: "kept", Width: 1, Height: 1, Spans: []Span{{Text: "kept", Width: 1, Height: 1}}},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := run(tt.in, Faults{})
			if !reflect.DeepEqual(p.done, tt.want) {
				t.Fatalf("tickets\n got %+v\nwant %+v", p.done, tt.want)
			}
		})
	}
}

func TestStatusBytes(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		want   []byte // answers to DLE EOT 1, 2, 3, 4
	}{
		{name: "healthy", want: []byte{0x12, 0x12, 0x12, 0x12}},
		{name: "paper out", faults: Faults{PaperOut: true}, want: []byte{0x1A, 0x32, 0x12, 0x7E}},
		{name: "near end", faults: Faults{NearEnd: true}, want: []byte{0x12, 0x12, 0x12, 0x1E}},
		{name: "cover open", faults: Faults{CoverOpen: true}, want: []byte{0x1A, 0x16, 0x12, 0x12}},
		{name: "offline", faults: Faults{Offline: true}, want: []byte{0x1A, 0x12, 0x12, 0x12}},
		{name: "silent", faults: Faults{Silent: true, PaperOut: true}, want: nil},
	}
	req := cat(dle, eot, 1, dle, eot, 2, dle, eot, 3, dle, eot, 4, dle, eot, 9, dle, eot, 7, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(DefaultColumns)
			p.feed(req, tt.faults)
			if !bytes.Equal(p.out, tt.want) {
				t.Fatalf("answers % x, want % x", p.out, tt.want)
			}
		})
	}
}

func TestPaperOutStopsPrinting(t *testing.T) {
	p := newParser(DefaultColumns)
	p.feed(cat("before", lf, gs, 'V', 0), Faults{})
	p.feed(cat("during", lf, qrStoreCmd("u"), qrPrintCmd, gs, 'V', 0, dle, eot, 2), Faults{PaperOut: true})
	p.feed(cat("after", lf, gs, 'V', 0), Faults{})
	if len(p.done) != 2 || p.done[0].Text() != "before\n" || p.done[1].Text() != "after\n" {
		t.Fatalf("printed %+v, want only the tickets before and after the paper ran out", p.done)
	}
	if p.dropped != 3 {
		t.Fatalf("dropped %d operations, want 3 (line, qr, cut)", p.dropped)
	}
	if !bytes.Equal(p.out, []byte{0x32}) {
		t.Fatalf("offline status % x while out of paper, want 32 (paper-end stop)", p.out)
	}
}

// Every command must give the same result whether it arrives whole or a
// byte at a time.
func TestSplitCommands(t *testing.T) {
	in := cat(esc, '@', esc, 'a', 1, "title", lf, qrStoreCmd(strings.Repeat("q", 300)), qrPrintCmd,
		dle, eot, 4, esc, '*', 33, 2, 0, "abcdef", "end", lf, gs, 'V', 66, 0)
	whole := run(in, Faults{})
	bytewise := newParser(DefaultColumns)
	for i := range in {
		bytewise.feed(in[i:i+1], Faults{})
	}
	bytewise.end()
	if !reflect.DeepEqual(whole.done, bytewise.done) || !bytes.Equal(whole.out, bytewise.out) {
		t.Fatalf("byte-wise feeding gave %+v % x, whole gave %+v % x", bytewise.done, bytewise.out, whole.done, whole.out)
	}
	if len(whole.done) != 1 || len(whole.done[0].QRCodes) != 1 || whole.done[0].Text() != "title\nend\n" {
		t.Fatalf("tickets %+v", whole.done)
	}
}
