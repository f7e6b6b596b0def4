package zpl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// feedAll feeds in to a fresh printer's parser and ends the stream.
func feedAll(t *testing.T, f Faults, in string) (*Printer, []byte) {
	t.Helper()
	p := New(Config{})
	p.SetFaults(f)
	s := newParser(p)
	s.feed([]byte(in))
	s.end()
	return p, s.out
}

func TestParseLabel(t *testing.T) {
	in := "^XA\r\n^CF0,30^FX provenance label\n" +
		"^FO30,20^A0N,40,35^FDTitle^FS" +
		"^FO30,80^FH_^FDSKU _5E1_7E2_5F^FS" +
		"^FO30,300^BQN,2,5^FH_^FDQA,https://p.test/a_5Eb?c=_7E^FS" +
		"^FO30,500^BCN,80,Y,N,N^FD>:ABC123^FS" +
		"^LH0,0^PQ3,0,1,Y^XZ"
	p, _ := feedAll(t, Faults{}, in)
	got := p.Labels()
	if len(got) != 1 {
		t.Fatalf("printed %d labels, want 1", len(got))
	}
	l := got[0]
	if l.Quantity != 3 || !reflect.DeepEqual(l.Comments, []string{" provenance label"}) ||
		!reflect.DeepEqual(l.Unknown, []Command{{Code: "^LH", Params: "0,0"}}) {
		t.Fatalf("label %+v", l)
	}
	wantFields := []Field{
		{X: 30, Y: 20, Font: "0", Orientation: 'N', Height: 40, Width: 35, Data: "Title", Raw: "Title"},
		{X: 30, Y: 80, Font: "0", Height: 30, Data: "SKU ^1~2_", Raw: "SKU _5E1_7E2_5F"},
		{X: 30, Y: 300, Font: "0", Height: 30, Barcode: "QR", QR: &QR{ECC: 'Q', Mode: 'A', Params: "N,2,5"},
			Data: "https://p.test/a^b?c=~", Raw: "QA,https://p.test/a_5Eb?c=_7E"},
		{X: 30, Y: 500, Font: "0", Height: 30, Barcode: "Code128", BarcodeParams: "N,80,Y,N,N", Data: ">:ABC123", Raw: ">:ABC123"},
	}
	if !reflect.DeepEqual(l.Fields, wantFields) {
		t.Fatalf("fields\n got %+v\nwant %+v", l.Fields, wantFields)
	}
	if got := l.QRCodes(); !reflect.DeepEqual(got, []string{"https://p.test/a^b?c=~"}) {
		t.Fatalf("qr codes %q", got)
	}
}

func TestQRPayload(t *testing.T) {
	tests := []struct {
		name, in, want string
		ecc, mode      byte
	}{
		{name: "automatic", in: "QA,https://x", want: "https://x", ecc: 'Q', mode: 'A'},
		{name: "manual byte mode", in: "HM,B0005hello", want: "hello", ecc: 'H', mode: 'M'},
		{name: "manual numeric", in: "LM,N0123", want: "0123", ecc: 'L', mode: 'M'},
		{name: "no header", in: "plain", want: "plain"},
		{name: "short", in: "QA", want: "QA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ecc, mode, got := qrPayload(tt.in)
			if got != tt.want || ecc != tt.ecc || mode != tt.mode {
				t.Fatalf("qrPayload(%q) = %q %q %q, want %q %q %q", tt.in, ecc, mode, got, tt.ecc, tt.mode, tt.want)
			}
		})
	}
}

func TestMalformedInput(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		labels    int
		garbage   int
		malformed int
	}{
		{name: "garbage between formats", in: "junk^XA^FDa^FS^XZ  more^FO1,1^XA^XZ", labels: 2, garbage: 4 + 6 + 6},
		{name: "reopened format", in: "^XA^FDlost^FS^XA^FDkept^FS^XZ", labels: 1, malformed: 1},
		{name: "unterminated format", in: "^XA^FDa^FS", labels: 0, malformed: 1},
		// ~XA is an unknown tilde command: ignored, not garbage.
		{name: "stray prefixes", in: "^^~XA^XA^FDa^FS^XZ", labels: 1, garbage: 2},
		{name: "text after a command without parameters", in: "^XAxy^XZ", labels: 1, garbage: 2},
		{name: "end of format only", in: "^XZ^XZ", garbage: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := feedAll(t, Faults{}, tt.in)
			st := p.Stats()
			if len(p.Labels()) != tt.labels || st.Garbage != tt.garbage || st.Malformed != tt.malformed {
				t.Fatalf("labels %d, stats %+v; want labels %d, garbage %d, malformed %d",
					len(p.Labels()), st, tt.labels, tt.garbage, tt.malformed)
			}
		})
	}
}

