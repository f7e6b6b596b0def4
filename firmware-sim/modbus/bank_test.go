package modbus

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func testBank() *Bank {
	return NewBank(Sizes{Coils: 2000, DiscreteInputs: 2000, HoldingRegisters: 130, InputRegisters: 130})
}

// req builds a request PDU from a function code and big-endian 16-bit words.
func req(fc byte, words ...uint16) []byte {
	b := []byte{fc}
	for _, w := range words {
		b = binary.BigEndian.AppendUint16(b, w)
	}
	return b
}

// writeCoilsReq builds an FC 15 request with byte count n and n data bytes.
func writeCoilsReq(addr, qty uint16, n int) []byte {
	b := append(req(15, addr, qty), byte(n))
	return append(b, make([]byte, n)...)
}

// writeRegsReq builds an FC 16 request with byte count n and n data bytes.
func writeRegsReq(addr, qty uint16, n int) []byte {
	b := append(req(16, addr, qty), byte(n))
	return append(b, make([]byte, n)...)
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name    string
		req     []byte
		want    []byte // exact response, when set
		wantLen int    // response length, when want is not set
	}{
		{name: "fc1 read 1 coil", req: req(1, 0, 1), want: []byte{1, 1, 0}},
		{name: "fc1 read 2000 coils", req: req(1, 0, 2000), wantLen: 2 + 250},
		{name: "fc1 read 2001 coils", req: req(1, 0, 2001), want: []byte{0x81, 3}},
		{name: "fc1 read 0 coils", req: req(1, 0, 0), want: []byte{0x81, 3}},
		{name: "fc1 past the end", req: req(1, 1, 2000), want: []byte{0x81, 2}},
		{name: "fc1 last coil", req: req(1, 1999, 1), want: []byte{1, 1, 0}},
		{name: "fc1 start past the end", req: req(1, 2000, 1), want: []byte{0x81, 2}},
		{name: "fc1 short pdu", req: []byte{1, 0, 0, 0}, want: []byte{0x81, 3}},
		{name: "fc2 read 2000 discretes", req: req(2, 0, 2000), wantLen: 2 + 250},
		{name: "fc2 read 2001 discretes", req: req(2, 0, 2001), want: []byte{0x82, 3}},
		{name: "fc2 past the end", req: req(2, 1990, 11), want: []byte{0x82, 2}},
		{name: "fc3 read 125 registers", req: req(3, 0, 125), wantLen: 2 + 250},
		{name: "fc3 read 126 registers", req: req(3, 0, 126), want: []byte{0x83, 3}},
		{name: "fc3 read 0 registers", req: req(3, 0, 0), want: []byte{0x83, 3}},
		{name: "fc3 past the end", req: req(3, 6, 125), want: []byte{0x83, 2}},
		{name: "fc3 last register", req: req(3, 129, 1), want: []byte{3, 2, 0, 0}},
		{name: "fc4 read 125 registers", req: req(4, 5, 125), wantLen: 2 + 250},
		{name: "fc4 read 126 registers", req: req(4, 0, 126), want: []byte{0x84, 3}},
		{name: "fc4 past the end", req: req(4, 130, 1), want: []byte{0x84, 2}},
		{name: "fc5 on", req: req(5, 3, 0xFF00), want: req(5, 3, 0xFF00)},
		{name: "fc5 off", req: req(5, 3, 0x0000), want: req(5, 3, 0x0000)},
		{name: "fc5 bad value", req: req(5, 3, 0x0001), want: []byte{0x85, 3}},
		{name: "fc5 bad value and address", req: req(5, 2000, 0x1234), want: []byte{0x85, 3}},
		{name: "fc5 past the end", req: req(5, 2000, 0xFF00), want: []byte{0x85, 2}},
		{name: "fc6 write", req: req(6, 129, 0xBEEF), want: req(6, 129, 0xBEEF)},
		{name: "fc6 past the end", req: req(6, 130, 1), want: []byte{0x86, 2}},
		{name: "fc6 long pdu", req: req(6, 1, 1, 1), want: []byte{0x86, 3}},
		{name: "fc15 write 1968 coils", req: writeCoilsReq(0, 1968, 246), want: req(15, 0, 1968)},
		{name: "fc15 write 1969 coils", req: writeCoilsReq(0, 1969, 247), want: []byte{0x8F, 3}},
		{name: "fc15 write 0 coils", req: writeCoilsReq(0, 0, 0), want: []byte{0x8F, 3}},
		{name: "fc15 byte count too small", req: writeCoilsReq(0, 9, 1), want: []byte{0x8F, 3}},
		{name: "fc15 byte count too large", req: writeCoilsReq(0, 8, 2), want: []byte{0x8F, 3}},
		{name: "fc15 data shorter than byte count", req: writeCoilsReq(0, 16, 2)[:7], want: []byte{0x8F, 3}},
		{name: "fc15 past the end", req: writeCoilsReq(1990, 11, 2), want: []byte{0x8F, 2}},
		{name: "fc16 write 123 registers", req: writeRegsReq(0, 123, 246), want: req(16, 0, 123)},
		{name: "fc16 write 124 registers", req: writeRegsReq(0, 124, 248), want: []byte{0x90, 3}},
		{name: "fc16 write 0 registers", req: writeRegsReq(0, 0, 0), want: []byte{0x90, 3}},
		{name: "fc16 odd byte count", req: writeRegsReq(0, 2, 3), want: []byte{0x90, 3}},
		{name: "fc16 past the end", req: writeRegsReq(128, 3, 6), want: []byte{0x90, 2}},
		{name: "fc7 unsupported", req: []byte{7}, want: []byte{0x87, 1}},
		{name: "fc43 unsupported", req: []byte{0x2B, 0x0E, 1, 0}, want: []byte{0xAB, 1}},
		{name: "fc0", req: []byte{0}, want: []byte{0x80, 1}},
		{name: "empty pdu", req: []byte{}, want: nil, wantLen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testBank().Handle(tt.req)
			if tt.want != nil || tt.wantLen == 0 {
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("Handle(% x) = % x, want % x", tt.req, got, tt.want)
				}
				return
			}
			if len(got) != tt.wantLen || got[0] != tt.req[0] || int(got[1]) != tt.wantLen-2 {
				t.Fatalf("Handle(% x): response of %d bytes starting % x, want %d bytes with byte count %d",
					tt.req[:5], len(got), got[:min(2, len(got))], tt.wantLen, tt.wantLen-2)
			}
		})
	}
}

