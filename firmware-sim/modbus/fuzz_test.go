package modbus

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// fuzzBank is small so that fuzzed addresses hit both sides of its ends.
func fuzzBank() *Bank {
	return NewBank(Sizes{Coils: 2000, DiscreteInputs: 16, HoldingRegisters: 130, InputRegisters: 8})
}

// checkPDU fails the test unless resp is a well-formed answer to req.
func checkPDU(t *testing.T, req, resp []byte) {
	t.Helper()
	if len(resp) < 2 {
		t.Fatalf("answer % x to % x is shorter than 2 bytes", resp, req)
	}
	fc := req[0]
	if resp[0] == fc|0x80 {
		if len(resp) != 2 {
			t.Fatalf("exception answer % x to % x is not 2 bytes", resp, req)
		}
		switch Exception(resp[1]) {
		case IllegalFunction, IllegalDataAddress, IllegalDataValue, GatewayTargetNoResponse:
		default:
			t.Fatalf("answer % x to % x has exception code %02x", resp, req, resp[1])
		}
		return
	}
	if resp[0] != fc {
		t.Fatalf("answer % x to % x has function code %02x", resp, req, resp[0])
	}
	qty := int(binary.BigEndian.Uint16(req[3:]))
	switch fc {
	case 1, 2:
		if int(resp[1]) != (qty+7)/8 || len(resp) != 2+int(resp[1]) {
			t.Fatalf("answer % x to reading %d bits", resp, qty)
		}
		if qty%8 != 0 && resp[len(resp)-1]>>(qty%8) != 0 {
			t.Fatalf("answer % x to reading %d bits is not padded with zeros", resp, qty)
		}
	case 3, 4:
		if int(resp[1]) != 2*qty || len(resp) != 2+2*qty {
			t.Fatalf("answer % x to reading %d registers", resp, qty)
		}
	case 5, 6:
		if !bytes.Equal(resp, req) {
			t.Fatalf("answer % x to single write % x is not an echo", resp, req)
		}
	case 15, 16:
		if !bytes.Equal(resp, req[:5]) {
			t.Fatalf("answer % x to multiple write % x", resp, req)
		}
	default:
		t.Fatalf("normal answer % x to unsupported function %02x", resp, fc)
	}
}

func FuzzTCPFrame(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10})
	f.Add([]byte{0, 2, 0, 0, 0, 6, 1, 1, 0, 0, 7, 0xD0})
	f.Add([]byte{0, 3, 0, 0, 0, 9, 1, 15, 0, 0, 0, 10, 2, 0xCD, 1})
	f.Add([]byte{0, 4, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1})
	f.Add([]byte{0, 5, 0, 0, 0, 6, 9, 3, 0, 0, 0, 1})
	srv := New(Config{UnknownUnitException: true})
	if err := srv.AddUnit(1, fuzzBank()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		resp, err := srv.answerTCP(frame, Faults{})
		if err != nil {
			if resp != nil {
				t.Fatalf("answer % x along with error %v", resp, err)
			}
			return
		}
		if resp == nil {
			t.Fatalf("no answer to well-formed frame % x", frame)
		}
		if len(resp) < 9 || !bytes.Equal(resp[:4], []byte{frame[0], frame[1], 0, 0}) ||
			int(binary.BigEndian.Uint16(resp[4:])) != len(resp)-6 || resp[6] != frame[6] {
			t.Fatalf("answer % x to % x has a bad header", resp, frame)
		}
		checkPDU(t, frame[7:], resp[7:])
	})
}

func FuzzRTUFrame(f *testing.F) {
	for _, s := range [][]byte{
		{1, 3, 0, 0, 0, 10},
		{2, 4, 0, 0, 0, 1},
		{0, 6, 0, 1, 0, 5},
		{1, 16, 0, 0, 0, 2, 4, 0, 1, 0, 2},
		{7, 3, 0, 0, 0, 1},
	} {
		f.Add(appendCRC(s))
	}
	srv := New(Config{})
	for _, id := range []byte{1, 2} {
		if err := srv.AddUnit(id, fuzzBank()); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		resp := srv.answerRTU(frame, Faults{})
		if resp == nil {
			return
		}
		if len(frame) < 4 || CRC16(frame) != 0 {
			t.Fatalf("answer % x to frame % x with a bad crc", resp, frame)
		}
		if len(resp) < 5 || CRC16(resp) != 0 {
			t.Fatalf("answer % x has a bad crc", resp)
		}
		if resp[0] != frame[0] || srv.Unit(frame[0]) == nil {
			t.Fatalf("answer % x to frame % x for another address", resp, frame)
		}
		checkPDU(t, frame[1:len(frame)-2], resp[1:len(resp)-2])
	})
}
