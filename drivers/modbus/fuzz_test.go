package modbus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/goburrow/modbus"
)

// bytesPort is a serial port whose answer is fixed bytes; past them it
// reports the port gone.
type bytesPort struct{ r *bytes.Reader }

func (p *bytesPort) Read(b []byte) (int, error)         { return p.r.Read(b) }
func (p *bytesPort) Write(b []byte) (int, error)        { return len(b), nil }
func (p *bytesPort) Close() error                       { return nil }
func (p *bytesPort) SetReadTimeout(time.Duration) error { return nil }
func (p *bytesPort) ResetInputBuffer() error            { return nil }

// fixedAnswer is a Transporter that answers every request with one frame.
type fixedAnswer []byte

func (a fixedAnswer) Send([]byte) ([]byte, error) { return a, nil }

// fuzzDevice is a device with the loom profile, enough to decode answers.
func fuzzDevice() *Device {
	p := loomProfile()
	d := &Device{regs: map[string]*Register{}}
	for i := range p.Registers {
		d.regs[p.Registers[i].Name] = &p.Registers[i]
	}
	return d
}

// fuzzRequests are the reads an answer is tried against.
var fuzzRequests = func() []Request {
	p := loomProfile()
	plan, err := p.Plan("fast")
	if err != nil {
		panic(err)
	}
	return plan
}()

// decodeAnswer runs an answer frame through the packager, the client's
// checks and the device's decoding, as a poll does.
func decodeAnswer(t *testing.T, pk modbus.Packager, q Request, ans []byte) {
	data, err := readRequest(modbus.NewClient2(pk, fixedAnswer(ans)), q)
	if err != nil {
		return
	}
	values := map[string]float64{}
	if err := fuzzDevice().decode(q, data, values); err != nil {
		t.Fatalf("decoding a checked answer % x: %v", ans, err)
	}
	if len(values) != len(q.Registers) {
		t.Fatalf("answer % x gave %d values for %d registers", ans, len(values), len(q.Registers))
	}
}

// FuzzRTUAnswer feeds arbitrary bytes as the answer to each request of the
// loom's plan: reading, checking and decoding must never panic, and an
// answer the transport accepts has the request's unit, a matching function
// and a good CRC. With fixCRC the last two bytes are replaced by the right
// CRC, so that the fuzzer gets past the checksum to the decoding.
func FuzzRTUAnswer(f *testing.F) {
	f.Add([]byte{0x01, 0x03, 0x0A, 0, 235, 0, 1, 0x11, 0x70, 0x41, 0xAC, 0, 0, 0, 0}, true)
	f.Add([]byte{0x01, 0x83, 0x02, 0, 0}, true)
	f.Add([]byte{0x01, 0x01, 0x01, 0x01, 0, 0}, false)
	f.Fuzz(func(t *testing.T, ans []byte, fixCRC bool) {
		if fixCRC && len(ans) >= 4 {
			crc := crc16(ans[:len(ans)-2])
			ans[len(ans)-2], ans[len(ans)-1] = byte(crc), byte(crc>>8)
		}
		tr := &rtuTransport{cfg: RTUConfig{Timeout: time.Second}}
		pk := tr.packager(1)
		for _, q := range fuzzRequests {
			req, err := pk.Encode(&modbus.ProtocolDataUnit{FunctionCode: readFunction(q.Table), Data: readData(q)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.read(&bytesPort{r: bytes.NewReader(ans)}, req, time.Now().Add(time.Second))
			if err != nil {
				if !errors.Is(err, ErrFrame) && !errors.Is(err, io.EOF) {
					t.Fatalf("reading % x: unexpected error %v", ans, err)
				}
				continue
			}
			if got[0] != 1 || got[1]&0x7F != req[1] || checkCRC(got) != nil {
				t.Fatalf("accepted answer % x to request % x", got, req)
			}
			decodeAnswer(t, pk, q, got)
		}
	})
}

// FuzzTCPAnswer feeds arbitrary frames as the answer to each request of the
// loom's plan over TCP.
func FuzzTCPAnswer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 13, 1, 0x03, 0x0A, 0, 235, 0, 1, 0x11, 0x70, 0x41, 0xAC, 0, 0})
	f.Add([]byte{0, 1, 0, 0, 0, 3, 1, 0x83, 0x02})
	f.Add([]byte{0, 1, 0, 0, 0, 4, 1, 0x01, 0x01, 0x01})
	f.Add([]byte{0, 1, 0, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, ans []byte) {
		tr := &tcpTransport{}
		pk := tr.packager(1)
		for _, q := range fuzzRequests {
			req, err := pk.Encode(&modbus.ProtocolDataUnit{FunctionCode: readFunction(q.Table), Data: readData(q)})
			if err != nil {
				t.Fatal(err)
			}
			if len(ans) < mbapLen || int(binary.BigEndian.Uint16(ans[4:])) != len(ans)-mbapLen+1 {
				continue // the transport reads by the length field
			}
			if checkTCP(req, ans) != nil {
				continue
			}
			a := append([]byte(nil), ans...)
			copy(a, req[:2])
			decodeAnswer(t, pk, q, a)
		}
	})
}

func readFunction(t Table) byte {
	return map[Table]byte{Coil: 1, Discrete: 2, Holding: 3, Input: 4}[t]
}

func readData(q Request) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, q.Address)
	binary.BigEndian.PutUint16(b[2:], q.Quantity)
	return b
}
