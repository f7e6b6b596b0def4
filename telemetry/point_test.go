package telemetry

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 123456789, time.UTC)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		series Series
		points []Point
		topic  string
		line   string
	}{
		{
			name:   "device value",
			series: Series{Site: "loom-lantern", Kind: KindDevice, Cell: "dye-1", Device: "vat-a", Metric: "temperature"},
			points: []Point{{Time: t0, Fields: map[string]any{"value": 61.25}}, {Time: t0.Add(time.Second), Fields: map[string]any{"value": 61.5}}},
			topic:  "cellforge/v1/loom-lantern/devices/dye-1/vat-a/temperature",
			line:   "device,site=loom-lantern,cell=dye-1,device=vat-a temperature=61.25 1795334400123456789\n",
		},
		{
			name:   "cell state as a string",
			series: Series{Site: "s", Kind: KindCell, Cell: "weave-1", Metric: "machine_state"},
			points: []Point{{Time: t0, Fields: map[string]any{"value": "running"}}},
			topic:  "cellforge/v1/s/cells/weave-1/machine_state",
			line:   "cell,site=s,cell=weave-1 machine_state=\"running\" 1795334400123456789\n",
		},
		{
			name: "work order turnaround",
			series: Series{Site: "s", Kind: KindWorkOrder, Drop: "spring-27",
				Tags: map[string]string{"sku": "RUG-KILIM-S", "work_order": "42"}},
			points: []Point{{Time: t0, Fields: map[string]any{"turnaround_s": 5400.0, "quantity": 2.0, "late": false}}},
			topic:  "cellforge/v1/s/workorders/spring-27",
			line:   "workorder,site=s,drop=spring-27,sku=RUG-KILIM-S,work_order=42 late=false,quantity=2,turnaround_s=5400 1795334400123456789\n",
		},
		{
			name:   "repair measures",
			series: Series{Site: "s", Kind: KindRepairs},
			points: []Point{{Time: t0, Fields: map[string]any{"repair_rate": 0.25, "open_received": 2.0}}},
			topic:  "cellforge/v1/s/repairs",
			line:   "repairs,site=s open_received=2,repair_rate=0.25 1795334400123456789\n",
		},
		{
			name:   "a cell's OEE",
			series: Series{Site: "s", Kind: KindOEE, Cell: "weave-1"},
			points: []Point{{Time: t0, Fields: map[string]any{"shift": "early", "shift_oee": 0.5, "today_breakdowns_min": 12.5}}},
			topic:  "cellforge/v1/s/oee/weave-1",
			line:   "oee,site=s,cell=weave-1 shift=\"early\",shift_oee=0.5,today_breakdowns_min=12.5 1795334400123456789\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, body, err := Encode(tt.series, tt.points)
			if err != nil {
				t.Fatal(err)
			}
			if topic != tt.topic {
				t.Errorf("topic %q, want %q", topic, tt.topic)
			}
			s, points, err := Decode(topic, body)
			if err != nil {
				t.Fatalf("decoding %s: %v", body, err)
			}
			if !reflect.DeepEqual(s, tt.series) {
				t.Errorf("series %+v, want %+v", s, tt.series)
			}
			for i := range points {
				if !points[i].Time.Equal(tt.points[i].Time) || !reflect.DeepEqual(points[i].Fields, tt.points[i].Fields) {
					t.Errorf("point %d = %+v, want %+v", i, points[i], tt.points[i])
				}
			}
			if tt.line != "" {
				if got := string(AppendLine(nil, s, points[0])); got != tt.line {
					t.Errorf("line %q\nwant %q", got, tt.line)
				}
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	dev := "cellforge/v1/s/devices/dye-1/vat-a/temperature"
	ts := fmt.Sprint(t0.UnixNano())
	tests := []struct {
		name, topic, body, want string
	}{
		{"outside the tree", "other/v1/s/devices/a/b/c", `{}`, "not under cellforge/v1"},
		{"unknown level", "cellforge/v1/s/machines/a/b/c", `{}`, `unknown level "machines"`},
		{"short device topic", "cellforge/v1/s/devices/a/b", `{}`, "want devices/<cell>/<device>/<metric>"},
		{"retained state", "cellforge/v1/s/cells/a/state", `{}`, "retained state"},
		{"oee topic with a metric", "cellforge/v1/s/oee/a/oee", `{}`, "want oee/<cell>"},
		{"oee of no cell", "cellforge/v1/s/oee/", `{}`, "not an id"},
		{"oee with a control character", "cellforge/v1/s/oee/a", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"shift":"a\u0007"}}]}`, "control characters"},
		{"wildcard in site", "cellforge/v1/+/drops/d", `{}`, "not an id"},
		{"malformed json", dev, `{"v":1,"points":[`, "not a version 1 message"},
		{"not json", dev, `hello`, "not a version 1 message"},
		{"unknown key", dev, `{"v":1,"points":[],"extra":1}`, "unknown field"},
		{"version 2", dev, `{"v":2,"points":[{"ts":` + ts + `,"fields":{"value":1}}]}`, "version 2"},
		{"no points", dev, `{"v":1,"points":[]}`, "0 points"},
		{"no ts", dev, `{"v":1,"points":[{"fields":{"value":1}}]}`, "no ts"},
		{"ts in seconds", dev, `{"v":1,"points":[{"ts":1795334400,"fields":{"value":1}}]}`, "out of range"},
		{"ts as string", dev, `{"v":1,"points":[{"ts":"now","fields":{"value":1}}]}`, "not a version 1 message"},
		{"wrong field for a metric", dev, `{"v":1,"points":[{"ts":` + ts + `,"fields":{"temp":1}}]}`, `single field "value"`},
		{"object value", "cellforge/v1/s/drops/d", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"x":{"a":1}}}]}`, "objects and lists"},
		{"null value", "cellforge/v1/s/drops/d", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"x":null}}]}`, "null"},
		{"bad field name", "cellforge/v1/s/drops/d", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"X Y":1}}]}`, "not a name"},
		{"reserved tag", "cellforge/v1/s/drops/d", `{"v":1,"tags":{"site":"x"},"points":[{"ts":` + ts + `,"fields":{"x":1}}]}`, "set by the topic"},
		{"tag value with a space", "cellforge/v1/s/drops/d", `{"v":1,"tags":{"sku":"a b"},"points":[{"ts":` + ts + `,"fields":{"x":1}}]}`, "not an id"},
		{"huge number", "cellforge/v1/s/drops/d", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"x":1e999}}]}`, "not a number"},
		{"control character", "cellforge/v1/s/drops/d", `{"v":1,"points":[{"ts":` + ts + `,"fields":{"x":"a\u0000b"}}]}`, "control characters"},
		{"trailing data", dev, `{"v":1,"points":[{"ts":` + ts + `,"fields":{"value":1}}]} {}`, "after the message"},
		{"huge payload", dev, `{"v":1,"points":[` + strings.Repeat(" ", MaxPayloadBytes) + `]}`, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.topic, []byte(tt.body))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode: %v, want an invalid-telemetry error containing %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	ok := Series{Site: "s", Kind: KindDrop, Drop: "d"}
	tests := []struct {
		name   string
		series Series
		points []Point
	}{
		{"unknown kind", Series{Site: "s", Kind: "x", Drop: "d"}, []Point{{Time: t0, Fields: map[string]any{"x": 1.0}}}},
		{"cell metric named state", Series{Site: "s", Kind: KindCell, Cell: "c", Metric: "state"}, []Point{{Time: t0, Fields: map[string]any{"value": 1.0}}}},
		{"device without metric", Series{Site: "s", Kind: KindDevice, Cell: "c", Device: "d"}, []Point{{Time: t0, Fields: map[string]any{"value": 1.0}}}},
		{"no points", ok, nil},
		{"zero time", ok, []Point{{Fields: map[string]any{"x": 1.0}}}},
		{"NaN", ok, []Point{{Time: t0, Fields: map[string]any{"x": math.NaN()}}}},
		{"int field", ok, []Point{{Time: t0, Fields: map[string]any{"x": 1}}}},
		{"too many fields", ok, []Point{{Time: t0, Fields: func() map[string]any {
			m := map[string]any{}
			for i := range MaxFields + 1 {
				m[fmt.Sprintf("f%d", i)] = 1.0
			}
			return m
		}()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Encode(tt.series, tt.points); !errors.Is(err, ErrInvalid) {
				t.Errorf("Encode: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLineEscapesStrings(t *testing.T) {
	s := Series{Site: "s", Kind: KindCell, Cell: "c", Metric: "reason"}
	got := string(AppendLine(nil, s, Point{Time: t0, Fields: map[string]any{"value": `warp "break" \ 2`}}))
	want := `cell,site=s,cell=c reason="warp \"break\" \\ 2" 1795334400123456789` + "\n"
	if got != want {
		t.Errorf("line %q\nwant %q", got, want)
	}
}

// FuzzDecode: whatever arrives on a telemetry topic, Decode never panics, and what it accepts
// encodes back to a message that decodes to the same points.
func FuzzDecode(f *testing.F) {
	ts := fmt.Sprint(t0.UnixNano())
	f.Add("cellforge/v1/s/devices/c/d/temperature", []byte(`{"v":1,"points":[{"ts":`+ts+`,"fields":{"value":21.5}}]}`))
	f.Add("cellforge/v1/s/workorders/d", []byte(`{"v":1,"tags":{"sku":"A"},"points":[{"ts":`+ts+`,"fields":{"x":true,"y":"z"}}]}`))
	f.Add("cellforge/v1/s/cells/c/units", []byte(`{"v":1,"points":[{"ts":1,"fields":{"value":1}}]}`))
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		s, points, err := Decode(topic, body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		topic2, body2, err := Encode(s, points)
		if err != nil {
			t.Fatalf("accepted message does not encode again: %v", err)
		}
		s2, points2, err := Decode(topic2, body2)
		if err != nil || !reflect.DeepEqual(s, s2) || len(points) != len(points2) {
			t.Fatalf("round trip changed the message: %v", err)
		}
		for i := range points {
			_ = AppendLine(nil, s2, points2[i])
			if !points[i].Time.Equal(points2[i].Time) || !reflect.DeepEqual(points[i].Fields, points2[i].Fields) {
				t.Fatalf("point %d changed: %+v and %+v", i, points[i], points2[i])
			}
		}
	})
}
