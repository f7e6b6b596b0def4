package modbus

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// The words are computed by hand from the IEEE 754 and two's complement
// encodings, not by the code under test.
func TestDecodeEncode(t *testing.T) {
	tests := []struct {
		name  string
		reg   Register
		words []uint16
		value float64
	}{
		{name: "bool off", reg: Register{Type: Bool, Table: Coil}, words: []uint16{0}, value: 0},
		{name: "bool on", reg: Register{Type: Bool, Table: Discrete}, words: []uint16{1}, value: 1},
		{name: "uint16 big", reg: Register{Type: Uint16}, words: []uint16{0x04D2}, value: 1234},
		{name: "uint16 default order is big", reg: Register{Type: Uint16, ByteOrder: ""}, words: []uint16{0x04D2}, value: 1234},
		{name: "uint16 little", reg: Register{Type: Uint16, ByteOrder: LittleEndian}, words: []uint16{0xD204}, value: 1234},
		{name: "uint16 max", reg: Register{Type: Uint16}, words: []uint16{0xFFFF}, value: 65535},
		{name: "int16 negative", reg: Register{Type: Int16}, words: []uint16{0xFFFE}, value: -2},
		{name: "int16 negative little", reg: Register{Type: Int16, ByteOrder: LittleEndian}, words: []uint16{0xFEFF}, value: -2},
		{name: "int16 min", reg: Register{Type: Int16}, words: []uint16{0x8000}, value: -32768},
		{name: "uint32 big high first", reg: Register{Type: Uint32}, words: []uint16{0x1234, 0x5678}, value: 0x12345678},
		{name: "uint32 big low first", reg: Register{Type: Uint32, WordOrder: LowFirst}, words: []uint16{0x5678, 0x1234}, value: 0x12345678},
		{name: "uint32 little high first", reg: Register{Type: Uint32, ByteOrder: LittleEndian, WordOrder: HighFirst}, words: []uint16{0x3412, 0x7856}, value: 0x12345678},
		{name: "uint32 little low first", reg: Register{Type: Uint32, ByteOrder: LittleEndian, WordOrder: LowFirst}, words: []uint16{0x7856, 0x3412}, value: 0x12345678},
		{name: "uint32 max", reg: Register{Type: Uint32}, words: []uint16{0xFFFF, 0xFFFF}, value: 4294967295},
		{name: "int32 negative", reg: Register{Type: Int32}, words: []uint16{0xFFFE, 0x7960}, value: -100000},
		{name: "int32 negative low first", reg: Register{Type: Int32, WordOrder: LowFirst}, words: []uint16{0x7960, 0xFFFE}, value: -100000},
		{name: "float32 1.5", reg: Register{Type: Float32}, words: []uint16{0x3FC0, 0x0000}, value: 1.5},
		{name: "float32 -2.25 low first", reg: Register{Type: Float32, WordOrder: LowFirst}, words: []uint16{0x0000, 0xC010}, value: -2.25},
		{name: "float32 1.5 little", reg: Register{Type: Float32, ByteOrder: LittleEndian}, words: []uint16{0xC03F, 0x0000}, value: 1.5},
		{name: "float32 100.25 little low first", reg: Register{Type: Float32, ByteOrder: LittleEndian, WordOrder: LowFirst}, words: []uint16{0x0080, 0xC842}, value: 100.25},
		{name: "scale", reg: Register{Type: Uint16, Scale: 0.5}, words: []uint16{47}, value: 23.5},
		{name: "scale and offset", reg: Register{Type: Int16, Scale: 0.25, Offset: -40}, words: []uint16{0xFFFC}, value: -41},
		{name: "offset only", reg: Register{Type: Uint16, Offset: 100}, words: []uint16{5}, value: 105},
		{name: "float32 scaled", reg: Register{Type: Float32, Scale: 2, Offset: 1}, words: []uint16{0x3FC0, 0x0000}, value: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.reg.Name = "r"
			got, err := tt.reg.Decode(tt.words)
			if err != nil {
				t.Fatalf("Decode(%04x): %v", tt.words, err)
			}
			if got != tt.value {
				t.Errorf("Decode(%04x) = %v, want %v", tt.words, got, tt.value)
			}
			words, err := tt.reg.Encode(tt.value)
			if err != nil {
				t.Fatalf("Encode(%v): %v", tt.value, err)
			}
			if !slices.Equal(words, tt.words) {
				t.Errorf("Encode(%v) = %04x, want %04x", tt.value, words, tt.words)
			}
		})
	}
}

func TestEncodeRounds(t *testing.T) {
	tests := []struct {
		name  string
		reg   Register
		value float64
		want  []uint16
	}{
		{name: "scaled value between steps rounds to nearest", reg: Register{Type: Uint16, Scale: 0.1}, value: 23.46, want: []uint16{235}},
		{name: "scaled value representable only approximately", reg: Register{Type: Uint16, Scale: 0.1}, value: 23.5, want: []uint16{235}},
		{name: "half rounds away from zero", reg: Register{Type: Int16}, value: -2.5, want: []uint16{0xFFFD}},
		{name: "positive half", reg: Register{Type: Uint32}, value: 2.5, want: []uint16{0, 3}},
		{name: "just inside range after rounding", reg: Register{Type: Uint16}, value: 65535.4, want: []uint16{0xFFFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.reg.Encode(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%v) = %04x, want %04x", tt.value, got, tt.want)
			}
		})
	}
}

func TestEncodeRange(t *testing.T) {
	tests := []struct {
		name  string
		reg   Register
		value float64
	}{
		{name: "uint16 above", reg: Register{Type: Uint16}, value: 65535.5},
		{name: "uint16 negative", reg: Register{Type: Uint16}, value: -1},
		{name: "uint16 scaled above", reg: Register{Type: Uint16, Scale: 0.1}, value: 6553.6},
		{name: "uint16 offset below", reg: Register{Type: Uint16, Offset: 10}, value: 9},
		{name: "int16 above", reg: Register{Type: Int16}, value: 32768},
		{name: "int16 below", reg: Register{Type: Int16}, value: -32769},
		{name: "uint32 above", reg: Register{Type: Uint32}, value: 4294967296},
		{name: "uint32 negative", reg: Register{Type: Uint32}, value: -0.6},
		{name: "int32 above", reg: Register{Type: Int32}, value: 2147483648},
		{name: "int32 below", reg: Register{Type: Int32}, value: -2147483649},
		{name: "float32 above", reg: Register{Type: Float32}, value: 1e39},
		{name: "float32 below", reg: Register{Type: Float32}, value: -1e39},
		{name: "not a number", reg: Register{Type: Float32}, value: math.NaN()},
		{name: "infinity", reg: Register{Type: Int32}, value: math.Inf(1)},
		{name: "bool 2", reg: Register{Type: Bool}, value: 2},
		{name: "bool half", reg: Register{Type: Bool}, value: 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.reg.Name = "r"
			got, err := tt.reg.Encode(tt.value)
			if !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("Encode(%v) = %04x, %v; want an error wrapping ErrOutOfRange", tt.value, got, err)
			}
		})
	}
}

func TestDecodeWrongLength(t *testing.T) {
	r := Register{Name: "r", Type: Uint32}
	if _, err := r.Decode([]uint16{1}); err == nil {
		t.Fatal("Decode of one word for uint32 succeeded")
	}
}
