package modbus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/goburrow/modbus"
)

// Defaults of the line configs.
const (
	defaultTimeout      = time.Second
	defaultReconnectMin = 100 * time.Millisecond
	defaultReconnectMax = 30 * time.Second
)

// transport is the wire under a [Line]: a TCP connection or a serial port.
// Only the line's Run goroutine calls connect and exchange; close may be
// called from any goroutine at any time, to unblock them.
type transport interface {
	// connect opens the connection or port.
	connect(ctx context.Context) error
	// exchange sends one request frame and returns the answer frame and the
	// round trip. Errors wrap ErrTimeout, ErrFrame, or are I/O errors.
	exchange(unit byte, adu []byte) ([]byte, time.Duration, error)
	// close closes the connection or port, if open.
	close()
	// packager frames the requests of a unit id.
	packager(unit byte) modbus.Packager
}

// job is one request waiting for the line.
type job struct {
	ctx  context.Context
	unit byte
	adu  []byte
	done chan result // buffered: the line never waits for the caller
}

type result struct {
	adu []byte
	rtt time.Duration
	err error
}

// Line states.
const (
	lineIdle = iota
	lineRunning
	lineClosed
)

// Line is one Modbus transport (a TCP connection to a device or gateway, or
// a serial RS-485 line) shared by the devices on it. It serves one request
// at a time from a queue of two priorities: writes, which carry commands,
// are served before any queued poll; within a priority, first come first
// served. Requests may be queued before [Line.Run] starts; they wait for it.
//
// A request that finds the running line idle, nothing queued and nothing
// in flight, is served on its caller's goroutine rather than handed to
// Run's: a device polled in a closed loop then costs no goroutine switch
// per request. Such a request, once sent, is not abandoned when its
// context ends: it waits for its answer, for the line's timeout at most, or
// for the line to stop.
type Line struct {
	name         string
	tr           transport
	reconnectMin time.Duration
	reconnectMax time.Duration
	// dropOnBadAnswer closes the connection after a timeout or a malformed
	// answer, so that the stream is in step again (TCP); a serial line is
	// drained by its transport instead.
	dropOnBadAnswer bool
	rtu             bool

	mu     sync.Mutex
	state  int
	writes []*job
	polls  []*job
	units  map[byte]string
	wake   chan struct{}
	// busy is set while a request is being served, by Run's goroutine or
	// by a caller's (see do); whoever set it owns the fields below and the
	// transport's connection until it clears it.
	busy   bool
	runCtx context.Context // Run's, while it runs
	direct sync.WaitGroup  // requests served on their callers' goroutines

	// Owned by whoever set busy.
	connected bool
	failures  int
	retryAt   time.Time
}

func newLine(name string, tr transport, reconnectMin, reconnectMax time.Duration) *Line {
	return &Line{
		name: name, tr: tr, reconnectMin: reconnectMin, reconnectMax: reconnectMax,
		units: map[byte]string{}, wake: make(chan struct{}, 1),
	}
}

// String returns the line's kind and address, as "tcp 10.0.0.5:502".
func (l *Line) String() string { return l.name }

// Queued returns the number of requests waiting for the line: writes and
// polls.
func (l *Line) Queued() (writes, polls int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.writes), len(l.polls)
}

// Run owns the line's connection: it connects on the first request,
// serves queued requests one at a time, and reconnects after a failure with
// exponential backoff and jitter between the configured minimum and maximum.
// It blocks until ctx is cancelled, then closes the connection, fails the
// requests still queued with [ErrClosed] and returns nil. A line runs once;
// a second Run returns an error.
func (l *Line) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.state != lineIdle {
		l.mu.Unlock()
		return fmt.Errorf("running %s: line already run", l.name)
	}
	l.state = lineRunning
	l.runCtx = ctx
	l.mu.Unlock()

	// Reads and writes on the wire take no context; closing the connection
	// is what unblocks them.
	stop := context.AfterFunc(ctx, l.tr.close)
	defer stop()
	for {
		j := l.next(ctx)
		if j == nil {
			break
		}
		j.done <- l.serve(ctx, j)
		l.release()
	}

	l.mu.Lock()
	l.state = lineClosed
	pending := append(l.writes, l.polls...)
	l.writes, l.polls = nil, nil
	l.mu.Unlock()
	// A request served on its caller's goroutine ends once the connection
	// is closed under it; close again after it, in case it had just
	// connected.
	l.tr.close()
	l.direct.Wait()
	l.tr.close()
	for _, j := range pending {
		j.done <- result{err: fmt.Errorf("%s: %w", l.name, ErrClosed)}
	}
	return nil
}

