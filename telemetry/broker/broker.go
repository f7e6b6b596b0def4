// Package broker runs the embedded MQTT broker (mochi-mqtt) that the daemon starts on loopback
// when no outside broker is configured, so that telemetry works with no outside service.
//
// It imports the MQTT server library and the standard library only.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Config is what a Broker needs.
type Config struct {
	// Addr is the loopback address to listen on, host:port; port 0 picks a free port.
	Addr   string
	Logger *slog.Logger
}

// Broker is an embedded MQTT broker listening on loopback. It accepts any client: it listens
// on a loopback address only, where the daemon's own publisher and bridge connect.
type Broker struct {
	server *mqtt.Server
	tcp    *listeners.TCP
	log    *slog.Logger

	mu     sync.Mutex
	closed bool // the server is closed: by Run when its context ended, or by Close
}

// New starts listening on cfg.Addr, which must be a loopback address. Run serves; Close
// releases the address when Run is not to be called.
func New(cfg Config) (*Broker, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker address %q: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("embedded broker address %q: listen on a loopback address (it lets any client in)", cfg.Addr)
	}
	// The server logs every client's coming and going, and a client that hangs up without a
	// DISCONNECT as a warning; the daemon wants only the broker's own errors.
	log := slog.New(minLevel{cfg.Logger.Handler(), slog.LevelError}).With("component", "mqtt-broker")
	server := mqtt.New(&mqtt.Options{InlineClient: false, Logger: log})
	if err := server.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "loopback", Address: cfg.Addr})
	if err := server.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("embedded broker: listening on %s: %w", cfg.Addr, err)
	}
	return &Broker{server: server, tcp: tcp, log: cfg.Logger}, nil
}

// Addr returns the address the broker listens on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL returns the broker's address as an MQTT client URL.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Pending returns how many QoS 1 messages the broker holds for the session of the client
// clientID that the client has not acknowledged: sent and not acknowledged yet, or kept while
// the client is away. The broker keeps sessions in memory only, so they are lost when it
// closes. It is 0 for a client it does not know.
func (b *Broker) Pending(clientID string) int {
	cl, ok := b.server.Clients.Get(clientID)
	if !ok {
		return 0
	}
	return cl.State.Inflight.Len()
}

// Run serves clients until ctx ends, then closes the broker. It returns nil after a clean close.
func (b *Broker) Run(ctx context.Context) error {
	if err := b.serve(); err != nil {
		return err
	}
	<-ctx.Done()
	return b.Close()
}

// serve starts serving, unless the broker is closed.
func (b *Broker) serve() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("embedded broker: closed before it ran")
	}
	if err := b.server.Serve(); err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	return nil
}

// Close closes the broker: its listener and its clients' connections. Run closes it when its
// context ends; Close is for a broker that New made and Run will not serve (a daemon that fails
// before it runs), and does nothing more once the broker is closed.
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if err := b.server.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("closing the embedded broker: %w", err)
	}
	return nil
}

// minLevel is a handler that drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
