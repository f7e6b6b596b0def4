package modbus

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/goburrow/modbus"
)

// mbapLen is the length of the Modbus TCP header, unit id included.
const mbapLen = 7

// maxPDU is the largest PDU the spec allows: a 256-byte RTU frame less the
// address and the CRC.
const maxPDU = 253

// TCPConfig configures a Modbus TCP line.
type TCPConfig struct {
	// Address is the device's or gateway's host:port.
	Address string
	// Timeout bounds connecting and each request's answer; 0 means 1 s.
	Timeout time.Duration
	// ReconnectMin and ReconnectMax bound the wait between connection
	// attempts after failures, doubled per failure and jittered; 0 means
	// 100 ms and 30 s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
}

// NewTCPLine returns a Modbus TCP line to cfg.Address. It does not connect:
// [Line.Run] connects on the first request.
func NewTCPLine(cfg TCPConfig) (*Line, error) {
	if cfg.Address == "" {
		return nil, errors.New("tcp line: address: missing")
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("tcp line %s: address: %w", cfg.Address, err)
	}
	var err error
	if cfg.Timeout, cfg.ReconnectMin, cfg.ReconnectMax, err = lineDefaults(cfg.Timeout, cfg.ReconnectMin, cfg.ReconnectMax); err != nil {
		return nil, fmt.Errorf("tcp line %s: %w", cfg.Address, err)
	}
	l := newLine("tcp "+cfg.Address, &tcpTransport{cfg: cfg}, cfg.ReconnectMin, cfg.ReconnectMax)
	l.dropOnBadAnswer = true
	return l, nil
}

// lineDefaults fills in and checks the settings both line kinds share.
func lineDefaults(timeout, rmin, rmax time.Duration) (time.Duration, time.Duration, time.Duration, error) {
	if timeout < 0 {
		return 0, 0, 0, fmt.Errorf("timeout: %v is negative", timeout)
	}
	if rmin < 0 || rmax < 0 {
		return 0, 0, 0, fmt.Errorf("reconnect: %v..%v has a negative bound", rmin, rmax)
	}
	if timeout == 0 {
		timeout = defaultTimeout
	}
	if rmin == 0 {
		rmin = defaultReconnectMin
	}
	if rmax == 0 {
		rmax = max(defaultReconnectMax, rmin)
	}
	if rmin > rmax {
		return 0, 0, 0, fmt.Errorf("reconnect: minimum %v above maximum %v", rmin, rmax)
	}
	return timeout, rmin, rmax, nil
}

// tcpTransport speaks Modbus TCP over one connection at a time. It gives
// each request a transaction id of its own, unique on the line whatever
// the devices' packagers chose, and discards answers carrying another.
type tcpTransport struct {
	cfg TCPConfig

	mu   sync.Mutex
	conn net.Conn

	// Only the line's Run goroutine uses these.
	tid uint16
	buf [mbapLen + maxPDU]byte
	// rd buffers the connection's answers, so that an answer is read with
	// one read call instead of one for the header and one for the rest.
	// Bytes past an answer stay in it for the next: they belong to the
	// connection it reads, and a new connection gets a new one.
	rd *bufio.Reader
}

func (t *tcpTransport) connect(ctx context.Context) error {
	d := net.Dialer{Timeout: t.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.conn = c
	t.mu.Unlock()
	t.rd = bufio.NewReaderSize(c, 2*(mbapLen+maxPDU))
	return nil
}

func (t *tcpTransport) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

func (t *tcpTransport) packager(unit byte) modbus.Packager {
	h := modbus.NewTCPClientHandler(t.cfg.Address)
	h.SlaveId = unit
	return h
}

func (t *tcpTransport) exchange(unit byte, adu []byte) ([]byte, time.Duration, error) {
	t.mu.Lock()
	c := t.conn
	t.mu.Unlock()
	if c == nil || t.rd == nil {
		return nil, 0, net.ErrClosed
	}
	if len(adu) < mbapLen+1 {
		return nil, 0, fmt.Errorf("request of %d bytes is shorter than a header", len(adu))
	}
	t.tid++
	req := append([]byte(nil), adu...)
	binary.BigEndian.PutUint16(req, t.tid)

	start := time.Now()
	if err := c.SetDeadline(start.Add(t.cfg.Timeout)); err != nil {
		return nil, 0, err
	}
	if _, err := c.Write(req); err != nil {
		return nil, 0, t.wireError("sending request", err)
	}
	for {
		if _, err := io.ReadFull(t.rd, t.buf[:mbapLen]); err != nil {
			return nil, 0, t.wireError("reading answer header", err)
		}
		n := int(binary.BigEndian.Uint16(t.buf[4:]))
		if n < 2 || n > 1+maxPDU {
			return nil, 0, fmt.Errorf("answer length field %d outside 2..%d: %w", n, 1+maxPDU, ErrFrame)
		}
		if _, err := io.ReadFull(t.rd, t.buf[mbapLen:mbapLen+n-1]); err != nil {
			return nil, 0, t.wireError("reading answer", err)
		}
		if binary.BigEndian.Uint16(t.buf[:]) != t.tid {
			continue // a late answer to an earlier request
		}
		rtt := time.Since(start)
		ans := append([]byte(nil), t.buf[:mbapLen+n-1]...)
		if err := checkTCP(req, ans); err != nil {
			return nil, rtt, err
		}
		// Give the packager back the transaction id it chose.
		copy(ans[:2], adu[:2])
		return ans, rtt, nil
	}
}

// checkTCP checks that a whole answer frame matches the request frame:
// protocol id 0, same unit id, and the same function code or its exception.
func checkTCP(req, ans []byte) error {
	if len(ans) < mbapLen+2 {
		return fmt.Errorf("answer of %d bytes: %w", len(ans), ErrFrame)
	}
	if pid := binary.BigEndian.Uint16(ans[2:]); pid != 0 {
		return fmt.Errorf("answer protocol id %d: %w", pid, ErrFrame)
	}
	if ans[6] != req[6] {
		return fmt.Errorf("answer from unit %d to a request for unit %d: %w", ans[6], req[6], ErrFrame)
	}
	if fc := ans[mbapLen]; fc != req[mbapLen] && fc != req[mbapLen]|0x80 {
		return fmt.Errorf("answer function code %d to function %d: %w", fc, req[mbapLen], ErrFrame)
	}
	return nil
}

// wireError classifies an error of the connection: a deadline is a timeout,
// anything else an I/O failure.
func (t *tcpTransport) wireError(doing string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%s: %w after %v", doing, ErrTimeout, t.cfg.Timeout)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
