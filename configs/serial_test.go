package configs_test

import (
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// TestSerialPatternFormat makes serials from every token, and the default pattern's from the
// zero value: today's serials, which labels printed before carry.
func TestSerialPatternFormat(t *testing.T) {
	fields := configs.SerialFields{OrderID: "A-17", SKU: "RUG-1", Drop: "spring", OrderUnit: 3, Year: 2026, Seq: 42}
	tests := []struct {
		name, pattern, want string
	}{
		{name: "default", pattern: configs.DefaultSerial, want: "A-17-3"},
		{name: "every token", pattern: "{drop}.{sku}.{order}-{n}.{year}_{seq}", want: "spring.RUG-1.A-17-3.2026_42"},
		{name: "padded sequence", pattern: "CF{year}{seq:6}", want: "CF2026000042"},
		{name: "a sequence wider than its padding", pattern: "{seq:1}", want: "42"},
		{name: "literals only around", pattern: "x{seq}y", want: "x42y"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := configs.ParseSerialPattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Format(fields); got != tc.want {
				t.Errorf("Format = %q, want %q", got, tc.want)
			}
			if p.String() != tc.pattern {
				t.Errorf("String = %q, want %q", p.String(), tc.pattern)
			}
		})
	}
	var zero configs.SerialPattern
	if got := zero.Format(fields); got != "A-17-3" {
		t.Errorf("the zero pattern makes %q, want A-17-3", got)
	}
}

// TestSerialPatternRefused checks the shapes a pattern may not take beyond those the config
// fixtures show: every token, touching or not.
func TestSerialPatternRefused(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{pattern: "{seq}", ok: true},
		{pattern: "{order}-{n}", ok: true},
		{pattern: "{n}-{order}", ok: true},
		{pattern: "{year}{seq:4}", ok: true},
		{pattern: "{seq}{year}", ok: true},
		{pattern: "{order}", ok: false},
		{pattern: "{n}", ok: false},
		{pattern: "{sku}{seq}", ok: false},
		{pattern: "{seq}{drop}", ok: false},
		{pattern: "{order}-{n}{seq}", ok: false},
		{pattern: "{order}12{n}", ok: false},
		{pattern: "{order}-{n}}", ok: false},
		{pattern: "{seq:0}", ok: false},
		{pattern: "{seq:06}", ok: false},
		{pattern: "{SEQ}", ok: false},
		{pattern: "é{seq}", ok: false},
		{pattern: "{seq} ", ok: false},
		{pattern: "{seq}-" + string(make([]byte, 60)), ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			_, err := configs.ParseSerialPattern(tc.pattern)
			if (err == nil) != tc.ok {
				t.Errorf("ParseSerialPattern(%q) = %v, want ok %v", tc.pattern, err, tc.ok)
			}
		})
	}
}

// FuzzSerialPattern parses any pattern: an accepted one keeps its text, and every serial it
// makes from fields of safe characters holds only them, so that it goes into a URL path and a
// QR code as it is.
func FuzzSerialPattern(f *testing.F) {
	for _, s := range []string{configs.DefaultSerial, "{drop}-{seq:6}", "R{year}{seq:12}", "{order}{n}", "{seq:13}", "{", "}{", "{seq:}", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := configs.ParseSerialPattern(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("String = %q, want %q", p.String(), s)
		}
		serial := p.Format(configs.SerialFields{OrderID: "A-1", SKU: "RUG", Drop: "spring", OrderUnit: 12, Year: 2026, Seq: 345})
		for _, r := range serial {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				t.Fatalf("%q made %q, which holds %q", s, serial, r)
			}
		}
		if !strings.Contains(s, "{seq") && !(strings.Contains(s, "{order}") && strings.Contains(s, "{n}")) {
			t.Fatalf("%q accepted without {seq}, or {order} and {n}", s)
		}
	})
}
