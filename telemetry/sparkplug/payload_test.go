package sparkplug_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cellforge/cellforge/telemetry/sparkplug"
)

// TestPayloadRoundTrip encodes payloads and decodes them back: every scalar datatype, names
// and aliases, null values, with and without seq.
func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    sparkplug.Payload
	}{
		{name: "empty"},
		{name: "seq 0 is written", p: sparkplug.Payload{Timestamp: 1, HasSeq: true}},
		{name: "a death", p: sparkplug.Payload{Timestamp: 1795334612885, Metrics: []sparkplug.Metric{
			{Name: "bdSeq", HasName: true, DataType: sparkplug.UInt64, Value: uint64(255)}}}},
		{name: "every scalar", p: sparkplug.Payload{Timestamp: 9, Seq: 255, HasSeq: true, Metrics: []sparkplug.Metric{
			{Name: "i8", HasName: true, Alias: 3, HasAlias: true, DataType: sparkplug.Int8, Value: int64(-128)},
			{Alias: 0, HasAlias: true, DataType: sparkplug.Int16, Value: int64(-32768)},
			{Alias: 5, HasAlias: true, DataType: sparkplug.Int32, Value: int64(math.MinInt32)},
			{Alias: 6, HasAlias: true, DataType: sparkplug.Int64, Value: int64(math.MinInt64)},
			{Alias: 7, HasAlias: true, DataType: sparkplug.UInt8, Value: uint64(255)},
			{Alias: 8, HasAlias: true, DataType: sparkplug.UInt16, Value: uint64(65535)},
			{Alias: 9, HasAlias: true, DataType: sparkplug.UInt32, Value: uint64(math.MaxUint32)},
			{Alias: 10, HasAlias: true, DataType: sparkplug.UInt64, Value: uint64(math.MaxUint64)},
			{Alias: 11, HasAlias: true, DataType: sparkplug.DateTime, Value: uint64(1795334612885)},
			{Alias: 12, HasAlias: true, DataType: sparkplug.Float, Value: float32(-1.25)},
			{Alias: 13, HasAlias: true, Timestamp: 4, DataType: sparkplug.Double, Value: math.Inf(-1)},
			{Alias: 14, HasAlias: true, DataType: sparkplug.Boolean, Value: true},
			{Alias: 15, HasAlias: true, DataType: sparkplug.Boolean, Value: false},
			{Name: "", HasName: true, DataType: sparkplug.String, Value: ""},
			{Name: "t", HasName: true, DataType: sparkplug.Text, Value: "né"},
			{Name: "n", HasName: true, DataType: sparkplug.Double, IsNull: true},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := sparkplug.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.p) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, tt.p)
			}
		})
	}
}

