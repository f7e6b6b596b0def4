package modbus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// mbapLen is the length of the MBAP header, unit id included.
const mbapLen = 7

// maxPDU is the largest PDU the spec allows (256-byte RTU frame less the
// address and CRC).
const maxPDU = 253

// errMalformed marks a TCP frame after which the stream cannot be trusted.
var errMalformed = errors.New("malformed modbus tcp frame")

// decodeMBAP checks an MBAP header and returns the number of PDU bytes that
// follow it.
func decodeMBAP(h []byte) (int, error) {
	if len(h) < mbapLen {
		return 0, fmt.Errorf("short header of %d bytes: %w", len(h), errMalformed)
	}
	if pid := binary.BigEndian.Uint16(h[2:]); pid != 0 {
		return 0, fmt.Errorf("protocol id %d: %w", pid, errMalformed)
	}
	// The length field counts the unit id and the PDU; a PDU has at least a
	// function code.
	n := int(binary.BigEndian.Uint16(h[4:]))
	if n < 2 || n > 1+maxPDU {
		return 0, fmt.Errorf("length %d outside 2..%d: %w", n, 1+maxPDU, errMalformed)
	}
	return n - 1, nil
}

// answerTCP answers one whole TCP frame (header and PDU), with the faults f
// other than delay, drop and close applied. A nil answer with a nil error
// means no answer is sent; an error means the frame is malformed and the
// connection must be closed.
func (s *Server) answerTCP(frame []byte, f Faults) ([]byte, error) {
	n, err := decodeMBAP(frame)
	if err != nil {
		return nil, err
	}
	if len(frame) != mbapLen+n {
		return nil, fmt.Errorf("frame of %d bytes, header says %d: %w", len(frame), mbapLen+n, errMalformed)
	}
	unit, pdu := frame[6], frame[mbapLen:]
	var resp []byte
	if bank := s.Unit(unit); bank != nil {
		resp = answer(bank, pdu, f)
	} else if s.unknownEx {
		resp = exceptionPDU(pdu[0], GatewayTargetNoResponse)
	}
	if resp == nil {
		return nil, nil
	}
	out := make([]byte, mbapLen, mbapLen+len(resp))
	copy(out, frame[:2])
	binary.BigEndian.PutUint16(out[4:], uint16(1+len(resp)))
	out[6] = unit
	return append(out, resp...), nil
}

// Serve answers Modbus TCP connections accepted from l, several at a time.
// It blocks until ctx is cancelled, then closes l and every connection,
// waits for its goroutines and returns nil. It returns an error, after the
// same cleanup, when accepting fails otherwise. A connection that sends a
// malformed frame (protocol id not 0, length outside the spec) is closed.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	var err error
	for {
		c, aerr := l.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("accepting modbus tcp connection: %w", aerr)
			}
			break
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	cancel()
	wg.Wait()
	return err
}

// serveConn answers the requests of one connection, one at a time, until
// it fails or sends a malformed frame.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	log := s.log.With("remote", c.RemoteAddr().String())
	log.Debug("modbus tcp connection opened")
	buf := make([]byte, mbapLen+maxPDU)
	for {
		if _, err := io.ReadFull(c, buf[:mbapLen]); err != nil {
			if ctx.Err() == nil && !errors.Is(err, io.EOF) {
				log.Debug("modbus tcp connection read failed", "err", err)
			}
			return
		}
		n, err := decodeMBAP(buf[:mbapLen])
		if err != nil {
			log.Warn("closing modbus tcp connection", "err", err)
			return
		}
		if _, err := io.ReadFull(c, buf[mbapLen:mbapLen+n]); err != nil {
			return
		}
		f := s.FaultsFor(buf[6])
		if f.CloseConn {
			log.Info("closing modbus tcp connection: injected fault")
			return
		}
		resp, err := s.answerTCP(buf[:mbapLen+n], f)
		if err != nil {
			log.Warn("closing modbus tcp connection", "err", err)
			return
		}
		if resp == nil || f.Drop || !wait(ctx, f.Delay) {
			continue
		}
		if err := writeAll(c, resp); err != nil {
			return
		}
	}
}
