package modbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cellforge/cellforge/drivers/rawport"
	"github.com/goburrow/modbus"
	"go.bug.st/serial"
)

// Frame limits of Modbus RTU.
const (
	maxRTUFrame = 256 // address, 253-byte PDU, CRC
	// rtuCharBits is the length of one character on the line: the serial
	// line spec fixes 11 bits (start, 8 data, parity or second stop, stop)
	// for the timing rules even when parity is off.
	rtuCharBits = 11
	// drainSilence is how long the line must stay quiet, after a timeout or
	// a malformed answer, before the next request is sent: long enough for a
	// slave's late answer to have started arriving, so that it is read and
	// thrown away rather than taken for the next answer.
	drainSilence = 20 * time.Millisecond
)

// errPortClosed is the error of a request on a port that is not open.
var errPortClosed = errors.New("serial port closed")

// RTUConfig configures a Modbus RTU line: a serial port and its settings.
type RTUConfig struct {
	// Port is the serial device, as /dev/ttyUSB0.
	Port string
	// Baud is the baud rate; 0 means 19200.
	Baud int
	// DataBits is 5 to 8; 0 means 8.
	DataBits int
	// Parity is "none" ("" too), "even" or "odd".
	Parity string
	// StopBits is 1 or 2; 0 means 1.
	StopBits int
	// Timeout bounds the wait for each answer, counted from the end of the
	// request's transmission; 0 means 1 s.
	Timeout time.Duration
	// FrameGap is the silence kept between frames; 0 means 3.5 character
	// times at Baud, or 1.75 ms above 19200 baud, as the serial line spec
	// fixes.
	FrameGap time.Duration
	// ReconnectMin and ReconnectMax bound the wait between attempts to open
	// the port after failures, doubled per failure and jittered; 0 means
	// 100 ms and 30 s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
}

// NewRTULine returns a Modbus RTU line on cfg.Port. It does not open the
// port: [Line.Run] opens it on the first request.
func NewRTULine(cfg RTUConfig) (*Line, error) {
	if cfg.Port == "" {
		return nil, errors.New("rtu line: port: missing")
	}
	wrap := func(err error) error { return fmt.Errorf("rtu line %s: %w", cfg.Port, err) }
	if cfg.Baud < 0 {
		return nil, wrap(fmt.Errorf("baud: %d is negative", cfg.Baud))
	}
	if cfg.Baud == 0 {
		cfg.Baud = 19200
	}
	mode, err := rawport.SerialMode(cfg.Baud, cfg.DataBits, cfg.Parity, cfg.StopBits)
	if err != nil {
		return nil, wrap(err)
	}
	if cfg.FrameGap < 0 {
		return nil, wrap(fmt.Errorf("frame_gap: %v is negative", cfg.FrameGap))
	}
	if cfg.Timeout, cfg.ReconnectMin, cfg.ReconnectMax, err = lineDefaults(cfg.Timeout, cfg.ReconnectMin, cfg.ReconnectMax); err != nil {
		return nil, wrap(err)
	}
	t := &rtuTransport{
		cfg: cfg, mode: mode, gap: frameGap(cfg.Baud, cfg.FrameGap),
		charTime: time.Duration(rtuCharBits * float64(time.Second) / float64(cfg.Baud)),
		open: func(path string, m *serial.Mode) (rtuPort, error) {
			return serial.Open(path, m)
		},
	}
	l := newLine("rtu "+cfg.Port, t, cfg.ReconnectMin, cfg.ReconnectMax)
	l.rtu = true
	return l, nil
}

// frameGap returns the silence between frames: gap when set, else 3.5
// character times, or 1.75 ms above 19200 baud.
func frameGap(baud int, gap time.Duration) time.Duration {
	if gap > 0 {
		return gap
	}
	if baud > 19200 {
		return 1750 * time.Microsecond
	}
	return time.Duration(3.5 * rtuCharBits * float64(time.Second) / float64(baud))
}

// rtuPort is what the transport needs of a serial port; go.bug.st/serial's
// ports have it.
type rtuPort interface {
	io.ReadWriteCloser
	SetReadTimeout(time.Duration) error
	ResetInputBuffer() error
}

// rtuTransport speaks Modbus RTU on a serial port shared by several slaves.
// Frames are delimited by length, computed from each answer's function code
// and byte count, so that it works over adapters and pseudo-terminals that
// do not keep the inter-character timing.
type rtuTransport struct {
	cfg      RTUConfig
	mode     *serial.Mode
	gap      time.Duration
	charTime time.Duration
	open     func(string, *serial.Mode) (rtuPort, error)

	mu   sync.Mutex
	port rtuPort

	// Only the line's Run goroutine uses these.
	quietUntil time.Time
	buf        [maxRTUFrame]byte
	scratch    [maxRTUFrame]byte
}

