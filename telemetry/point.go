package telemetry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is what a series measures: the level of the topic tree after the site, and the
// measurement in InfluxDB.
type Kind string

// Kinds of series.
const (
	KindDevice    Kind = "device"
	KindCell      Kind = "cell"
	KindWorkOrder Kind = "workorder"
	KindDrop      Kind = "drop"
	// KindRepairs is the studio's repair measures over a rolling window: a series of the site
	// alone, with no id.
	KindRepairs Kind = "repairs"
	// KindOEE is a cell's OEE, its factors and its losses over the current shift and today: a
	// series of a cell, with no metric.
	KindOEE Kind = "oee"
)

// topicLevel is the topic level of each kind.
var topicLevel = map[Kind]string{KindDevice: "devices", KindCell: "cells", KindWorkOrder: "workorders", KindDrop: "drops", KindRepairs: "repairs", KindOEE: "oee"}

// Series names a stream of points; its topic and its InfluxDB tags follow from it.
type Series struct {
	Site string
	Kind Kind
	// Cell is set for device and cell series, Device for device series.
	Cell, Device string
	// Drop is set for work order and drop series.
	Drop string
	// Metric is set for device and cell series: what is measured, the field name in InfluxDB.
	// Their points have the single field "value".
	Metric string
	// Tags are further tags, carried in the payload (a work order's sku and id).
	Tags map[string]string
}

// Point is one measurement: when it was measured and its field values, each a float64, a
// bool or a string.
type Point struct {
	Time   time.Time
	Fields map[string]any
}

// Limits of what a message may carry. A bridge refuses anything beyond them.
const (
	MaxPayloadBytes = 1 << 20
	MaxPoints       = 10000
	MaxFields       = 32
	MaxTags         = 8
	maxString       = 256
	maxID           = 64
)

