package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/cellforge/cellforge/cmd/cellforge/internal/sdnotify"
	"github.com/cellforge/cellforge/configs"
)

// systemdPart is the part of serve that tells systemd how the daemon does (a unit of
// Type=notify with WatchdogSec=, see packaging/debian): READY=1 as the daemon's parts start,
// WATCHDOG=1 while daemonHealthy passes, STOPPING=1 once the daemon is told to stop. Outside
// systemd ($NOTIFY_SOCKET unset) it only waits for the stop. A failure to reach systemd's
// socket is logged and does not stop the daemon: it goes on serving without telling.
func systemdPart(ln net.Listener, fl *floor, factory *configs.Factory, logger *slog.Logger) (part, error) {
	n, err := sdnotify.Open(os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		return part{}, err
	}
	timeout, err := sdnotify.WatchdogTimeout(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid())
	if err != nil {
		n.Close()
		return part{}, err
	}
	if n != nil {
		logger.Info("telling systemd", "socket", os.Getenv("NOTIFY_SOCKET"), "watchdog", timeout)
	}
	cfg := sdnotify.Config{Timeout: timeout, Healthy: daemonHealthy(ln.Addr(), fl, factory), Logger: logger.With("component", "systemd")}
	run := func(ctx context.Context) error {
		defer n.Close()
		if err := n.Run(ctx, cfg); err != nil {
			logger.Warn("telling systemd", "err", err)
			<-ctx.Done()
		}
		return nil
	}
	return part{name: "systemd", run: run, bound: quickStopBound}, nil
}

// daemonHealthy is the watchdog's check: the HTTP server answers a request for /healthz on the
// daemon's own address (any answer: a database away is no reason for a restart, a server that
// answers nothing is), and every cell of the floor gives its status (a controller wedged
// holding its lock does not, and the check outlives its context).
func daemonHealthy(addr net.Addr, fl *floor, factory *configs.Factory) sdnotify.Healthy {
	url := "http://" + loopbackOf(addr) + "/healthz"
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("the daemon's own %s: %w", url, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, c := range factory.Cells {
			fl.CellStatus(c.ID)
		}
		return nil
	}
}

// loopbackOf is addr as this machine reaches it: an unspecified address (every interface)
// becomes the loopback address of its family.
func loopbackOf(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	lo := net.IPv4(127, 0, 0, 1)
	if tcp.IP.To4() == nil {
		lo = net.IPv6loopback
	}
	return net.JoinHostPort(lo.String(), fmt.Sprint(tcp.Port))
}
