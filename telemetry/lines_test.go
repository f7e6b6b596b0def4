package telemetry

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// oldLines is what a bridge wrote before LineDecoder: Decode, then AppendLine for each point.
func oldLines(topic string, body []byte) ([]byte, int, error) {
	s, points, err := Decode(topic, body)
	if err != nil {
		return nil, 0, err
	}
	var out []byte
	for _, p := range points {
		out = AppendLine(out, s, p)
	}
	return out, len(points), nil
}

var lineCases = []struct {
	name, topic, body string
	fast              bool // taken by the parser, without Decode
}{
	{"device", "cellforge/v1/s/devices/c/d/temperature", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"value":21.5}},{"ts":1700000000000000001,"fields":{"value":-3e2}}]}`, true},
	{"spaces and key order", "cellforge/v1/s/cells/c/units", " {\"points\" : [ {\"fields\": {\"value\": 1} , \"ts\": 1700000000000000000 } ],\n\"v\":1 }\t", true},
	{"workorder with tags", "cellforge/v1/s/workorders/d", `{"v":1,"tags":{"sku":"A","id":"wo-1"},"points":[{"ts":1700000000000000000,"fields":{"y":"z","x":true,"w":false,"n":0}}]}`, true},
	{"escaped string", "cellforge/v1/s/workorders/d", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"y":"a\"b\\c"}}]}`, false},
	{"unicode string", "cellforge/v1/s/workorders/d", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"y":"été"}}]}`, false},
	{"capital key", "cellforge/v1/s/devices/c/d/t", `{"V":1,"points":[{"ts":1700000000000000000,"fields":{"value":1}}]}`, false},
	{"trailing bracket", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"value":1}}]}]`, false},
	{"float ts", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1700000000000000000.0,"fields":{"value":1}}]}`, false},
	{"second field", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"value":1,"x":2}}]}`, false},
	{"duplicate field", "cellforge/v1/s/workorders/d", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"x":1,"x":2}}]}`, false},
	{"too early", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1,"fields":{"value":1}}]}`, false},
	{"overflow", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"value":1e999}}]}`, false},
	{"leading zero", "cellforge/v1/s/devices/c/d/t", `{"v":1,"points":[{"ts":1700000000000000000,"fields":{"value":01}}]}`, false},
	{"reserved tag", "cellforge/v1/s/workorders/d", `{"v":1,"tags":{"site":"x"},"points":[{"ts":1700000000000000000,"fields":{"x":1}}]}`, false},
	{"null fields", "cellforge/v1/s/workorders/d", `{"v":1,"points":[{"ts":1700000000000000000,"fields":null}]}`, false},
	{"version 2", "cellforge/v1/s/devices/c/d/t", `{"v":2,"points":[{"ts":1700000000000000000,"fields":{"value":1}}]}`, false},
	{"control character", "cellforge/v1/s/workorders/d", "{\"v\":1,\"points\":[{\"ts\":1700000000000000000,\"fields\":{\"y\":\"a\x7fb\"}}]}", false},
}

// TestLineDecoderIsDecode checks that LineDecoder writes what Decode and AppendLine write and
// refuses what they refuse with their error, and that the parser takes what Encode writes.
func TestLineDecoderIsDecode(t *testing.T) {
	var d LineDecoder
	for _, tc := range lineCases {
		t.Run(tc.name, func(t *testing.T) {
			checkLines(t, &d, tc.topic, []byte(tc.body))
			s, err := ParseTopic(tc.topic)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, fast := d.appendFast(nil, s, []byte(tc.body)); fast != tc.fast {
				t.Errorf("parser took it: %t, want %t", fast, tc.fast)
			}
		})
	}
	s := Series{Site: "s", Kind: KindOEE, Cell: "c"}
	topic, body, err := Encode(s, []Point{{Time: time.Unix(1700000000, 5), Fields: map[string]any{"oee": 0.5, "shift": "a", "up": true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, fast := d.appendFast(nil, s, body); !fast {
		t.Errorf("the parser does not take what Encode writes: %s", body)
	}
	checkLines(t, &d, topic, body)
}

// checkLines compares LineDecoder with Decode and AppendLine on one message, appending after
// bytes already there.
func checkLines(t *testing.T, d *LineDecoder, topic string, body []byte) {
	t.Helper()
	want, wantN, wantErr := oldLines(topic, body)
	got, n, err := d.Append([]byte("x"), topic, body)
	switch {
	case (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()):
		t.Fatalf("error %v, Decode's %v", err, wantErr)
	case err != nil && (!errors.Is(err, ErrInvalid) || string(got) != "x"):
		t.Fatalf("refused with %q appended, error %v", got, err)
	case err == nil && (n != wantN || !bytes.Equal(got[1:], want)):
		t.Fatalf("%d lines:\n%s\nDecode and AppendLine: %d lines:\n%s", n, got[1:], wantN, want)
	}
}

func FuzzLineDecoder(f *testing.F) {
	for _, tc := range lineCases {
		f.Add(tc.topic, []byte(tc.body))
	}
	var d LineDecoder
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		checkLines(t, &d, topic, body)
	})
}

// BenchmarkLineDecoder decodes a message of 10 points into line protocol, beside Decode and
// AppendLine.
func BenchmarkLineDecoder(b *testing.B) {
	pts := make([]Point, 10)
	for i := range pts {
		pts[i] = Point{Time: time.Unix(1700000000, int64(i)), Fields: map[string]any{"value": float64(i) * 1.5}}
	}
	topic, body, err := Encode(Series{Site: "bench", Kind: KindDevice, Cell: "cell-1", Device: "dev-1", Metric: "value"}, pts)
	if err != nil {
		b.Fatal(err)
	}
	var d LineDecoder
	var buf []byte
	b.Run("line-decoder", func(b *testing.B) {
		for b.Loop() {
			if buf, _, err = d.Append(buf[:0], topic, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-and-append-line", func(b *testing.B) {
		for b.Loop() {
			if buf, _, err = oldLines(topic, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
