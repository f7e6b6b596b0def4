package link

import (
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"time"
)

// Config is what a Link needs.
type Config struct {
	// Self is this end's id: "hub", or the site's id.
	Self string
	// Key is this end's private key; its messages are signed with it.
	Key ed25519.PrivateKey
	// Peers are the ends that may send to Self, and to which Self may send, with their public
	// keys: for the hub every site, for a site {"hub": key}.
	Peers map[string]ed25519.PublicKey
	// Broker is the broker's URL: tcp://host:port, or ssl:// or mqtts:// with TLS.
	Broker             string
	Username, Password string
	TLS                *tls.Config
	// ClientID identifies the persistent session at the broker; keep it across restarts.
	// Default "cellforge-net-" + Self.
	ClientID string
	// Dir holds the outbound queue, the sequence numbers sent and the receive ledger.
	Dir string
	// Timeout bounds connecting and each acknowledgement of the broker (default 10s).
	Timeout time.Duration
	// MaxQueued bounds the bytes of messages waiting for the broker; Send refuses more with
	// ErrQueueFull (default 256 MiB).
	MaxQueued int64
	// OnConnect, when set, is called after each connection to the broker is made and its
	// subscription taken (the first and every one after a loss): for the hub's or a site's
	// greeting, which the other end may have missed. It runs in a goroutine of Run's own, one
	// call at a time, never holding up the connection; when connections come faster than it
	// returns, the calls for those in between are merged into one.
	OnConnect func()
	// Logger receives the link's log (default: none).
	Logger *slog.Logger
}

// withDefaults checks the config and fills in its defaults. The error names the field.
func (c Config) withDefaults() (Config, error) {
	if err := c.check(); err != nil {
		return Config{}, fmt.Errorf("link: %w", err)
	}
	if c.ClientID == "" {
		c.ClientID = "cellforge-net-" + c.Self
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = 256 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (c Config) check() error {
	if !idPattern.MatchString(c.Self) {
		return fmt.Errorf("Self %q: want \"hub\" or a site id (lowercase letters, digits, '.', '_', '-', at most 64)", c.Self)
	}
	if err := checkPrivateKey(c.Key); err != nil {
		return fmt.Errorf("Key: %w", err)
	}
	if err := c.checkPeers(); err != nil {
		return err
	}
	if err := checkBroker(c.Broker); err != nil {
		return fmt.Errorf("Broker %q: %w", c.Broker, err)
	}
	if c.Dir == "" {
		return errors.New("Dir: empty: the queue and the ledger need a directory")
	}
	return nil
}

func (c Config) checkPeers() error {
	if len(c.Peers) == 0 {
		return errors.New("Peers: none: a link needs at least one peer")
	}
	ids := make([]string, 0, len(c.Peers))
	for id := range c.Peers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		switch {
		case !idPattern.MatchString(id):
			return fmt.Errorf("Peers: %q: want \"hub\" or a site id", id)
		case id == c.Self:
			return fmt.Errorf("Peers: %q is Self", id)
		case c.Self != Hub && id != Hub:
			return fmt.Errorf("Peers: %q: a site's only peer is %q", id, Hub)
		case len(c.Peers[id]) != ed25519.PublicKeySize:
			return fmt.Errorf("Peers: %q: public key of %d bytes, want %d", id, len(c.Peers[id]), ed25519.PublicKeySize)
		}
	}
	return nil
}

func checkBroker(broker string) error {
	u, err := url.Parse(broker)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "tcp", "ssl", "mqtts":
	default:
		return errors.New("want tcp://, ssl:// or mqtts://host:port")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}
