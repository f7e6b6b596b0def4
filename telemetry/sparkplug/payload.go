package sparkplug

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DataType is a metric's Sparkplug B datatype (the specification's DataType enum).
type DataType uint32

// The datatypes of the specification's scalar metrics.
const (
	Int8     DataType = 1
	Int16    DataType = 2
	Int32    DataType = 3
	Int64    DataType = 4
	UInt8    DataType = 5
	UInt16   DataType = 6
	UInt32   DataType = 7
	UInt64   DataType = 8
	Float    DataType = 9
	Double   DataType = 10
	Boolean  DataType = 11
	String   DataType = 12
	DateTime DataType = 13
	Text     DataType = 14
)

// Payload is a Sparkplug B payload: Tahu's org.eclipse.tahu.protobuf.Payload, its scalar part.
type Payload struct {
	// Timestamp is when the message was made, in milliseconds since the Unix epoch.
	Timestamp uint64
	Metrics   []Metric
	// Seq is the message's sequence number; HasSeq is false for a payload without one (an
	// NDEATH, a command).
	Seq    uint64
	HasSeq bool
}

// Metric is one metric of a payload. A metric is named in a birth and may be sent by its alias
// alone in data; Value holds the value as the datatype says: int64 (Int8..Int64), uint64
// (UInt8..UInt64, DateTime), float32, float64, bool or string (String, Text); nil when IsNull.
type Metric struct {
	Name     string
	HasName  bool
	Alias    uint64
	HasAlias bool
	// Timestamp is when the value was measured, in milliseconds since the Unix epoch; 0: not set.
	Timestamp uint64
	DataType  DataType
	IsNull    bool
	Value     any
}

// Field numbers of sparkplug_b.proto.
const (
	payloadTimestamp = 1
	payloadMetrics   = 2
	payloadSeq       = 3

	metricName      = 1
	metricAlias     = 2
	metricTimestamp = 3
	metricDataType  = 4
	metricIsNull    = 7
	metricInt       = 10
	metricLong      = 11
	metricFloat     = 12
	metricDouble    = 13
	metricBoolean   = 14
	metricString    = 15
)

// Marshal encodes a payload. A metric whose value does not suit its datatype is an error.
func (p *Payload) Marshal() ([]byte, error) {
	var b []byte
	if p.Timestamp != 0 {
		b = protowire.AppendTag(b, payloadTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, p.Timestamp)
	}
	for i := range p.Metrics {
		m, err := p.Metrics[i].marshal()
		if err != nil {
			return nil, fmt.Errorf("metric %d (%q): %w", i, p.Metrics[i].Name, err)
		}
		b = protowire.AppendTag(b, payloadMetrics, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	if p.HasSeq {
		b = protowire.AppendTag(b, payloadSeq, protowire.VarintType)
		b = protowire.AppendVarint(b, p.Seq)
	}
	return b, nil
}

func (m *Metric) marshal() ([]byte, error) {
	var b []byte
	if m.HasName {
		b = protowire.AppendTag(b, metricName, protowire.BytesType)
		b = protowire.AppendString(b, m.Name)
	}
	if m.HasAlias {
		b = protowire.AppendTag(b, metricAlias, protowire.VarintType)
		b = protowire.AppendVarint(b, m.Alias)
	}
	if m.Timestamp != 0 {
		b = protowire.AppendTag(b, metricTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, m.Timestamp)
	}
	b = protowire.AppendTag(b, metricDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.DataType))
	if m.IsNull || m.Value == nil {
		b = protowire.AppendTag(b, metricIsNull, protowire.VarintType)
		return protowire.AppendVarint(b, 1), nil
	}
	return appendValue(b, m.DataType, m.Value)
}

// appendValue appends the value field that the datatype uses.
func appendValue(b []byte, dt DataType, v any) ([]byte, error) {
	bad := fmt.Errorf("a %T value for datatype %d", v, dt)
	switch dt {
	case Int8, Int16, Int32, UInt8, UInt16, UInt32, Int64, UInt64, DateTime:
		var u uint64
		switch x := v.(type) {
		case int64:
			u = uint64(x)
		case uint64:
			u = x
		default:
			return nil, bad
		}
		field := protowire.Number(metricLong)
		if dt <= Int32 || dt == UInt8 || dt == UInt16 {
			// sparkplug_b.proto keeps the small integers in the uint32 int_value.
			field, u = metricInt, uint64(uint32(u))
		}
		b = protowire.AppendTag(b, field, protowire.VarintType)
		return protowire.AppendVarint(b, u), nil
	case Float:
		x, ok := v.(float32)
		if !ok {
			return nil, bad
		}
		b = protowire.AppendTag(b, metricFloat, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, math.Float32bits(x)), nil
	case Double:
		x, ok := v.(float64)
		if !ok {
			return nil, bad
		}
		b = protowire.AppendTag(b, metricDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x)), nil
	case Boolean:
		x, ok := v.(bool)
		if !ok {
			return nil, bad
		}
		b = protowire.AppendTag(b, metricBoolean, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(x)), nil
	case String, Text:
		x, ok := v.(string)
		if !ok {
			return nil, bad
		}
		b = protowire.AppendTag(b, metricString, protowire.BytesType)
		return protowire.AppendString(b, x), nil
	}
	return nil, fmt.Errorf("datatype %d is not a scalar the node sends", dt)
}