// Times outside these bounds are refused: they are a clock or a unit gone wrong.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrInvalid is wrapped by every error that refuses a series, a point or a message.
var ErrInvalid = errors.New("invalid telemetry")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// isID reports whether s is an id that may be a topic segment or a tag value: 1 to 64 letters,
// digits, '-', '_' or '.', not starting with '.' or '-'.
func isID(s string) bool {
	if len(s) == 0 || len(s) > maxID || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isName reports whether s is a field or tag name: a lowercase letter, then up to 63
// lowercase letters, digits or '_'.
func isName(s string) bool {
	if len(s) == 0 || len(s) > maxID || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// reservedTags are the tags the topic sets; a payload may not set them.
var reservedTags = []string{"site", "cell", "device", "drop"}

// Validate checks that the series names a topic: its kind is known, the ids its kind needs
// are set and well formed, and its tags are well formed and not reserved.
func (s Series) Validate() error {
	if !isID(s.Site) {
		return invalid("site %q is not an id", s.Site)
	}
	// In the topic's order, so that the error names the first bad id.
	var need [][2]string
	switch s.Kind {
	case KindDevice:
		need = [][2]string{{"cell", s.Cell}, {"device", s.Device}, {"metric", s.Metric}}
	case KindCell:
		need = [][2]string{{"cell", s.Cell}, {"metric", s.Metric}}
	case KindWorkOrder, KindDrop:
		need = [][2]string{{"drop", s.Drop}}
	case KindOEE:
		if s.Device != "" || s.Drop != "" || s.Metric != "" {
			return invalid("an oee series names a cell and no device, drop or metric")
		}
		need = [][2]string{{"cell", s.Cell}}
	case KindRepairs:
		if s.Cell != "" || s.Device != "" || s.Drop != "" || s.Metric != "" {
			return invalid("a repairs series names no cell, device, drop or metric")
		}
	default:
		return invalid("unknown kind %q", s.Kind)
	}
	for _, n := range need {
		if !isID(n[1]) {
			return invalid("%s series: %s %q is not an id", s.Kind, n[0], n[1])
		}
	}
	if (s.Kind == KindDevice || s.Kind == KindCell) && !isName(s.Metric) {
		return invalid("metric %q is not a name (lowercase letters, digits and _)", s.Metric)
	}
	if s.Kind == KindCell && s.Metric == "state" {
		return invalid(`a cell's metric may not be "state": that topic holds its retained state`)
	}
	if len(s.Tags) > MaxTags {
		return invalid("%d tags, at most %d", len(s.Tags), MaxTags)
	}
	for _, k := range sortedKeys(s.Tags) { // sorted, so that the error names the first bad tag
		v := s.Tags[k]
		if !isName(k) || slices.Contains(reservedTags, k) {
			return invalid("tag %q is not a name or is set by the topic", k)
		}
		if !isID(v) {
			return invalid("tag %s: value %q is not an id", k, v)
		}
	}
	return nil
}

// Topic returns the series' MQTT topic.
func (s Series) Topic() string {
	root := "cellforge/v1/" + s.Site + "/" + topicLevel[s.Kind] + "/"
	switch s.Kind {
	case KindDevice:
		return root + s.Cell + "/" + s.Device + "/" + s.Metric
	case KindCell:
		return root + s.Cell + "/" + s.Metric
	case KindOEE:
		return root + s.Cell
	case KindRepairs:
		return strings.TrimSuffix(root, "/")
	}
	return root + s.Drop
}

// StateTopic is the retained topic of a cell's current state.
func StateTopic(site, cell string) string {
	return "cellforge/v1/" + site + "/cells/" + cell + "/state"
}

// StatusTopic is the retained topic of the daemon's status: "online", or "offline" as its last will.
func StatusTopic(site string) string { return "cellforge/v1/" + site + "/status" }

// IsRetainedState reports whether topic is a retained state or status topic of the tree: they
// carry no series.
func IsRetainedState(topic string) bool {
	if !strings.HasSuffix(topic, "/state") && !strings.HasSuffix(topic, "/status") {
		return false // the topic of every point: spare it the split
	}
	parts := strings.Split(topic, "/")
	switch {
	case len(parts) == 4 && parts[0] == "cellforge" && parts[1] == "v1" && parts[3] == "status":
		return true
	case len(parts) == 6 && parts[0] == "cellforge" && parts[1] == "v1" && parts[3] == "cells" && parts[5] == "state":
		return true
	}
	return false
}

// Subscription is the MQTT filter of every series of every site.
const Subscription = "cellforge/v1/#"

// ParseTopic returns the series a topic names, without its payload tags. Topics of the tree
// that carry no series (state, status) and topics outside it are refused.
func ParseTopic(topic string) (Series, error) {
	parts := strings.Split(topic, "/")
	if len(parts) == 4 && parts[0] == "cellforge" && parts[1] == "v1" && parts[3] == "repairs" {
		s := Series{Site: parts[2], Kind: KindRepairs}
		if err := s.Validate(); err != nil {
			return Series{}, fmt.Errorf("topic %q: %w", topic, err)
		}
		return s, nil
	}
	if len(parts) < 5 || parts[0] != "cellforge" || parts[1] != "v1" {
		return Series{}, invalid("topic %q is not under cellforge/v1/<site>/", topic)
	}
	s := Series{Site: parts[2]}
	rest := parts[4:]
	switch parts[3] {
	case "devices":
		if len(rest) != 3 {
			return Series{}, invalid("device topic %q: want devices/<cell>/<device>/<metric>", topic)
		}
		s.Kind, s.Cell, s.Device, s.Metric = KindDevice, rest[0], rest[1], rest[2]
	case "cells":
		if len(rest) != 2 {
			return Series{}, invalid("cell topic %q: want cells/<cell>/<metric>", topic)
		}
		if rest[1] == "state" {
			return Series{}, invalid("topic %q is a cell's retained state, not a series", topic)
		}
		s.Kind, s.Cell, s.Metric = KindCell, rest[0], rest[1]
	case "oee":
		if len(rest) != 1 {
			return Series{}, invalid("oee topic %q: want oee/<cell>", topic)
		}
		s.Kind, s.Cell = KindOEE, rest[0]
	case "workorders", "drops":
		if len(rest) != 1 {
			return Series{}, invalid("topic %q: want %s/<drop>", topic, parts[3])
		}
		s.Kind, s.Drop = KindWorkOrder, rest[0]
		if parts[3] == "drops" {
			s.Kind = KindDrop
		}
	default:
		return Series{}, invalid("topic %q: unknown level %q (want devices, cells, oee, workorders or drops)", topic, parts[3])
	}
	if err := s.Validate(); err != nil {
		return Series{}, fmt.Errorf("topic %q: %w", topic, err)
	}
	return s, nil
}

// validatePoint checks a point of series s.
func validatePoint(s Series, p Point) error {
	if p.Time.Before(minTime) || !p.Time.Before(maxTime) {
		return invalid("time %s out of range %d..%d", p.Time.Format(time.RFC3339Nano), minTime.Year(), maxTime.Year())
	}
	if s.Metric != "" {
		if _, ok := p.Fields["value"]; !ok || len(p.Fields) != 1 {
			return invalid("a %s point has the single field \"value\"", s.Kind)
		}
	}
	if len(p.Fields) == 0 || len(p.Fields) > MaxFields {
		return invalid("%d fields, want 1 to %d", len(p.Fields), MaxFields)
	}
	for _, k := range sortedKeys(p.Fields) { // sorted, so that the error names the first bad field
		v := p.Fields[k]
		if !isName(k) {
			return invalid("field name %q is not a name (lowercase letters, digits and _)", k)
		}
		switch v := v.(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return invalid("field %s: %v is not a finite number", k, v)
			}
		case bool:
		case string:
			if len(v) > maxString {
				return invalid("field %s: string of %d bytes, at most %d", k, len(v), maxString)
			}
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return invalid("field %s: string holds control characters", k)
			}
		default:
			return invalid("field %s: %T is not a number, a boolean or a string", k, v)
		}
	}
	return nil
}