// TestMarshalRefuses checks that a value that does not suit its datatype is refused, naming
// the metric.
func TestMarshalRefuses(t *testing.T) {
	tests := []struct {
		name string
		m    sparkplug.Metric
	}{
		{name: "string as double", m: sparkplug.Metric{Name: "x", HasName: true, DataType: sparkplug.Double, Value: "1"}},
		{name: "float64 as float", m: sparkplug.Metric{Name: "x", HasName: true, DataType: sparkplug.Float, Value: 1.0}},
		{name: "int as int32", m: sparkplug.Metric{Name: "x", HasName: true, DataType: sparkplug.Int32, Value: 1}},
		{name: "dataset", m: sparkplug.Metric{Name: "x", HasName: true, DataType: 16, Value: []byte{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sparkplug.Payload{Metrics: []sparkplug.Metric{tt.m}}
			if _, err := p.Marshal(); err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"x"`)) {
				t.Errorf("Marshal: %v, want an error naming metric \"x\"", err)
			}
		})
	}
}

// TestDecodeTahu decodes payloads that Eclipse Tahu's JavaScript library encoded
// (host/make-testdata.js): the Go decoder reads what another implementation writes.
func TestDecodeTahu(t *testing.T) {
	const ts = 1795334612885
	tests := []struct {
		file string
		want sparkplug.Payload
	}{
		{file: "tahu-nbirth.bin", want: sparkplug.Payload{Timestamp: ts, HasSeq: true, Metrics: []sparkplug.Metric{
			{Name: "bdSeq", HasName: true, Alias: 1, HasAlias: true, DataType: sparkplug.UInt64, Value: uint64(5)},
			{Name: "Node Control/Rebirth", HasName: true, Alias: 2, HasAlias: true, DataType: sparkplug.Boolean, Value: false},
		}}},
		{file: "tahu-ddata.bin", want: sparkplug.Payload{Timestamp: ts, Seq: 255, HasSeq: true, Metrics: []sparkplug.Metric{
			{Alias: 3, HasAlias: true, Timestamp: ts - 1, DataType: sparkplug.Int8, Value: int64(-3)},
			{Alias: 4, HasAlias: true, DataType: sparkplug.Int16, Value: int64(-300)},
			{Alias: 5, HasAlias: true, DataType: sparkplug.Int32, Value: int64(-70000)},
			{Alias: 6, HasAlias: true, DataType: sparkplug.Int64, Value: int64(-5000000000)},
			{Alias: 7, HasAlias: true, DataType: sparkplug.UInt8, Value: uint64(255)},
			{Alias: 8, HasAlias: true, DataType: sparkplug.UInt16, Value: uint64(65535)},
			{Alias: 9, HasAlias: true, DataType: sparkplug.UInt32, Value: uint64(4000000000)},
			{Alias: 10, HasAlias: true, DataType: sparkplug.UInt64, Value: uint64(math.MaxUint64)},
			{Alias: 11, HasAlias: true, DataType: sparkplug.Float, Value: float32(1.5)},
			{Alias: 12, HasAlias: true, DataType: sparkplug.Double, Value: 21.25},
			{Alias: 13, HasAlias: true, DataType: sparkplug.Boolean, Value: true},
			{Alias: 14, HasAlias: true, DataType: sparkplug.String, Value: "weaving"},
			{Name: "note", HasName: true, DataType: sparkplug.Text, Value: "né"},
			{Name: "unset", HasName: true, DataType: sparkplug.Double, IsNull: true},
		}}},
		{file: "tahu-rebirth.bin", want: sparkplug.Payload{Timestamp: ts, Metrics: []sparkplug.Metric{
			{Name: "Node Control/Rebirth", HasName: true, DataType: sparkplug.Boolean, Value: true},
		}}},
		// A dataset and a metric's properties are skipped: only scalars are read.
		{file: "tahu-dataset.bin", want: sparkplug.Payload{Timestamp: ts, Seq: 7, HasSeq: true, Metrics: []sparkplug.Metric{
			{Name: "table", HasName: true, DataType: 16},
			{Name: "Node Control/Rebirth", HasName: true, DataType: sparkplug.Boolean, Value: true},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sparkplug.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestParseCommand reads NCMD payloads: Tahu's rebirth, a rebirth by alias, a rebirth set to
// false, metrics the node does not know, and payloads that are not protobuf.
func TestParseCommand(t *testing.T) {
	tahu, err := os.ReadFile(filepath.Join("testdata", "tahu-rebirth.bin"))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(ms ...sparkplug.Metric) []byte {
		p := sparkplug.Payload{Timestamp: 1, Metrics: ms}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name    string
		in      []byte
		want    sparkplug.Command
		wantErr bool
	}{
		{name: "tahu rebirth", in: tahu, want: sparkplug.Command{Rebirth: true}},
		{name: "by alias", in: enc(sparkplug.Metric{Alias: 2, HasAlias: true, DataType: sparkplug.Boolean, Value: true}), want: sparkplug.Command{Rebirth: true}},
		{name: "false", in: enc(sparkplug.Metric{Name: sparkplug.RebirthMetric, HasName: true, DataType: sparkplug.Boolean, Value: false})},
		{name: "not a boolean", in: enc(sparkplug.Metric{Name: sparkplug.RebirthMetric, HasName: true, DataType: sparkplug.Double, Value: 1.0}),
			want: sparkplug.Command{Unknown: []string{sparkplug.RebirthMetric}}},
		{name: "unknown", in: enc(sparkplug.Metric{Name: "Node Control/Reboot", HasName: true, DataType: sparkplug.Boolean, Value: true},
			sparkplug.Metric{Alias: 99, HasAlias: true, DataType: sparkplug.Boolean, Value: true}),
			want: sparkplug.Command{Unknown: []string{"Node Control/Reboot", "alias 99"}}},
		{name: "truncated", in: tahu[:len(tahu)-3], wantErr: true},
		{name: "bad length", in: []byte{0x0a, 0xff, 0xff, 0x12, 0x03}, wantErr: true},
		{name: "bad wire type", in: []byte{0x0f}, wantErr: true},
		{name: "empty", in: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sparkplug.ParseCommand(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseCommand: %v, want an error: %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParseCommand feeds the NCMD decoder what a broker may deliver: it must not panic, and a
// payload it accepts encodes again to one that decodes the same.
func FuzzParseCommand(f *testing.F) {
	for _, name := range []string{"tahu-nbirth.bin", "tahu-ddata.bin", "tahu-rebirth.bin", "tahu-dataset.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := sparkplug.ParseCommand(b); err != nil {
			return
		}
		p, err := sparkplug.Unmarshal(b)
		if err != nil {
			t.Fatalf("ParseCommand accepted what Unmarshal refuses: %v", err)
		}
		again, err := p.Marshal()
		if err != nil {
			// A metric with a datatype the node does not send (a dataset) or without a value.
			return
		}
		q, err := sparkplug.Unmarshal(again)
		if err != nil {
			t.Fatalf("a payload encoded again does not decode: %v", err)
		}
		if !reflect.DeepEqual(normal(p), normal(q)) {
			t.Fatalf("encoded again:\n got %#v\nwant %#v", q, p)
		}
	})
}

// normal is a payload as it encodes: a null metric has no value, a NaN compares equal.
func normal(p sparkplug.Payload) sparkplug.Payload {
	for i, m := range p.Metrics {
		if m.Value == nil {
			m.IsNull = true
		}
		if f, ok := m.Value.(float64); ok && math.IsNaN(f) {
			m.Value = "NaN"
		}
		if f, ok := m.Value.(float32); ok && f != f {
			m.Value = "NaN"
		}
		p.Metrics[i] = m
	}
	return p
}
