package zpl

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzZPL checks that the parser never panics or hangs, and that cutting
// the stream into two reads anywhere gives the same labels, held labels,
// counts and answers as feeding it whole.
func FuzzZPL(f *testing.F) {
	f.Add([]byte("^XA^FO10,10^A0N,30,30^FH_^FDSKU _5E1^FS^BQN,2,5^FDQA,https://x.test/1^FS^PQ2^XZ"), uint16(17), byte(0))
	f.Add([]byte("~HS^XA^FX c^BCN,80^FD>:123^FS^XZ~HS"), uint16(4), byte(1))
	f.Add([]byte("garbage^XA^XA^FDunterminated"), uint16(9), byte(2))
	f.Add([]byte("^xa^fdlower^fs^xz~pp^XA^XZ~ps~ja"), uint16(12), byte(0))
	f.Add([]byte("^^~~^X^XA^A^FD\x00\xff^FS^XZ"), uint16(3), byte(4))
	f.Fuzz(func(t *testing.T, in []byte, at uint16, fault byte) {
		faults := Faults{PaperOut: fault&1 != 0, HeadOpen: fault&2 != 0, Paused: fault&4 != 0, Silent: fault&8 != 0}
		run := func(parts ...[]byte) (*Printer, []byte) {
			p := New(Config{})
			p.SetFaults(faults)
			s := newParser(p)
			for _, b := range parts {
				s.feed(b)
			}
			s.end()
			return p, s.out
		}
		whole, wholeOut := run(in)
		cut := int(at) % (len(in) + 1)
		split, splitOut := run(in[:cut], in[cut:])

		if !reflect.DeepEqual(whole.Labels(), split.Labels()) || !reflect.DeepEqual(whole.Pending(), split.Pending()) {
			t.Fatalf("split at %d: labels %+v held %+v; whole %+v held %+v",
				cut, split.Labels(), split.Pending(), whole.Labels(), whole.Pending())
		}
		if whole.Stats() != split.Stats() {
			t.Fatalf("split at %d: stats %+v, whole %+v", cut, split.Stats(), whole.Stats())
		}
		if !bytes.Equal(wholeOut, splitOut) {
			t.Fatalf("split at %d: answers %q, whole %q", cut, splitOut, wholeOut)
		}
		if whole.Stats().Garbage > len(in) {
			t.Fatalf("counted %d garbage bytes in %d bytes of input", whole.Stats().Garbage, len(in))
		}
		if n := bytes.Count(wholeOut, []byte{0x03, '\r', '\n'}); n%3 != 0 {
			t.Fatalf("answer %q is not made of three-string status answers", wholeOut)
		}
	})
}
