package configs

import (
	"crypto/ed25519"
	"time"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The hub's file configures `cellforge hub`, which keeps the order book of a network of sites
// and routes each order to the site that can make it in time nearest the customer:
//
//	name: North Atlantic makers
//	store: {postgres: "postgres://hub@127.0.0.1/cellforge"}
//	broker: {url: "ssl://127.0.0.1:8883", username: hub, password_file: /etc/cellforge/hub.mqtt, ca_file: ca.pem}
//	key: /var/lib/cellforge-hub/network.key
//	ack_timeout: 2m
//	promise_timeout: 10s
//	online_within: 90s
//	sites:
//	  - {id: porto, name: Porto loom studio, location: {lat: 41.15, lon: -8.61}, key: "ed25519:..."}
//	drops:
//	  - {id: winter-26, date: 2026-12-18, skus: [RUG-KILIM-L, SCARF-MERINO]}
//	tokens:
//	  - {name: planning, role: planner, sha256: ...}
//
// It is decoded as strictly as a factory file, and every problem names the file, the line, the
// object and the field. As in a factory file, it holds no password: the database's comes from
// PGPASSWORD or ~/.pgpass, the broker's from password_file or password_env.

// Hub is a whole, validated hub configuration.
type Hub struct {
	// File is the name the configuration was parsed under, used in messages.
	File string
	// Name is the network's display name (default "hub").
	Name string
	// Postgres is the URL of the PostgreSQL database of the network's book.
	Postgres string
	// Broker is how the hub reaches the network's broker.
	Broker Broker
	// Key is the file of the hub's private key; empty for DefaultKeyFile in the data directory.
	Key string
	// AckTimeout is how long a site has to acknowledge an order routed to it before the order
	// goes to the next best site (DefaultAckTimeout).
	AckTimeout time.Duration
	// PromiseTimeout is how long routing waits for the sites' promises (DefaultPromiseTimeout).
	PromiseTimeout time.Duration
	// OnlineWithin is how recently a site must have spoken to count as online
	// (DefaultOnlineWithin).
	OnlineWithin time.Duration
	// Sites are the network's sites, in file order.
	Sites []HubSite
	// Drops are the network's drops, in file order.
	Drops []HubDrop
	// Tokens are the bearer tokens of the hub's API clients.
	Tokens []Token
}

// KeyFile returns the file of the hub's private key: Key, or DefaultKeyFile in dataDir.
func (h *Hub) KeyFile(dataDir string) string { return keyFile(h.Key, dataDir) }

// HubSite is a site of the network as the hub's file lists it.
type HubSite struct {
	// ID is the site's id in the network, the one its factory file's network section gives.
	ID string
	// Name is the site's display name (default: the id).
	Name string
	// Location is where the site is, to route orders to the site nearest their customer.
	Location Location
	// Key is the site's public key: only messages it signed are taken from the site.
	Key ed25519.PublicKey
	// Line is the line of the site in the file.
	Line int
}

// Location is a place on Earth in decimal degrees (WGS 84).
type Location struct {
	Lat, Lon float64
}

// HubDrop is a drop the network sells: orders for it are imported at the hub and routed to
// the sites that make its SKUs.
type HubDrop struct {
	ID string
	// Date is the day of the drop (midnight UTC when written as a date).
	Date time.Time
	// SKUs are the products the drop sells, in file order.
	SKUs []string
	// Line is the line of the drop in the file.
	Line int
}

// Defaults and limits of the hub's timing.
const (
	DefaultAckTimeout     = 2 * time.Minute
	DefaultPromiseTimeout = 10 * time.Second
	DefaultOnlineWithin   = 90 * time.Second
)

// hubTimings are the hub's durations: their keys, defaults and ranges, in file key order.
var hubTimings = []struct {
	key      string
	def      time.Duration
	min, max time.Duration
}{
	{"ack_timeout", DefaultAckTimeout, time.Second, 24 * time.Hour},
	{"promise_timeout", DefaultPromiseTimeout, 100 * time.Millisecond, 10 * time.Minute},
	{"online_within", DefaultOnlineWithin, time.Second, 24 * time.Hour},
}

// hubRoleRule says which roles a hub's token may hold.
const hubRoleRule = "want planner, manager or admin: the hub has no floor, so no operator"

// isHubRole reports whether a hub's token may hold role s.
func isHubRole(s string) bool { return s != RoleOperator && isRole(s) }

// ParseHub decodes a hub's configuration, applies defaults and validates it. file names the
// configuration in messages and in Hub.File ("<config>" when empty); ParseHub never opens it.
// Decoding is as strict as Parse's, and like Parse it reports every problem it finds as an
// Errors, one Error per problem in file order; on error the Hub is nil.
func ParseHub(file string, data []byte) (*Hub, error) {
	if file == "" {
		file = "<config>"
	}
	d := &decoder{Decoder: yamlfile.Decoder{File: file}}
	var h *Hub
	if root := d.Document(data); root != nil {
		if raw, ok := d.hub(root); ok {
			raw.validate(d)
			if len(d.Errs) == 0 {
				h = raw.build(file)
			}
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return h, nil
}
