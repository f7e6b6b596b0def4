// Package sdnotify tells systemd how the daemon is doing, over the datagram socket a unit of
// Type=notify hands its service in $NOTIFY_SOCKET (sd_notify(3)): READY=1 once the daemon
// serves, WATCHDOG=1 while it is healthy, STOPPING=1 as it stops. It speaks the protocol with
// the standard library alone, and it does nothing when the daemon runs outside systemd.
//
// It owns the protocol, not the daemon's health: the caller says what healthy means. Like every
// package below cmd/cellforge's main, it reads no environment variable itself: the caller passes
// $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID in. It imports nothing of CellForge.
package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// The states the daemon sends (sd_notify(3)).
const (
	// Ready says that the daemon serves: systemd ends the unit's start job.
	Ready = "READY=1"
	// Stopping says that the daemon stops: systemd does not take the stop for a failure.
	Stopping = "STOPPING=1"
	// Watchdog says that the daemon is alive; a unit with WatchdogSec= restarts it when none
	// comes for that long.
	Watchdog = "WATCHDOG=1"
)

// Notifier sends states to systemd's notification socket. A nil *Notifier (the daemon runs
// outside systemd) sends nothing, and its methods return nil.
type Notifier struct {
	conn *net.UnixConn
}

// Open returns a Notifier that sends to socket, the value of $NOTIFY_SOCKET: a file system
// path, or an abstract socket's name written with a leading '@'. An empty socket returns a nil
// Notifier and no error. Nothing is sent until a method is called.
func Open(socket string) (*Notifier, error) {
	if socket == "" {
		return nil, nil
	}
	name := socket
	switch {
	case strings.HasPrefix(socket, "@"):
		// The abstract namespace: the name starts with a NUL byte, which the variable cannot hold.
		name = "\x00" + socket[1:]
	case !strings.HasPrefix(socket, "/"):
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: want an absolute path or an abstract socket's '@' name", socket)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: %w", socket, err)
	}
	return &Notifier{conn: conn}, nil
}

// Notify sends state: one or more VARIABLE=value lines (see the constants).
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	if _, err := n.conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notifying systemd of %q: %w", state, err)
	}
	return nil
}

// Close closes the socket.
func (n *Notifier) Close() error {
	if n == nil {
		return nil
	}
	return n.conn.Close()
}

// WatchdogTimeout returns how long systemd waits for a WATCHDOG=1 before it restarts the
// service: usec and pid are the values of $WATCHDOG_USEC and $WATCHDOG_PID, self the daemon's
// process id. It returns 0 when there is no watchdog for this process (usec empty, or pid names
// another process), and an error when usec or pid is not a number.
func WatchdogTimeout(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("WATCHDOG_USEC %q: want a positive number of microseconds", usec)
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("WATCHDOG_PID %q: want a process id", pid)
		}
		if p != self {
			return 0, nil
		}
	}
	return time.Duration(n) * time.Microsecond, nil
}

// Healthy reports whether the daemon is healthy; a wedged daemon's check returns an error or
// outlives its context, which ends after half the watchdog's timeout.
type Healthy func(ctx context.Context) error

// Config is what Run needs.
type Config struct {
	// Timeout is the watchdog's (see WatchdogTimeout); 0: no watchdog pings.
	Timeout time.Duration
	// Healthy is checked before every ping; nil: always healthy.
	Healthy Healthy
	// Logger says when a check fails and pings stop; nil: nothing is logged.
	Logger *slog.Logger
}

// Run sends READY=1, then WATCHDOG=1 every half of cfg.Timeout for as long as cfg.Healthy
// passes (a failing or hanging check skips the ping, so that a wedged daemon is restarted), and
// STOPPING=1 once ctx ends. It blocks until ctx ends and returns the error of a send, which only
// a socket gone away produces.
func (n *Notifier) Run(ctx context.Context, cfg Config) error {
	if n == nil {
		<-ctx.Done()
		return nil
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := n.Notify(Ready); err != nil {
		return err
	}
	var tick <-chan time.Time
	every := cfg.Timeout / 2
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
		if err := n.ping(ctx, cfg.Healthy, every, log); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return n.Notify(Stopping)
		case <-tick:
			if err := n.ping(ctx, cfg.Healthy, every, log); err != nil {
				return err
			}
		}
	}
}

// ping sends WATCHDOG=1 when healthy passes within within.
func (n *Notifier) ping(ctx context.Context, healthy Healthy, within time.Duration, log *slog.Logger) error {
	if healthy != nil {
		cctx, cancel := context.WithTimeout(ctx, within)
		err := runCheck(cctx, healthy)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			log.Error("unhealthy: not telling systemd's watchdog that the daemon is alive", "err", err)
			return nil
		}
	}
	return n.Notify(Watchdog)
}

// runCheck runs healthy, and gives up on it when ctx ends first (a check that hangs on a
// wedged lock never returns; its goroutine is left to the lock).
func runCheck(ctx context.Context, healthy Healthy) error {
	done := make(chan error, 1)
	go func() { done <- healthy(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errors.New("health check did not answer in time")
	}
}
