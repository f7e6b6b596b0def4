package configs

import (
	"crypto/ed25519"
	"path/filepath"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The network section joins a site to a network of sites under a hub (issue 19): the site
// takes orders the hub routes to it and reports their progress, over signed messages through
// an MQTT broker.
//
//	network:
//	  site: porto                   # the site's id in the network (default: the file's site)
//	  broker: {url: "ssl://broker.example.net:8883", username: porto, password_file: /etc/cellforge/network.mqtt}
//	  key: /var/lib/cellforge/network.key   # the site's private key (default: <data>/network.key)
//	  hub_key: "ed25519:..."        # the hub's public key, as cellforge network keygen prints it
//
// A factory file without the section runs the site on its own, as before.

// Network is a site's link to its network's hub.
type Network struct {
	// Site is the site's id in the network: the file's site unless the section names another.
	Site string
	// Broker is how the site reaches the network's broker.
	Broker Broker
	// Key is the file of the site's private key; empty for DefaultKeyFile in the data directory.
	Key string
	// HubKey is the hub's public key: only messages it signed are taken.
	HubKey ed25519.PublicKey
	// Line is the line of the section in the file.
	Line int
}

// DefaultKeyFile is the name of the private key of a hub or a site in its data directory when
// the file names no other.
const DefaultKeyFile = "network.key"

// KeyFile returns the file of the site's private key: Key, or DefaultKeyFile in dataDir.
func (n *Network) KeyFile(dataDir string) string { return keyFile(n.Key, dataDir) }

// keyFile returns key, or DefaultKeyFile in dataDir when key is empty.
func keyFile(key, dataDir string) string {
	if key != "" {
		return key
	}
	return filepath.Join(dataDir, DefaultKeyFile)
}

// HubID is the id the hub goes by in the network's messages and topics; no site may take it.
const HubID = "hub"

// networkObject names the network section in every problem found in it.
const networkObject = "network"

// network decodes and checks the optional network section under key; site is the file's.
func (d *decoder) network(m *mapping, key string, site value[string]) value[*Network] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Network]{}
	}
	v := value[*Network]{Line: e.Key.Line}
	nm, ok := d.Mapping(e.Val, networkObject, "", "site", "broker", "key", "hub_key")
	if !ok {
		v.Bad = true
		return v
	}
	found := len(d.Errs)
	n := &Network{Line: e.Key.Line}
	id := d.Str(nm, "site")
	if id.Set() {
		d.siteID(id, e.Key.Line, networkObject, "site")
	} else if n.Site = site.V; site.V == HubID {
		// The file's site is checked with the file; here only what the network adds.
		d.Add(e.Key.Line, networkObject, "site", "the file's site %s is the hub's id in the network: name the site's id here", yamlfile.Quote(site.V))
	}
	if b := d.broker(nm, "broker", e.Key.Line, networkObject, "broker"); b != nil {
		n.Broker = *b
	}
	n.Key = d.keyPath(d.Str(nm, "key"), networkObject, "key")
	hk := d.Str(nm, "hub_key")
	if d.Required(hk, e.Key.Line, networkObject, "hub_key") {
		n.HubKey = d.publicKey(hk, networkObject, "hub_key")
	}
	if len(d.Errs) > found {
		v.Bad = true
		return v
	}
	if id.Set() {
		n.Site = id.V
	}
	v.V = n
	return v
}

// siteID checks the id of a site in the network: an id, and not the hub's.
func (d *decoder) siteID(v value[string], objectLine int, object, field string) bool {
	if !d.Required(v, objectLine, object, field) || !d.Shape(v, object, field, yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
		return false
	}
	if v.V == HubID {
		d.Add(v.Line, object, field, "%s is the hub's id in the network: a site needs another", yamlfile.Quote(v.V))
		return false
	}
	return true
}

// keyPath checks the optional path of a private key and returns it ("" when left out).
func (d *decoder) keyPath(v value[string], object, field string) string {
	if !checkable(v) {
		return ""
	}
	if v.V == "" {
		d.Add(v.Line, object, field, "must not be empty (leave the key out for %s in the data directory)", DefaultKeyFile)
		return ""
	}
	return v.V
}

// publicKey checks a public key written in the file and returns it, nil when it is bad.
func (d *decoder) publicKey(v value[string], object, field string) ed25519.PublicKey {
	key, err := ParsePublicKey(v.V)
	if err != nil {
		d.Add(v.Line, object, field, "%s", err.Error())
		return nil
	}
	return key
}
