package escpos

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzESCPOS checks that the parser never panics or hangs, and that cutting
// the stream into two reads anywhere gives the same tickets, answers and
// drop count as feeding it whole.
func FuzzESCPOS(f *testing.F) {
	f.Add(cat(esc, '@', "hello", lf, gs, 'V', 0), uint16(3), byte(0))
	f.Add(cat(qrStoreCmd("https://example.test/p/1"), qrPrintCmd, gs, 'V', 66, 2), uint16(6), byte(0))
	f.Add(cat(dle, eot, 1, dle, eot, 2, dle, eot, 4, "x", lf), uint16(1), byte(1))
	f.Add(cat(gs, '(', 'k', 0xFF, 0xFF, 49, 80), uint16(4), byte(0))
	f.Add(cat(gs, 'v', '0', 0, 0xFF, 0xFF, 0xFF, 0xFF, "data"), uint16(9), byte(0))
	f.Add(cat(esc, '&', 3, 32, 33, 2, 1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1, "t", lf), uint16(7), byte(4))
	f.Fuzz(func(t *testing.T, in []byte, at uint16, fault byte) {
		faults := Faults{PaperOut: fault&1 != 0, CoverOpen: fault&2 != 0, NearEnd: fault&4 != 0, Silent: fault&8 != 0}
		whole := newParser(DefaultColumns)
		whole.feed(in, faults)
		whole.end()

		cut := int(at) % (len(in) + 1)
		split := newParser(DefaultColumns)
		split.feed(in[:cut], faults)
		split.feed(in[cut:], faults)
		split.end()

		if !reflect.DeepEqual(whole.done, split.done) {
			t.Fatalf("split at %d: tickets\n%+v\nwhole:\n%+v", cut, split.done, whole.done)
		}
		if !bytes.Equal(whole.out, split.out) {
			t.Fatalf("split at %d: answers % x, whole % x", cut, split.out, whole.out)
		}
		if whole.dropped != split.dropped {
			t.Fatalf("split at %d: dropped %d, whole %d", cut, split.dropped, whole.dropped)
		}
		for _, b := range whole.out {
			if b&0x93 != 0x12 {
				t.Fatalf("status byte %02x breaks the fixed bits", b)
			}
		}
		if faults.PaperOut && len(whole.done) > 0 {
			t.Fatalf("printed %d tickets out of paper", len(whole.done))
		}
	})
}
