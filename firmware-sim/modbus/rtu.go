package modbus

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// maxRTUFrame is the largest RTU frame: address, 253-byte PDU, CRC.
const maxRTUFrame = 256

// rtuPollInterval bounds how long a port with read timeouts blocks in Read,
// so that ServeRTU notices a cancelled context.
const rtuPollInterval = 50 * time.Millisecond

// RTUConfig configures [Server.ServeRTU].
type RTUConfig struct {
	// Baud is the line's baud rate; 0 means 19200.
	Baud int
	// Silence, when not zero, replaces the inter-frame silence that ends
	// a frame, which is otherwise 3.5 character times at Baud (11 bits a
	// character), or 1.75 ms above 19200 baud as the serial line spec fixes.
	Silence time.Duration
}

// silence returns the gap that ends a frame.
func (c RTUConfig) silence() time.Duration {
	if c.Silence > 0 {
		return c.Silence
	}
	baud := c.Baud
	if baud <= 0 {
		baud = 19200
	}
	if baud > 19200 {
		return 1750 * time.Microsecond
	}
	return time.Duration(3.5 * 11 * float64(time.Second) / float64(baud))
}

// readTimeouter is a port whose reads can time out, as go.bug.st/serial's
// ports can.
type readTimeouter interface {
	SetReadTimeout(time.Duration) error
}

// isWrite reports whether fc is a write function code, the only ones a
// broadcast may carry.
func isWrite(fc byte) bool {
	return fc == 5 || fc == 6 || fc == 15 || fc == 16
}

// answerRTU answers one RTU frame (address, PDU, CRC) with the faults f
// other than delay and drop applied; nil means no answer is sent: a bad CRC,
// another device's address, or a broadcast, whose writes it applies to every
// unit.
func (s *Server) answerRTU(frame []byte, f Faults) []byte {
	if len(frame) < 4 || len(frame) > maxRTUFrame {
		return nil
	}
	body := frame[:len(frame)-2]
	if crc := CRC16(body); byte(crc) != frame[len(frame)-2] || byte(crc>>8) != frame[len(frame)-1] {
		return nil
	}
	addr, pdu := body[0], body[1:]
	if addr == 0 {
		if isWrite(pdu[0]) {
			s.mu.RLock()
			banks := make([]*Bank, 0, len(s.banks))
			for _, b := range s.banks {
				banks = append(banks, b)
			}
			s.mu.RUnlock()
			for _, b := range banks {
				answer(b, pdu, f)
			}
		}
		return nil
	}
	bank := s.Unit(addr)
	if bank == nil {
		return nil
	}
	resp := answer(bank, pdu, f)
	if resp == nil {
		return nil
	}
	out := appendCRC(append([]byte{addr}, resp...))
	if f.CorruptCRC {
		out[len(out)-1] ^= 0xFF
	}
	return out
}

type rtuChunk struct {
	b   []byte
	err error
}

// ServeRTU answers Modbus RTU requests read from port for every unit of the
// server, as several devices sharing one serial line. A frame ends after
// the inter-frame silence of cfg; frames with a bad CRC or for other
// addresses are ignored, broadcasts (address 0) are applied without answer.
//
// ServeRTU blocks until ctx is cancelled, then returns nil, or until reading
// or writing port fails. It does not close port, which stays the caller's,
// unless port can neither time out its reads (SetReadTimeout, as
// go.bug.st/serial ports can) nor otherwise be unblocked: then it is closed
// when ctx is cancelled if it is an io.Closer, and ServeRTU returns once its
// pending Read does.
func (s *Server) ServeRTU(ctx context.Context, port io.ReadWriter, cfg RTUConfig) error {
	silence := cfg.silence()
	rt, canTimeout := port.(readTimeouter)
	if canTimeout {
		if err := rt.SetReadTimeout(rtuPollInterval); err != nil {
			return fmt.Errorf("setting rtu read timeout: %w", err)
		}
	}
	chunks := make(chan rtuChunk, 16)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2*maxRTUFrame)
		for {
			n, err := port.Read(buf)
			if n > 0 {
				select {
				case chunks <- rtuChunk{b: append([]byte(nil), buf[:n]...)}:
				case <-done:
					return
				}
			}
			if err != nil {
				select {
				case chunks <- rtuChunk{err: err}:
				case <-done:
				}
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	if !canTimeout {
		if c, ok := port.(io.Closer); ok {
			// Closing the port is the only way to end the reader's pending Read. It must
			// happen before the deferred wg.Wait, whether or not an AfterFunc got to run.
			defer func() {
				if ctx.Err() != nil {
					c.Close()
				}
			}()
		}
	}

	gap := time.NewTimer(time.Hour)
	gap.Stop()
	defer gap.Stop()
	frame := make([]byte, 0, maxRTUFrame)
	overflow := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-chunks:
			if c.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("reading modbus rtu frame: %w", c.err)
			}
			if len(frame)+len(c.b) > maxRTUFrame {
				overflow = true
			} else {
				frame = append(frame, c.b...)
			}
			gap.Reset(silence)
		case <-gap.C:
			var resp []byte
			var f Faults
			if len(frame) > 0 {
				f = s.FaultsFor(frame[0])
			}
			if !overflow {
				resp = s.answerRTU(frame, f)
			}
			frame, overflow = frame[:0], false
			if resp == nil || f.Drop || !wait(ctx, f.Delay) {
				continue
			}
			if err := writeAll(port, resp); err != nil {
				return fmt.Errorf("writing modbus rtu answer: %w", err)
			}
		}
	}
}
