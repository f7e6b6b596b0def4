package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/link"
)

// linkDir is the directory of the data directory that holds the network link's outbound queue,
// its sequence numbers and its receive ledger.
const linkDir = "network-link"

// linkStopBound is how long the network link may take to stop: the acknowledgement of the
// broker it waits for is bounded by the link's timeout, and its disconnect by a quarter second.
const linkStopBound = 10*time.Second + quickStopBound

// networkKey returns the private key in file, making it on the first start (a new key pair,
// its public key logged so that it can be written in the other end's file). The directory of
// the file is created when missing.
func networkKey(file string, logger *slog.Logger) (ed25519.PrivateKey, error) {
	msg := "network key"
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			return nil, fmt.Errorf("creating the directory of the network key: %w", err)
		}
		if _, err := link.GenerateKey(file); err != nil {
			return nil, fmt.Errorf("making the network key: %w", err)
		}
		msg = "made a new network key: give its public key to the other end"
	}
	key, err := link.LoadKey(file)
	if err != nil {
		return nil, err
	}
	logger.Info(msg, "file", file, "public_key", configs.FormatPublicKey(key.Public().(ed25519.PublicKey)))
	return key, nil
}

// openLink opens this end's link (self "hub" or a site id) to peers through the broker b
// describes, its password and TLS files read now, its state under dataDir. The caller closes
// the link once its Run has returned; onConnect, when not nil, is called after every connection.
func openLink(self string, key ed25519.PrivateKey, peers map[string]ed25519.PublicKey, b configs.Broker,
	dataDir string, onConnect func(), logger *slog.Logger) (*link.Link, error) {
	password, err := b.LoadPassword(os.ReadFile, os.Getenv)
	if err != nil {
		return nil, err
	}
	tlsConfig, err := b.TLSConfig(os.ReadFile)
	if err != nil {
		return nil, err
	}
	l, err := link.Open(link.Config{
		Self: self, Key: key, Peers: peers,
		Broker: b.URL, Username: b.Username, Password: password, TLS: tlsConfig, ClientID: b.ClientID,
		Dir:       filepath.Join(dataDir, linkDir),
		OnConnect: onConnect,
		Logger:    logger.With("component", "network-link"),
	})
	if err != nil {
		return nil, err
	}
	logger.Info("network link", "self", self, "broker", b.URL, "peers", len(peers))
	return l, nil
}

// linkPart is the network link as a part of a daemon: it runs until ctx ends, handing each
// verified message to handle.
func linkPart(l *link.Link, handle link.Handler) part {
	return part{name: "network-link", run: func(ctx context.Context) error { return l.Run(ctx, handle) }, bound: linkStopBound}
}
