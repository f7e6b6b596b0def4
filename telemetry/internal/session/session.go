// Package session holds what the telemetry publisher and bridge share about their MQTT
// connections: a persistent session that the caller reconnects itself with backoff, and
// waiting for the client library's tokens with a deadline.
package session

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Config is how to reach the broker.
type Config struct {
	Broker, ClientID   string
	Username, Password string
	TLS                *tls.Config
	Timeout            time.Duration
}

// Options returns client options for a persistent session (the broker keeps subscriptions
// and QoS 1 messages across disconnections) that does not reconnect by itself: the caller's
// loop reconnects, with its own backoff and bookkeeping.
func Options(c Config) *paho.ClientOptions {
	opts := paho.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(c.ClientID).
		SetCleanSession(false).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(c.Timeout).
		SetWriteTimeout(c.Timeout).
		SetKeepAlive(30 * time.Second).
		SetCustomOpenConnectionFn(dial)
	if c.Username != "" {
		opts.SetUsername(c.Username).SetPassword(c.Password)
	}
	if c.TLS != nil {
		opts.SetTLSConfig(c.TLS)
	}
	return opts
}

// Connect connects a client made from opts, abandoning the attempt when it takes longer than
// timeout or ctx ends.
func Connect(ctx context.Context, opts *paho.ClientOptions, timeout time.Duration) (paho.Client, error) {
	client := paho.NewClient(opts)
	if err := Wait(ctx, client.Connect(), timeout); err != nil {
		client.Disconnect(0) // a connection still being made is abandoned
		return nil, err
	}
	return client, nil
}

// Pause waits d or until ctx ends, and returns the next backoff: twice d, at most 5 s.
func Pause(ctx context.Context, d time.Duration) time.Duration {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return min(2*d, 5*time.Second)
}

// Wait waits for a token, the timeout or ctx.
func Wait(ctx context.Context, t paho.Token, timeout time.Duration) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return errors.New("no answer from the broker")
	}
}
