package modbus

import (
	"encoding/binary"
	"sync"
)

// Table names one of the four Modbus data tables.
type Table int

// The four data tables of a Modbus device.
const (
	Coils Table = iota + 1
	DiscreteInputs
	HoldingRegisters
	InputRegisters
)

// String returns the table's name as the spec writes it.
func (t Table) String() string {
	switch t {
	case Coils:
		return "coils"
	case DiscreteInputs:
		return "discrete inputs"
	case HoldingRegisters:
		return "holding registers"
	case InputRegisters:
		return "input registers"
	}
	return "unknown table"
}

// Sizes gives the number of entries of each table of a [Bank]. A table of
// size 0 answers every access with exception 02 (illegal data address).
// Sizes above 65536 are cut to 65536, the whole address space.
type Sizes struct {
	Coils            int
	DiscreteInputs   int
	HoldingRegisters int
	InputRegisters   int
}

// Write describes a write by the master that has been applied to a [Bank]:
// Quantity entries of Table starting at Addr.
type Write struct {
	Table    Table
	Addr     uint16
	Quantity uint16
}

// Bank is the register bank of one unit (slave) id. It is safe for
// concurrent use by the servers and by the device model.
//
// The accessor methods panic when addr is outside the table, as indexing a
// slice does: the device model's addresses are constants of its program, so
// a bad one is a bug, not a run-time condition.
type Bank struct {
	mu        sync.RWMutex
	coils     []bool
	discretes []bool
	holding   []uint16
	input     []uint16
	onWrite   func(Write)
}

// NewBank returns a bank with the given table sizes, all entries zero.
func NewBank(s Sizes) *Bank {
	c := func(n int) int { return max(0, min(n, 1<<16)) }
	return &Bank{
		coils:     make([]bool, c(s.Coils)),
		discretes: make([]bool, c(s.DiscreteInputs)),
		holding:   make([]uint16, c(s.HoldingRegisters)),
		input:     make([]uint16, c(s.InputRegisters)),
	}
}

// OnWrite sets fn to be called after each write by the master to coils or
// holding registers (function codes 5, 6, 15, 16) has been applied; nil
// removes it. fn runs on the serving goroutine after the bank's lock has been
// released, so it may call the bank's methods; the master's answer waits
// for it, so it must return quickly (hand long work to a goroutine or a
// buffered channel).
func (b *Bank) OnWrite(fn func(Write)) {
	b.mu.Lock()
	b.onWrite = fn
	b.mu.Unlock()
}

// Coil returns the coil at addr.
func (b *Bank) Coil(addr uint16) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.coils[addr]
}

// SetCoil sets the coil at addr. It does not call the OnWrite hook, which
// reports the master's writes only.
func (b *Bank) SetCoil(addr uint16, v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.coils[addr] = v
}

// Discrete returns the discrete input at addr.
func (b *Bank) Discrete(addr uint16) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.discretes[addr]
}

// SetDiscrete sets the discrete input at addr.
func (b *Bank) SetDiscrete(addr uint16, v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.discretes[addr] = v
}

// Holding returns the holding register at addr.
func (b *Bank) Holding(addr uint16) uint16 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.holding[addr]
}

// SetHolding sets the holding register at addr. It does not call the
// OnWrite hook, which reports the master's writes only.
func (b *Bank) SetHolding(addr uint16, v uint16) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding[addr] = v
}

// Input returns the input register at addr.
func (b *Bank) Input(addr uint16) uint16 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.input[addr]
}

// SetInput sets the input register at addr.
func (b *Bank) SetInput(addr uint16, v uint16) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.input[addr] = v
}

// Protocol limits of the Modbus Application Protocol spec v1.1b3, section 6.
const (
	maxReadBits       = 2000 // 0x07D0, FC 1 and 2
	maxReadRegisters  = 125  // 0x007D, FC 3 and 4
	maxWriteBits      = 1968 // 0x07B0, FC 15
	maxWriteRegisters = 123  // 0x007B, FC 16
)

// Handle answers one request PDU (function code and data, no addressing or
// checksum) and returns the response PDU, which is an exception response
// when the request is refused. It returns nil for an empty request, which
// has no function code to answer.
func (b *Bank) Handle(req []byte) []byte {
	if len(req) == 0 {
		return nil
	}
	fc := req[0]
	var (
		resp []byte
		ex   Exception
		w    *Write
	)
	switch fc {
	case 1, 2:
		resp, ex = b.readBits(req)
	case 3, 4:
		resp, ex = b.readRegisters(req)
	case 5:
		resp, w, ex = b.writeSingleCoil(req)
	case 6:
		resp, w, ex = b.writeSingleRegister(req)
	case 15:
		resp, w, ex = b.writeMultipleCoils(req)
	case 16:
		resp, w, ex = b.writeMultipleRegisters(req)
	default:
		ex = IllegalFunction
	}
	if ex != 0 {
		return exceptionPDU(fc, ex)
	}
	if w != nil {
		b.mu.RLock()
		fn := b.onWrite
		b.mu.RUnlock()
		if fn != nil {
			fn(*w)
		}
	}
	return resp
}