// Unmarshal decodes a payload. Fields it does not know (and metrics' non-scalar values) are
// skipped; a payload that is not well-formed protobuf is an error.
func Unmarshal(b []byte) (Payload, error) {
	var p Payload
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Payload{}, fmt.Errorf("payload: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == payloadTimestamp && typ == protowire.VarintType:
			p.Timestamp, n = protowire.ConsumeVarint(b)
		case num == payloadSeq && typ == protowire.VarintType:
			p.Seq, n = protowire.ConsumeVarint(b)
			p.HasSeq = true
		case num == payloadMetrics && typ == protowire.BytesType:
			var mb []byte
			mb, n = protowire.ConsumeBytes(b)
			if n >= 0 {
				m, err := unmarshalMetric(mb)
				if err != nil {
					return Payload{}, fmt.Errorf("payload: metric %d: %w", len(p.Metrics), err)
				}
				p.Metrics = append(p.Metrics, m)
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return Payload{}, fmt.Errorf("payload: field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return p, nil
}

// unmarshalMetric decodes one metric.
func unmarshalMetric(b []byte) (Metric, error) {
	var m Metric
	var raw struct {
		long    uint64
		hasLong bool
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Metric{}, protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		switch {
		case typ == protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case typ == protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case typ == protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case typ == protowire.BytesType && (num == metricName || num == metricString):
			var s []byte
			s, n = protowire.ConsumeBytes(b)
			if num == metricName {
				m.Name, m.HasName = string(s), true
			} else {
				m.Value = string(s)
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return Metric{}, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == metricAlias && typ == protowire.VarintType:
			m.Alias, m.HasAlias = v, true
		case num == metricTimestamp && typ == protowire.VarintType:
			m.Timestamp = v
		case num == metricDataType && typ == protowire.VarintType:
			m.DataType = DataType(v)
		case num == metricIsNull && typ == protowire.VarintType:
			m.IsNull = v != 0
		case (num == metricInt || num == metricLong || num == metricBoolean) && typ == protowire.VarintType,
			num == metricFloat && typ == protowire.Fixed32Type, num == metricDouble && typ == protowire.Fixed64Type:
			raw.long, raw.hasLong = v, true
		}
	}
	m.Value = typedValue(m, raw.long, raw.hasLong)
	return m, nil
}

// typedValue is a metric's value as its datatype reads the raw field.
func typedValue(m Metric, raw uint64, ok bool) any {
	if m.IsNull {
		return nil
	}
	switch m.DataType {
	case String, Text:
		if s, isString := m.Value.(string); isString {
			return s
		}
		return nil
	}
	if !ok {
		return nil
	}
	switch m.DataType {
	case Int8:
		return int64(int8(raw))
	case Int16:
		return int64(int16(raw))
	case Int32:
		return int64(int32(raw))
	case Int64:
		return int64(raw)
	case UInt8:
		return uint64(uint8(raw))
	case UInt16:
		return uint64(uint16(raw))
	case UInt32:
		return uint64(uint32(raw))
	case UInt64, DateTime:
		return raw
	case Float:
		return math.Float32frombits(uint32(raw))
	case Double:
		return math.Float64frombits(raw)
	case Boolean:
		return raw != 0
	}
	return nil
}