// payload is the JSON of a message.
type payload struct {
	V      int               `json:"v"`
	Tags   map[string]string `json:"tags,omitempty"`
	Points []jsonPoint       `json:"points"`
}

type jsonPoint struct {
	TS     *int64                     `json:"ts"`
	Fields map[string]json.RawMessage `json:"fields"`
}

// Check reports, without encoding them, whether Encode would refuse the series or the points
// (apart from the payload's size, which depends on how many go in one message).
func Check(s Series, points []Point) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(points) == 0 || len(points) > MaxPoints {
		return invalid("%d points, want 1 to %d", len(points), MaxPoints)
	}
	for i, p := range points {
		if err := validatePoint(s, p); err != nil {
			return fmt.Errorf("point %d: %w", i, err)
		}
	}
	return nil
}

// Encode returns the topic and payload of points of series s.
func Encode(s Series, points []Point) (topic string, body []byte, err error) {
	if err := Check(s, points); err != nil {
		return "", nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"v":1`)
	if len(s.Tags) > 0 {
		tags, _ := json.Marshal(s.Tags)
		b.WriteString(`,"tags":`)
		b.Write(tags)
	}
	b.WriteString(`,"points":[`)
	for i, p := range points {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"ts":`)
		b.WriteString(strconv.FormatInt(p.Time.UnixNano(), 10))
		b.WriteString(`,"fields":{`)
		for j, k := range sortedKeys(p.Fields) {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			v, err := json.Marshal(p.Fields[k])
			if err != nil {
				return "", nil, fmt.Errorf("point %d: field %s: %w", i, k, err)
			}
			b.Write(v)
		}
		b.WriteString(`}}`)
	}
	b.WriteString(`]}`)
	if b.Len() > MaxPayloadBytes {
		return "", nil, invalid("payload of %d bytes, at most %d: send fewer points per message", b.Len(), MaxPayloadBytes)
	}
	return s.Topic(), b.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Decode parses a message: the series its topic names, with the payload's tags, and its
// points. It refuses, with an error wrapping ErrInvalid that says where, any topic outside the
// tree, a payload over MaxPayloadBytes, malformed JSON, unknown keys, a version other than 1,
// and any point Encode would refuse.
func Decode(topic string, body []byte) (Series, []Point, error) {
	s, err := ParseTopic(topic)
	if err != nil {
		return Series{}, nil, err
	}
	if len(body) > MaxPayloadBytes {
		return Series{}, nil, invalid("payload of %d bytes, at most %d", len(body), MaxPayloadBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var pl payload
	if err := dec.Decode(&pl); err != nil {
		return Series{}, nil, invalid("payload is not a version 1 message: %v", err)
	}
	if dec.More() {
		return Series{}, nil, invalid("payload has data after the message")
	}
	if pl.V != 1 {
		return Series{}, nil, invalid("payload version %d, want 1", pl.V)
	}
	if len(pl.Points) == 0 || len(pl.Points) > MaxPoints {
		return Series{}, nil, invalid("%d points, want 1 to %d", len(pl.Points), MaxPoints)
	}
	s.Tags = pl.Tags
	if err := s.Validate(); err != nil {
		return Series{}, nil, err
	}
	points := make([]Point, len(pl.Points))
	for i, jp := range pl.Points {
		if jp.TS == nil {
			return Series{}, nil, invalid("point %d: no ts", i)
		}
		p := Point{Time: time.Unix(0, *jp.TS).UTC(), Fields: make(map[string]any, len(jp.Fields))}
		for _, k := range sortedKeys(jp.Fields) {
			v, err := fieldValue(jp.Fields[k])
			if err != nil {
				return Series{}, nil, invalid("point %d: field %q: %v", i, k, err)
			}
			p.Fields[k] = v
		}
		if err := validatePoint(s, p); err != nil {
			return Series{}, nil, fmt.Errorf("point %d: %w", i, err)
		}
		points[i] = p
	}
	return s, points, nil
}

// fieldValue decodes a field's JSON value: a number (as float64), a boolean or a string.
func fieldValue(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case 'n':
		return nil, errors.New("null is not a value")
	case '{', '[':
		return nil, errors.New("objects and lists are not values")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return nil, fmt.Errorf("%s is not a number", raw)
	}
	return f, nil
}

// AppendLine appends the InfluxDB line protocol of point p of series s (validated) to dst.
// Numbers are written as floats, so that a field keeps one type whatever value it carries.
func AppendLine(dst []byte, s Series, p Point) []byte {
	dst = appendSeriesKey(dst, s)
	dst = append(dst, ' ')
	if s.Metric != "" {
		dst = appendField(dst, s.Metric, p.Fields["value"])
	} else {
		for i, k := range sortedKeys(p.Fields) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendField(dst, k, p.Fields[k])
		}
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, p.Time.UnixNano(), 10)
	return append(dst, '\n')
}

// appendSeriesKey appends the measurement and the tags of a line of series s: the site, then
// the topic's tags and the payload's, sorted by name.
func appendSeriesKey(dst []byte, s Series) []byte {
	dst = append(dst, s.Kind...)
	dst = appendTag(dst, "site", s.Site)
	tags := map[string]string{}
	for k, v := range s.Tags {
		tags[k] = v
	}
	switch s.Kind {
	case KindDevice:
		tags["cell"], tags["device"] = s.Cell, s.Device
	case KindCell, KindOEE:
		tags["cell"] = s.Cell
	case KindRepairs:
		// the site alone
	default:
		tags["drop"] = s.Drop
	}
	for _, k := range sortedKeys(tags) {
		dst = appendTag(dst, k, tags[k])
	}
	return dst
}

// appendTag appends ,k=v; ids and names need no escaping in the line protocol.
func appendTag(dst []byte, k, v string) []byte {
	dst = append(dst, ',')
	dst = append(dst, k...)
	dst = append(dst, '=')
	return append(dst, v...)
}

func appendField(dst []byte, k string, v any) []byte {
	dst = append(dst, k...)
	dst = append(dst, '=')
	switch v := v.(type) {
	case float64:
		return strconv.AppendFloat(dst, v, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(dst, v)
	case string:
		return appendFieldString(dst, v)
	}
	return dst
}

// appendFieldString appends a string field's value, quoted, with '"' and '\\' escaped.
func appendFieldString(dst []byte, v string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, v[i])
	}
	return append(dst, '"')
}