func TestBitPacking(t *testing.T) {
	tests := []struct {
		name string
		addr uint16
		data []byte // LSB-first, padded with zeros
		qty  uint16
	}{
		// The spec's FC 1 example: coils 20..38 read as CD 6B 05.
		{name: "spec example", addr: 19, qty: 19, data: []byte{0xCD, 0x6B, 0x05}},
		{name: "one bit", addr: 0, qty: 1, data: []byte{0x01}},
		{name: "full byte", addr: 7, qty: 8, data: []byte{0x81}},
		{name: "nine bits", addr: 100, qty: 9, data: []byte{0x00, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, table := range []struct {
				fc  byte
				set func(b *Bank, addr uint16, v bool)
			}{{1, (*Bank).SetCoil}, {2, (*Bank).SetDiscrete}} {
				b := testBank()
				for i := range int(tt.qty) {
					table.set(b, tt.addr+uint16(i), tt.data[i/8]&(1<<(i%8)) != 0)
				}
				// A set neighbour must not leak into the padding.
				table.set(b, tt.addr+tt.qty, true)
				got := b.Handle(req(table.fc, tt.addr, tt.qty))
				want := append([]byte{table.fc, byte(len(tt.data))}, tt.data...)
				if !bytes.Equal(got, want) {
					t.Fatalf("fc%d: got % x, want % x", table.fc, got, want)
				}
			}
			// FC 15 unpacks the same way.
			b := testBank()
			w := append(append(req(15, tt.addr, tt.qty), byte(len(tt.data))), tt.data...)
			if got := b.Handle(w); !bytes.Equal(got, req(15, tt.addr, tt.qty)) {
				t.Fatalf("fc15: got % x", got)
			}
			for i := range int(tt.qty) {
				if want := tt.data[i/8]&(1<<(i%8)) != 0; b.Coil(tt.addr+uint16(i)) != want {
					t.Fatalf("fc15: coil %d = %v, want %v", tt.addr+uint16(i), !want, want)
				}
			}
		})
	}
}

func TestHandleWritesAndHook(t *testing.T) {
	b := testBank()
	var writes []Write
	b.OnWrite(func(w Write) {
		// The hook may read the bank: the lock is released.
		_ = b.Holding(0)
		writes = append(writes, w)
	})
	regs := append(append(req(16, 10, 2), 4), 0x12, 0x34, 0xAB, 0xCD)
	steps := []struct {
		name string
		req  []byte
		want Write
	}{
		{name: "fc5", req: req(5, 7, 0xFF00), want: Write{Table: Coils, Addr: 7, Quantity: 1}},
		{name: "fc6", req: req(6, 3, 42), want: Write{Table: HoldingRegisters, Addr: 3, Quantity: 1}},
		{name: "fc15", req: append(req(15, 20, 3), 1, 0x05), want: Write{Table: Coils, Addr: 20, Quantity: 3}},
		{name: "fc16", req: regs, want: Write{Table: HoldingRegisters, Addr: 10, Quantity: 2}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			writes = nil
			b.Handle(s.req)
			if len(writes) != 1 || writes[0] != s.want {
				t.Fatalf("hook saw %v, want [%v]", writes, s.want)
			}
		})
	}
	if !b.Coil(7) || b.Holding(3) != 42 || !b.Coil(20) || b.Coil(21) || !b.Coil(22) ||
		b.Holding(10) != 0x1234 || b.Holding(11) != 0xABCD {
		t.Fatal("writes not applied to the bank")
	}
	writes = nil
	b.Handle(req(6, 500, 1)) // refused
	b.Handle(req(3, 0, 1))   // a read
	if len(writes) != 0 {
		t.Fatalf("hook called for a refused write or a read: %v", writes)
	}
	b.SetInput(5, 77)
	if got := b.Handle(req(4, 5, 1)); !bytes.Equal(got, []byte{4, 2, 0, 77}) {
		t.Fatalf("input register read = % x", got)
	}
}

func TestCRC16(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  []byte // low byte first
	}{
		{name: "read holding 10", frame: []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x0A}, want: []byte{0xC5, 0xCD}},
		{name: "read input 1", frame: []byte{0x01, 0x04, 0x00, 0x00, 0x00, 0x01}, want: []byte{0x31, 0xCA}},
		{name: "simplymodbus read holding", frame: []byte{0x11, 0x03, 0x00, 0x6B, 0x00, 0x03}, want: []byte{0x76, 0x87}},
		{name: "empty", frame: nil, want: []byte{0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendCRC(append([]byte(nil), tt.frame...))[len(tt.frame):]
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("crc of % x = % x, want % x", tt.frame, got, tt.want)
			}
		})
	}
}
