package modbus

import (
	"fmt"
	"math"
)

// scale returns the register's scale, 1 when unset.
func (r *Register) scale() float64 {
	if r.Scale == 0 {
		return 1
	}
	return r.Scale
}

// Decode returns the engineering value of the register from its raw
// entries as read: [Register.Width] 16-bit registers in wire order, each as
// its two bytes read big-endian, or for bool a single entry that is 0 or 1.
// It undoes the byte and word order, interprets the bits per the type, then
// applies scale and offset. Bools decode to 0 or 1, unscaled.
func (r *Register) Decode(raw []uint16) (float64, error) {
	if len(raw) != r.Width() {
		return 0, fmt.Errorf("decoding register %q: %d raw entries, %s needs %d", r.Name, len(raw), r.Type, r.Width())
	}
	if r.Type == Bool {
		if raw[0] != 0 {
			return 1, nil
		}
		return 0, nil
	}
	w0, w1 := raw[0], uint16(0)
	if len(raw) == 2 {
		w1 = raw[1]
	}
	if r.ByteOrder == LittleEndian {
		w0, w1 = swap(w0), swap(w1)
	}
	u := uint32(w0)
	if len(raw) == 2 {
		if r.WordOrder == LowFirst {
			w0, w1 = w1, w0
		}
		u = uint32(w0)<<16 | uint32(w1)
	}
	var v float64
	switch r.Type {
	case Uint16:
		v = float64(uint16(u))
	case Int16:
		v = float64(int16(u))
	case Uint32:
		v = float64(u)
	case Int32:
		v = float64(int32(u))
	case Float32:
		v = float64(math.Float32frombits(u))
	default:
		return 0, fmt.Errorf("decoding register %q: unknown type %q", r.Name, r.Type)
	}
	return v*r.scale() + r.Offset, nil
}

// Encode returns the raw entries that make the register read v, the inverse
// of [Register.Decode]: offset and scale are removed, integers rounded to
// the nearest (halves away from zero), and a result that does not fit the
// type is an error wrapping [ErrOutOfRange]. A bool takes only 0 or 1.
func (r *Register) Encode(v float64) ([]uint16, error) {
	if r.Type == Bool {
		switch v {
		case 0:
			return []uint16{0}, nil
		case 1:
			return []uint16{1}, nil
		}
		return nil, fmt.Errorf("encoding %v for register %q: bool takes 0 or 1: %w", v, r.Name, ErrOutOfRange)
	}
	raw := (v - r.Offset) / r.scale()
	if !finite(raw) {
		return nil, fmt.Errorf("encoding %v for register %q: not a finite number: %w", v, r.Name, ErrOutOfRange)
	}
	var u uint32
	switch r.Type {
	case Float32:
		if math.Abs(raw) > math.MaxFloat32 {
			return nil, fmt.Errorf("encoding %v for register %q: raw %v exceeds float32: %w", v, r.Name, raw, ErrOutOfRange)
		}
		u = math.Float32bits(float32(raw))
	case Uint16, Int16, Uint32, Int32:
		lo, hi := intRange(r.Type)
		n := math.Round(raw)
		if n < lo || n > hi {
			return nil, fmt.Errorf("encoding %v for register %q: raw %v outside %s range %v..%v: %w",
				v, r.Name, n, r.Type, lo, hi, ErrOutOfRange)
		}
		u = uint32(int64(n))
	default:
		return nil, fmt.Errorf("encoding %v for register %q: unknown type %q", v, r.Name, r.Type)
	}
	if r.Type.words() == 1 {
		w := uint16(u)
		if r.ByteOrder == LittleEndian {
			w = swap(w)
		}
		return []uint16{w}, nil
	}
	w0, w1 := uint16(u>>16), uint16(u)
	if r.WordOrder == LowFirst {
		w0, w1 = w1, w0
	}
	if r.ByteOrder == LittleEndian {
		w0, w1 = swap(w0), swap(w1)
	}
	return []uint16{w0, w1}, nil
}

// intRange returns the smallest and largest raw value of an integer type.
func intRange(t DataType) (lo, hi float64) {
	switch t {
	case Uint16:
		return 0, math.MaxUint16
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint32:
		return 0, math.MaxUint32
	}
	return math.MinInt32, math.MaxInt32
}

func swap(w uint16) uint16 { return w<<8 | w>>8 }
