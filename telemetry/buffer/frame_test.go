package buffer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestFrames(t *testing.T) {
	valid := appendFrame(nil, 42, []byte("hello"))
	tests := []struct {
		name    string
		in      []byte
		want    []string
		wantErr error
		valid   int
	}{
		{name: "empty", in: nil, valid: 0},
		{name: "one", in: valid, want: []string{"hello"}, valid: len(valid)},
		{name: "empty record", in: appendFrame(nil, 1, nil), want: []string{""}, valid: headerSize},
		{name: "two", in: appendFrame(bytes.Clone(valid), 43, []byte("world")), want: []string{"hello", "world"}, valid: 2 * len(valid)},
		{name: "torn header", in: append(bytes.Clone(valid), 1, 0, 0), want: []string{"hello"}, wantErr: errTorn, valid: len(valid)},
		{name: "torn data", in: valid[:len(valid)-1], wantErr: errTorn},
		{name: "bad crc", in: append(bytes.Clone(valid[:len(valid)-1]), 'O'), wantErr: errCorrupt},
		{name: "bad time", in: append(append(bytes.Clone(valid[:8]), 9), valid[9:]...), wantErr: errCorrupt},
		{name: "zeros", in: make([]byte, 64), wantErr: errCorrupt},
		{name: "length too large", in: binary.LittleEndian.AppendUint32(nil, maxRecordBytes+1), wantErr: errTorn},
		{name: "length too large, whole header", in: append(binary.LittleEndian.AppendUint32(nil, maxRecordBytes+1), make([]byte, 12)...), wantErr: errCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			n, err := scanFrames(bytes.NewReader(tt.in), func(off int64, ts int64, data []byte) {
				got = append(got, string(data))
			})
			if !errors.Is(err, tt.wantErr) || n != int64(tt.valid) {
				t.Fatalf("scanFrames = %d, %v; want %d, %v", n, err, tt.valid, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("records %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("records %q, want %q", got, tt.want)
				}
			}
			// decodeFrame, which Read uses, agrees with the scan.
			var dec []string
			b := tt.in
			for len(b) > 0 {
				_, data, size, err := decodeFrame(b)
				if err != nil {
					break
				}
				dec = append(dec, string(data))
				b = b[size:]
			}
			if len(dec) != len(got) {
				t.Fatalf("decodeFrame found %q, scanFrames %q", dec, got)
			}
		})
	}
}

// FuzzFrames reads arbitrary bytes as a segment file: the scan must not panic, must return only
// frames that re-encode to the very bytes they were read from (so their checksum is right), and
// must agree with decodeFrame.
func FuzzFrames(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendFrame(nil, 1, []byte("a")))
	f.Add(appendFrame(appendFrame(nil, 1, []byte("a")), 2, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		var frames [][]byte
		var next int64
		valid, err := scanFrames(bytes.NewReader(in), func(off int64, ts int64, data []byte) {
			if off != next {
				t.Fatalf("frame at %d, want %d", off, next)
			}
			frame := appendFrame(nil, ts, data)
			if !bytes.Equal(frame, in[off:off+int64(len(frame))]) {
				t.Fatalf("frame at %d does not re-encode to its bytes", off)
			}
			frames = append(frames, frame)
			next = off + int64(len(frame))
		})
		if valid != next {
			t.Fatalf("valid length %d, frames end at %d", valid, next)
		}
		if err == nil && valid != int64(len(in)) {
			t.Fatalf("clean end at %d of %d bytes", valid, len(in))
		}
		if err != nil && !errors.Is(err, errTorn) && !errors.Is(err, errCorrupt) {
			t.Fatalf("scanFrames: %v", err)
		}
		b := in
		for i, frame := range frames {
			ts, data, n, err := decodeFrame(b)
			if err != nil || n != len(frame) || !bytes.Equal(appendFrame(nil, ts, data), frame) {
				t.Fatalf("decodeFrame of frame %d = %d, %v; scanFrames found %x", i, n, err, frame)
			}
			b = b[n:]
		}
		if _, _, _, err := decodeFrame(b); len(b) > 0 && err == nil {
			t.Fatalf("decodeFrame accepts a frame at %d that scanFrames refused", valid)
		}
	})
}

// FuzzCursor reads arbitrary bytes as a cursor file: it must not panic, and what it accepts
// must encode back to the same bytes.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(cursorState{cursor: 7, read: 9}))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := decodeCursor(in)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeCursor(s), in) {
			t.Fatalf("decodeCursor(%x) = %+v, which encodes to %x", in, s, encodeCursor(s))
		}
	})
}

func TestCursorFile(t *testing.T) {
	good := encodeCursor(cursorState{cursor: 12, read: 15})
	tests := []struct {
		name string
		data []byte // nil: no file
		want cursorState
	}{
		{name: "missing"},
		{name: "good", data: good, want: cursorState{cursor: 12, read: 15}},
		{name: "short", data: good[:10]},
		{name: "bad checksum", data: append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1)},
		{name: "bad magic", data: append([]byte("XXXX"), good[4:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.data != nil {
				if err := writeFile(dir, cursorFile, tt.data); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readCursor(dir)
			if err != nil || got != tt.want {
				t.Fatalf("readCursor = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
