package rawport

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

// DefaultBaud is the baud rate of a serial port when the config gives none.
const DefaultBaud = 9600

// Config configures a [Port]: where the device is, how long a request may
// take, and where its health and logs go.
type Config struct {
	// Name is the device name in health metrics and logs (default Address).
	Name string
	// Address is the device's host:port for raw TCP, or the path of its
	// serial port (starting with / or COM). Ignored when Dial is set.
	Address string
	// Baud is the serial port's baud rate (default DefaultBaud).
	Baud int
	// Timeout bounds each request, such as a status query or sending a
	// ticket or a label (default DefaultTimeout).
	Timeout time.Duration
	// Dial, when set, opens the connection instead of Address.
	Dial DialFunc
	// Health receives every round trip; nil keeps them unexported.
	Health *health.Metrics
	// Logger receives the driver's logs; nil discards them.
	Logger *slog.Logger
}

// Protocol is what a [Port] knows of the protocol spoken over it.
type Protocol struct {
	// Name is the driver name in health metrics and config errors, and the
	// device name when the config gives neither a name nor an address
	// ("escpos", "zpl").
	Name string
	// NoAnswer is the error that a request that timed out wraps; nil means
	// ErrNoAnswer.
	NoAnswer error
	// BadAnswer is the error that malformed answers wrap: a request failing
	// with it is reported as health.KindFrame rather than health.KindIO.
	BadAnswer error
}

// ErrNoAnswer is the error a request that timed out wraps when its
// [Protocol] names none of its own.
var ErrNoAnswer = errors.New("no answer from device")

// Port is the connection to one device. It keeps the connection open
// between requests and opens a new one after a failure. Its methods are
// safe for concurrent use; requests are sent one at a time.
type Port struct {
	name     string
	noAnswer error
	bad      error
	dial     DialFunc
	timeout  time.Duration
	health   *health.Device
	log      *slog.Logger

	mu   sync.Mutex
	conn io.ReadWriteCloser
	r    *bufio.Reader
}

// New returns a port to the device cfg describes, speaking proto; it
// connects on the first request.
func New(proto Protocol, cfg Config) (*Port, error) {
	if cfg.Dial == nil && cfg.Address == "" {
		return nil, fmt.Errorf("%s printer config: address or dial func required", proto.Name)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%s printer config: negative timeout %v", proto.Name, cfg.Timeout)
	}
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("%s printer config: negative baud rate %d", proto.Name, cfg.Baud)
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Address
	}
	if name == "" {
		name = proto.Name
	}
	dial := cfg.Dial
	if dial == nil {
		if isSerialPath(cfg.Address) {
			baud := cfg.Baud
			if baud == 0 {
				baud = DefaultBaud
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
	noAnswer := proto.NoAnswer
	if noAnswer == nil {
		noAnswer = ErrNoAnswer
	}
	return &Port{
		name: name, noAnswer: noAnswer, bad: proto.BadAnswer,
		dial: dial, timeout: timeout,
		health: cfg.Health.Device(name, proto.Name), log: log.With("device", name),
	}, nil
}

// Name returns the device name, as it appears in health metrics and logs.
func (p *Port) Name() string { return p.name }

// Logger returns the device's logger.
func (p *Port) Logger() *slog.Logger { return p.log }

// Health returns the device's health record. The port reports failed
// round trips to it; the caller reports the answers it accepts
// ([health.Device.Success]) and the faults the device reports of itself
// ([health.KindDevice]).
func (p *Port) Health() *health.Device { return p.health }

// Close closes the connection, if one is open. The port may be used again:
// the next request reconnects.
func (p *Port) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drop()
}

// drop closes the connection; p.mu is held.
func (p *Port) drop() error {
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.r = nil, nil
	p.health.Disconnected()
	return err
}

// Do runs one request: f writes it to w and reads the answer from r, which
// buffers the same connection and keeps what f read ahead for the next
// request. Do opens the connection first if none is open, and
// bounds the dial and f together by the timeout. It returns how long the
// round trip took.
//
// When the timeout passes or ctx ends, the connection is closed to unblock
// f. A failed request drops the connection, so that a late answer is never
// read as the answer to the next one, and is reported to health, except
// when ctx ended: the caller gave up, the device did not fail. The error
// of a request that timed out wraps the protocol's NoAnswer error; that of
// a request whose ctx ended wraps the context's cause.
func (p *Port) Do(ctx context.Context, f func(w io.Writer, r *bufio.Reader) error) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	err := p.do(ctx, f)
	return time.Since(start), err
}

// do is Do with p.mu held.
func (p *Port) do(ctx context.Context, f func(io.Writer, *bufio.Reader) error) error {
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

// errTimedOut is the cause of a request context that reached the port's
// own timeout, as opposed to the caller's context ending.
var errTimedOut = errors.New("port timeout")

// fail classifies a failed request, reports it and returns its error. ctx
// is the request's context.
func (p *Port) fail(ctx context.Context, err error) error {
	switch {
	case context.Cause(ctx) == errTimedOut:
		err = fmt.Errorf("%w within %v", p.noAnswer, p.timeout)
		p.health.Failure(health.KindTimeout, err)
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("request abandoned: %w", context.Cause(ctx))
	case p.bad != nil && errors.Is(err, p.bad):
		p.health.Failure(health.KindFrame, err)
		return err
	default:
		p.health.Failure(health.KindIO, err)
		return err
	}
}