func (t *rtuTransport) connect(context.Context) error {
	p, err := t.open(t.cfg.Port, t.mode)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.port = p
	t.mu.Unlock()
	return nil
}

func (t *rtuTransport) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.port != nil {
		t.port.Close()
		t.port = nil
	}
}

func (t *rtuTransport) packager(unit byte) modbus.Packager {
	h := modbus.NewRTUClientHandler(t.cfg.Port)
	h.SlaveId = unit
	return h
}

func (t *rtuTransport) exchange(unit byte, adu []byte) ([]byte, time.Duration, error) {
	t.mu.Lock()
	p := t.port
	t.mu.Unlock()
	if p == nil {
		return nil, 0, errPortClosed
	}
	if wait := time.Until(t.quietUntil); wait > 0 {
		time.Sleep(wait)
	}
	// Whatever arrived since the last exchange answers nothing we asked.
	if err := p.ResetInputBuffer(); err != nil {
		return nil, 0, fmt.Errorf("flushing input: %w", err)
	}
	start := time.Now()
	if _, err := p.Write(adu); err != nil {
		return nil, 0, fmt.Errorf("sending request: %w", err)
	}
	sent := start.Add(time.Duration(len(adu)) * t.charTime)
	ans, err := t.read(p, adu, sent.Add(t.cfg.Timeout))
	rtt := time.Since(start)
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrFrame) {
		t.drain(p)
	}
	t.quietUntil = time.Now().Add(t.gap)
	return ans, rtt, err
}

// read reads one answer to req, by the length its header announces.
func (t *rtuTransport) read(p rtuPort, req []byte, deadline time.Time) ([]byte, error) {
	got, need := 0, 3
	for got < need {
		rem := time.Until(deadline)
		if rem <= 0 {
			if got == 0 {
				return nil, fmt.Errorf("waiting for unit %d: %w after %v", req[0], ErrTimeout, t.cfg.Timeout)
			}
			return nil, fmt.Errorf("answer of unit %d cut short after %d of %d bytes: %w", req[0], got, need, ErrFrame)
		}
		if err := p.SetReadTimeout(rem); err != nil {
			return nil, err
		}
		n, err := p.Read(t.buf[got:need])
		got += n
		if err != nil {
			return nil, fmt.Errorf("reading answer: %w", err)
		}
		if need == 3 && got == 3 {
			if need, err = rtuAnswerLen(req, t.buf[:3]); err != nil {
				return nil, err
			}
		}
	}
	ans := append([]byte(nil), t.buf[:need]...)
	if err := checkCRC(ans); err != nil {
		return nil, err
	}
	return ans, nil
}

// rtuAnswerLen returns the length of the answer to req whose first three
// bytes are head, checking its address and function code.
func rtuAnswerLen(req, head []byte) (int, error) {
	if head[0] != req[0] {
		return 0, fmt.Errorf("answer from unit %d to a request for unit %d: %w", head[0], req[0], ErrFrame)
	}
	fc := head[1]
	switch {
	case fc == req[1]|0x80:
		return 5, nil // address, function, exception code, CRC
	case fc != req[1]:
		return 0, fmt.Errorf("answer function code %d to function %d: %w", fc, req[1], ErrFrame)
	}
	switch fc {
	case 1, 2, 3, 4:
		n := 5 + int(head[2]) // address, function, byte count, data, CRC
		if n > maxRTUFrame {
			return 0, fmt.Errorf("answer byte count %d exceeds a frame: %w", head[2], ErrFrame)
		}
		return n, nil
	case 5, 6, 15, 16:
		return 8, nil // address, function, address, value or quantity, CRC
	}
	return 0, fmt.Errorf("answer to unsupported function %d: %w", fc, ErrFrame)
}

// checkCRC checks the CRC at the end of an RTU frame.
func checkCRC(frame []byte) error {
	n := len(frame)
	if n < 4 {
		return fmt.Errorf("frame of %d bytes: %w", n, ErrFrame)
	}
	want := crc16(frame[:n-2])
	if got := uint16(frame[n-2]) | uint16(frame[n-1])<<8; got != want {
		return fmt.Errorf("crc %04x, want %04x: %w", got, want, ErrFrame)
	}
	return nil
}

// drain reads and discards until the line has been quiet for a while, so
// that the rest of a bad answer, or an answer arriving after its timeout,
// is not taken for the next request's.
func (t *rtuTransport) drain(p rtuPort) {
	quiet := max(t.gap, drainSilence)
	end := time.Now().Add(t.cfg.Timeout)
	if err := p.SetReadTimeout(quiet); err != nil {
		return
	}
	for time.Now().Before(end) {
		if n, err := p.Read(t.scratch[:]); err != nil || n == 0 {
			return
		}
	}
}

// crc16 returns the Modbus RTU CRC (polynomial 0xA001 reflected, initial
// 0xFFFF); it goes on the wire low byte first.
func crc16(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