// inRange reports whether quantity entries from addr fit a table of size n.
func inRange(addr, quantity uint16, n int) bool {
	return int(addr)+int(quantity) <= n
}

func (b *Bank) readBits(req []byte) ([]byte, Exception) {
	if len(req) != 5 {
		return nil, IllegalDataValue
	}
	addr, qty := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:])
	if qty < 1 || qty > maxReadBits {
		return nil, IllegalDataValue
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	table := b.coils
	if req[0] == 2 {
		table = b.discretes
	}
	if !inRange(addr, qty, len(table)) {
		return nil, IllegalDataAddress
	}
	n := (int(qty) + 7) / 8
	resp := make([]byte, 2+n)
	resp[0], resp[1] = req[0], byte(n)
	packBits(resp[2:], table[addr:int(addr)+int(qty)])
	return resp, 0
}

// packBits packs bits LSB-first into dst; the unused high bits of the last
// byte stay zero, as the spec's padding requires.
func packBits(dst []byte, bits []bool) {
	for i, v := range bits {
		if v {
			dst[i/8] |= 1 << (i % 8)
		}
	}
}

func (b *Bank) readRegisters(req []byte) ([]byte, Exception) {
	if len(req) != 5 {
		return nil, IllegalDataValue
	}
	addr, qty := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:])
	if qty < 1 || qty > maxReadRegisters {
		return nil, IllegalDataValue
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	table := b.holding
	if req[0] == 4 {
		table = b.input
	}
	if !inRange(addr, qty, len(table)) {
		return nil, IllegalDataAddress
	}
	resp := make([]byte, 2+2*int(qty))
	resp[0], resp[1] = req[0], byte(2*qty)
	for i, v := range table[addr : int(addr)+int(qty)] {
		binary.BigEndian.PutUint16(resp[2+2*i:], v)
	}
	return resp, 0
}

func (b *Bank) writeSingleCoil(req []byte) ([]byte, *Write, Exception) {
	if len(req) != 5 {
		return nil, nil, IllegalDataValue
	}
	addr, v := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:])
	if v != 0x0000 && v != 0xFF00 {
		return nil, nil, IllegalDataValue
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !inRange(addr, 1, len(b.coils)) {
		return nil, nil, IllegalDataAddress
	}
	b.coils[addr] = v == 0xFF00
	return append([]byte(nil), req...), &Write{Table: Coils, Addr: addr, Quantity: 1}, 0
}

func (b *Bank) writeSingleRegister(req []byte) ([]byte, *Write, Exception) {
	if len(req) != 5 {
		return nil, nil, IllegalDataValue
	}
	addr, v := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:])
	b.mu.Lock()
	defer b.mu.Unlock()
	if !inRange(addr, 1, len(b.holding)) {
		return nil, nil, IllegalDataAddress
	}
	b.holding[addr] = v
	return append([]byte(nil), req...), &Write{Table: HoldingRegisters, Addr: addr, Quantity: 1}, 0
}

func (b *Bank) writeMultipleCoils(req []byte) ([]byte, *Write, Exception) {
	if len(req) < 6 {
		return nil, nil, IllegalDataValue
	}
	addr, qty, count := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:]), int(req[5])
	if qty < 1 || qty > maxWriteBits || count != (int(qty)+7)/8 || len(req) != 6+count {
		return nil, nil, IllegalDataValue
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !inRange(addr, qty, len(b.coils)) {
		return nil, nil, IllegalDataAddress
	}
	data := req[6:]
	for i := range int(qty) {
		b.coils[int(addr)+i] = data[i/8]&(1<<(i%8)) != 0
	}
	return append([]byte(nil), req[:5]...), &Write{Table: Coils, Addr: addr, Quantity: qty}, 0
}

func (b *Bank) writeMultipleRegisters(req []byte) ([]byte, *Write, Exception) {
	if len(req) < 6 {
		return nil, nil, IllegalDataValue
	}
	addr, qty, count := binary.BigEndian.Uint16(req[1:]), binary.BigEndian.Uint16(req[3:]), int(req[5])
	if qty < 1 || qty > maxWriteRegisters || count != 2*int(qty) || len(req) != 6+count {
		return nil, nil, IllegalDataValue
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !inRange(addr, qty, len(b.holding)) {
		return nil, nil, IllegalDataAddress
	}
	for i := range int(qty) {
		b.holding[int(addr)+i] = binary.BigEndian.Uint16(req[6+2*i:])
	}
	return append([]byte(nil), req[:5]...), &Write{Table: HoldingRegisters, Addr: addr, Quantity: qty}, 0
}