func TestOverlongParameterIsCut(t *testing.T) {
	data := strings.Repeat("x", maxParams+100)
	p, _ := feedAll(t, Faults{}, "^XA^FD"+data+"^FS^XZ")
	l := p.Labels()
	if len(l) != 1 || len(l[0].Fields) != 1 || l[0].Fields[0].Data != data[:maxParams] {
		t.Fatalf("labels %d, want one with its field data cut at %d bytes", len(l), maxParams)
	}
}

func TestHostStatus(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		in     string
		want   string
	}{
		{
			name: "ready",
			in:   "~HS",
			want: "\x02030,0,0,0609,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
		},
		{
			name:   "paper out with a held label, asked inside a format",
			faults: Faults{PaperOut: true},
			in:     "^XA^FDa^FS^PQ4^XZ^XA~HS",
			want:   "\x02030,1,0,0609,001,0,0,1,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,6,0,00000004,1,000\x03\r\n\x021234,0\x03\r\n",
		},
		{
			name:   "head open and paused",
			faults: Faults{HeadOpen: true, Paused: true},
			in:     "~hs",
			want:   "\x02030,0,1,0609,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,1,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
		},
		{name: "silent", faults: Faults{Silent: true}, in: "~HS", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out := feedAll(t, tt.faults, tt.in)
			if string(out) != tt.want {
				t.Fatalf("answer %q, want %q", out, tt.want)
			}
		})
	}
}

func TestHeldLabels(t *testing.T) {
	p := New(Config{})
	s := newParser(p)
	p.SetFaults(Faults{PaperOut: true})
	s.feed([]byte("^XA^FDone^FS^XZ"))
	if len(p.Labels()) != 0 || len(p.Pending()) != 1 {
		t.Fatalf("out of paper: printed %d, held %d; want 0 and 1", len(p.Labels()), len(p.Pending()))
	}
	p.SetFaults(Faults{})
	if len(p.Labels()) != 1 || len(p.Pending()) != 0 {
		t.Fatalf("paper loaded: printed %d, held %d; want 1 and 0", len(p.Labels()), len(p.Pending()))
	}
	s.feed([]byte("~PP^XA^FDtwo^FS^XZ^XA^FDthree^FS^XZ"))
	if !p.Faults().Paused || len(p.Pending()) != 2 {
		t.Fatalf("after ~PP: faults %+v, held %d", p.Faults(), len(p.Pending()))
	}
	s.feed([]byte("~JA^XA^FDfour^FS^XZ~PS"))
	if got := p.Labels(); len(got) != 2 || got[1].Fields[0].Data != "four" || p.Stats().Cancelled != 2 {
		t.Fatalf("after ~JA and ~PS: printed %+v, stats %+v", got, p.Stats())
	}
}

func TestSplitEverywhere(t *testing.T) {
	in := []byte("x^XA^CFA,20^FO1,2^FH^FDa_5Eb^FS^BQN,2,4^FDMM,B0003abc^FS~HS^PQ2^XZ~HS")
	whole, wholeOut := feedAll(t, Faults{}, string(in))
	for i := range in {
		p := New(Config{})
		s := newParser(p)
		s.feed(in[:i])
		s.feed(in[i:])
		s.end()
		if !reflect.DeepEqual(p.Labels(), whole.Labels()) || !bytes.Equal(s.out, wholeOut) || p.Stats() != whole.Stats() {
			t.Fatalf("split at %d: labels %+v stats %+v, whole %+v %+v", i, p.Labels(), p.Stats(), whole.Labels(), whole.Stats())
		}
	}
}
