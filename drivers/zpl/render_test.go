package zpl

import (
	"bytes"
	"strings"
	"testing"
)

func TestRenderEscapesFieldData(t *testing.T) {
	l := Label{SKU: "A^XZ~HS_b", Serial: "é", URL: "https://x.test/?q=^~_", Quantity: 3}
	got := string(Render(l))
	if !strings.HasPrefix(got, "^XA") || !strings.HasSuffix(got, "^XZ\n") || strings.Count(got, "^XA") != 1 || strings.Count(got, "^XZ") != 1 {
		t.Fatalf("format is not one ^XA ... ^XZ:\n%s", got)
	}
	for _, want := range []string{
		"^FH_^FDA_5EXZ_7EHS_5Fb^FS",
		"^FH_^FD_C3_A9^FS",
		"^BQN,2,5^FH_^FDQA,https://x.test/?q=_5E_7E_5F^FS",
		"^PQ3\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered label lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "~") {
		t.Errorf("rendered label holds a raw tilde:\n%s", got)
	}
}

func TestRenderOmitsEmptyFields(t *testing.T) {
	got := Render(Label{SKU: "A", URL: "u"})
	if bytes.Contains(got, []byte("SERIAL")) || bytes.Contains(got, []byte("DROP")) || !bytes.Contains(got, []byte("^PQ1\n")) {
		t.Fatalf("label without drop and serial:\n%s", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		label Label
		want  string
	}{
		{name: "ok", label: Label{SKU: "A", URL: "u"}},
		{name: "no sku", label: Label{URL: "u"}, want: "label has no sku"},
		{name: "no url", label: Label{SKU: "A"}, want: "label has no url"},
		{name: "long url", label: Label{SKU: "A", URL: strings.Repeat("u", MaxURL+1)}, want: "url of 1601 bytes longer than 1600"},
		{name: "negative quantity", label: Label{SKU: "A", URL: "u", Quantity: -1}, want: "quantity -1 outside 0..99999999"},
		{name: "long serial", label: Label{SKU: "A", URL: "u", Serial: strings.Repeat("s", MaxText+1)}, want: "serial of 201 bytes longer than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.label.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseHostStatus(t *testing.T) {
	tests := []struct {
		name string
		in   [3]string
		want Status
		bad  bool
	}{
		{
			name: "real printer answer",
			in:   [3]string{"030,1,1,1218,002,0,0,1,000,0,0,1", "001,0,1,0,1,2,6,0,00000005,1,000", "1234,0"},
			want: Status{PaperOut: true, Paused: true, HeadOpen: true, PartialFormat: true, OverTemp: true, LabelLength: 1218, Formats: 2, LabelsRemaining: 5},
		},
		{name: "short first string", in: [3]string{"030,0,0", "001,0,0,0,1,2,6,0,00000000,1,000", "1234,0"}, bad: true},
		{name: "flag not 0 or 1", in: [3]string{"030,x,0,1218,000,0,0,0,000,0,0,0", "001,0,0,0,1,2,6,0,00000000,1,000", "1234,0"}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHostStatus(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
