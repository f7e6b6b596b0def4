package zpl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/cellforge/cellforge/drivers/health"
)

// DefaultTimeout bounds each request when the config gives no timeout.
const DefaultTimeout = 2 * time.Second

// Config configures a [Printer].
type Config struct {
	// Name is the device name in health metrics and logs (default Address).
	Name string
	// Address is the printer's host:port for raw TCP, or the path of its
	// serial port (starting with / or COM). Ignored when Dial is set.
	Address string
	// Baud is the serial port's baud rate (default 9600).
	Baud int
	// Timeout bounds each request: the status query, or sending a label
	// (default DefaultTimeout).
	Timeout time.Duration
	// Dial, when set, opens the connection instead of Address.
	Dial DialFunc
	// Health receives every round trip; nil keeps them unexported.
	Health *health.Metrics
	// Logger receives the driver's logs; nil discards them.
	Logger *slog.Logger
}

// Printer is a ZPL label printer. It keeps one connection open between
// requests and opens a new one after a failure. Its methods are safe for
// concurrent use; requests are sent one at a time.
type Printer struct {
	name    string
	dial    DialFunc
	timeout time.Duration
	health  *health.Device
	log     *slog.Logger

	mu   sync.Mutex
	conn io.ReadWriteCloser
	r    *bufio.Reader
}

// New returns a driver for the printer cfg describes; it connects on the
// first request.
func New(cfg Config) (*Printer, error) {
	if cfg.Dial == nil && cfg.Address == "" {
		return nil, errors.New("zpl printer config: address or dial func required")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("zpl printer config: negative timeout %v", cfg.Timeout)
	}
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("zpl printer config: negative baud rate %d", cfg.Baud)
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Address
	}
	if name == "" {
		name = "zpl"
	}
	dial := cfg.Dial
	if dial == nil {
		if isSerialPath(cfg.Address) {
			baud := cfg.Baud
			if baud == 0 {
				baud = 9600
			}
			dial = DialSerial(cfg.Address, &serial.Mode{BaudRate: baud})
		} else {
			dial = DialTCP(cfg.Address)
		}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Printer{
		name: name, dial: dial, timeout: timeout,
		health: cfg.Health.Device(name, "zpl"), log: log.With("device", name),
	}, nil
}

// Close closes the connection, if one is open. The printer may be used
// again: the next request reconnects.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drop()
}

// drop closes the connection; p.mu is held.
func (p *Printer) drop() error {
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.r = nil, nil
	p.health.Disconnected()
	return err
}

// Health returns the printer's connection health as reported to package
// health.
func (p *Printer) Health() health.Snapshot {
	return p.health.Snapshot()
}

// Status asks the printer for its host status (~HS).
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, rtt, err := p.status(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("host status of %s: %w", p.name, err)
	}
	p.health.Success(rtt)
	return st, nil
}

// Print prints l. It checks the host status first and refuses, with a
// *FaultError that errors.Is matches to ErrPaperOut, ErrHeadOpen or
// ErrPaused, when the printer cannot print; it then sends the label and
// checks the status again, returning a *FaultError if a fault appeared.
// A printer that does not answer a status request within the timeout
// fails with ErrNoAnswer.
func (p *Printer) Print(ctx context.Context, l Label) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("printing label %q: %w", l.Serial, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkReady(ctx); err != nil {
		return fmt.Errorf("printing label %q on %s: before sending: %w", l.Serial, p.name, err)
	}
	if err := p.send(ctx, Render(l)); err != nil {
		return fmt.Errorf("printing label %q on %s: %w", l.Serial, p.name, err)
	}
	if err := p.checkReady(ctx); err != nil {
		return fmt.Errorf("printing label %q on %s: after sending: %w", l.Serial, p.name, err)
	}
	p.log.Debug("label printed", "serial", l.Serial, "sku", l.SKU)
	return nil
}

// checkReady queries the status and reports the round trip, counting a
// printer fault as a device failure; p.mu is held.
func (p *Printer) checkReady(ctx context.Context) error {
	st, rtt, err := p.status(ctx)
	if err != nil {
		return err
	}
	if err := st.Err(); err != nil {
		p.health.Failure(health.KindDevice, err)
		return err
	}
	p.health.Success(rtt)
	return nil
}

// status runs one ~HS round trip. Failures are reported to health here;
// success is left to the caller, which knows whether the status is a
// fault. p.mu is held.
func (p *Printer) status(ctx context.Context) (Status, time.Duration, error) {
	var raw [3]string
	start := time.Now()
	err := p.request(ctx, func(rw io.ReadWriter, r *bufio.Reader) error {
		if _, err := rw.Write([]byte("~HS")); err != nil {
			return fmt.Errorf("sending ~HS: %w", err)
		}
		var err error
		raw, err = readHostStatus(r)
		if err != nil {
			return fmt.Errorf("reading host status: %w", err)
		}
		return nil
	})
	rtt := time.Since(start)
	if err != nil {
		return Status{}, rtt, err
	}
	st, err := parseHostStatus(raw)
	if err != nil {
		p.health.Failure(health.KindFrame, err)
		p.drop()
		return Status{}, rtt, err
	}
	return st, rtt, nil
}

// send writes a label; p.mu is held.
func (p *Printer) send(ctx context.Context, b []byte) error {
	return p.request(ctx, func(rw io.ReadWriter, _ *bufio.Reader) error {
		if _, err := rw.Write(b); err != nil {
			return fmt.Errorf("sending label: %w", err)
		}
		return nil
	})
}

// request runs f on the connection, opening it if needed, within the
// timeout. When the timeout passes or ctx ends, the connection is closed to
// unblock f. A failed request drops the connection, so that a late answer
// is never read as the answer to the next one, and is reported to health,
// except when the caller's ctx ended. p.mu is held.
func (p *Printer) request(ctx context.Context, f func(io.ReadWriter, *bufio.Reader) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, p.timeout, errTimedOut)
	defer cancel()
	if p.conn == nil {
		c, err := p.dial(ctx)
		if err != nil {
			return p.fail(ctx, fmt.Errorf("connecting: %w", err))
		}
		p.conn, p.r = c, bufio.NewReader(c)
	}
	conn := p.conn
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err := f(conn, p.r)
	if !stop() {
		// The connection was closed under f: its outcome does not count.
		err = errors.New("connection closed")
	}
	if err != nil {
		p.drop()
		return p.fail(ctx, err)
	}
	return nil
}

// errTimedOut is the cause of a request context that reached the driver's
// own timeout, as opposed to the caller's context ending.
var errTimedOut = errors.New("printer timeout")

// fail classifies a failed request, reports it and returns its error. ctx is
// the request's context.
func (p *Printer) fail(ctx context.Context, err error) error {
	switch {
	case context.Cause(ctx) == errTimedOut:
		err = fmt.Errorf("%w within %v", ErrNoAnswer, p.timeout)
		p.health.Failure(health.KindTimeout, err)
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("request abandoned: %w", context.Cause(ctx))
	case errors.Is(err, ErrBadAnswer):
		p.health.Failure(health.KindFrame, err)
		return err
	default:
		p.health.Failure(health.KindIO, err)
		return err
	}
}