// next waits for the next request, writes first, and for the line to be
// free; it returns the request with the line marked busy. Nil means ctx is
// done.
func (l *Line) next(ctx context.Context) *job {
	for {
		if ctx.Err() != nil {
			return nil
		}
		l.mu.Lock()
		var j *job
		switch {
		case l.busy:
		case len(l.writes) > 0:
			j, l.writes = l.writes[0], l.writes[1:]
		case len(l.polls) > 0:
			j, l.polls = l.polls[0], l.polls[1:]
		}
		if j != nil {
			l.busy = true
		}
		l.mu.Unlock()
		if j != nil {
			return j
		}
		select {
		case <-l.wake:
		case <-ctx.Done():
			return nil
		}
	}
}

// serve sends one request, connecting first if needed.
func (l *Line) serve(ctx context.Context, j *job) result {
	if err := j.ctx.Err(); err != nil {
		return result{err: err}
	}
	if !l.connected {
		if wait := time.Until(l.retryAt); wait > 0 {
			return result{err: fmt.Errorf("%s: reconnecting in %v: %w", l.name, wait.Round(time.Millisecond), ErrNotConnected)}
		}
		if err := l.tr.connect(ctx); err != nil {
			l.failed()
			return result{err: fmt.Errorf("connecting %s: %w", l.name, err)}
		}
		l.connected = true
	}
	adu, rtt, err := l.tr.exchange(j.unit, j.adu)
	if err != nil && ctx.Err() != nil {
		// The connection was closed under the request to stop the line.
		return result{err: fmt.Errorf("%s: %w", l.name, ErrClosed)}
	}
	switch {
	case err == nil:
		l.failures = 0
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrFrame):
		if l.dropOnBadAnswer {
			// The device is there but the stream cannot be trusted: a late
			// answer must never be read as the next request's. Reconnect at
			// once on the next request.
			l.tr.close()
			l.connected = false
		}
	default:
		l.tr.close()
		l.connected = false
		l.failed()
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", l.name, err)
	}
	return result{adu: adu, rtt: rtt, err: err}
}

// failed counts a failed connection and schedules the next attempt.
func (l *Line) failed() {
	l.failures++
	l.retryAt = time.Now().Add(backoff(l.reconnectMin, l.reconnectMax, l.failures, rand.Float64()))
}

// backoff returns the wait before attempt n+1 after n consecutive failures:
// lo doubled n-1 times, capped at hi, then jittered down by up to half so
// that lines that failed together do not retry together, never below lo.
// r is a random number in [0, 1).
func backoff(lo, hi time.Duration, n int, r float64) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	d = d/2 + time.Duration(r*float64(d/2))
	return max(d, lo)
}

// release marks the line free after a request and wakes Run when requests
// wait.
func (l *Line) release() {
	l.mu.Lock()
	l.busy = false
	queued := len(l.writes)+len(l.polls) > 0
	l.mu.Unlock()
	if queued {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// do serves a request at once on the caller's goroutine when the running
// line is idle with nothing queued; otherwise it queues the request and
// waits for its answer or for ctx.
func (l *Line) do(ctx context.Context, unit byte, adu []byte, write bool) result {
	j := &job{ctx: ctx, unit: unit, adu: adu}
	l.mu.Lock()
	if l.state == lineClosed {
		l.mu.Unlock()
		return result{err: fmt.Errorf("%s: %w", l.name, ErrClosed)}
	}
	if l.state == lineRunning && !l.busy && len(l.writes)+len(l.polls) == 0 {
		l.busy = true
		l.direct.Add(1)
		runCtx := l.runCtx
		l.mu.Unlock()
		defer l.direct.Done()
		r := l.serve(runCtx, j)
		l.release()
		return r
	}
	j.done = make(chan result, 1)
	if write {
		l.writes = append(l.writes, j)
	} else {
		l.polls = append(l.polls, j)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case r := <-j.done:
		return r
	case <-ctx.Done():
		l.remove(j)
		return result{err: ctx.Err()}
	}
}

// remove takes a cancelled job off the queue if it is still there.
func (l *Line) remove(j *job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range []*[]*job{&l.writes, &l.polls} {
		for i, x := range *q {
			if x == j {
				*q = append((*q)[:i:i], (*q)[i+1:]...)
				return
			}
		}
	}
}

// addUnit claims a unit id for a device.
func (l *Line) addUnit(unit byte, device string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if other, ok := l.units[unit]; ok {
		return fmt.Errorf("unit id %d on %s already taken by device %q", unit, l.name, other)
	}
	l.units[unit] = device
	return nil
}
