package configs

import (
	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Sparkplug is the Sparkplug B edge node the daemon runs beside its own topic tree, when the
// telemetry section has a sparkplug part:
//
//	telemetry:
//	  sparkplug:
//	    group: studio                  # the Sparkplug group id (required)
//	    node: loft                     # the edge node id (default: the site)
//	    broker: tcp://scada.lan:1883   # default: the telemetry's broker (the embedded one when none)
//	    client_id: loft-spb            # default: the telemetry's client id and "-sparkplug"
//	    username: spb                  # with broker: its credentials (default: none)
//	    password: change-me
//
// Without a broker of its own the node uses the telemetry's broker with its credentials and
// TLS files.
type Sparkplug struct {
	Group, Node string
	// Broker is the broker's URL; empty: the telemetry's broker.
	Broker             string
	ClientID           string
	Username, Password string
	Line               int
}

// rawSparkplug is the sparkplug part as written; line is its key's.
type rawSparkplug struct {
	line                                              int
	Group, Node, Broker, ClientID, Username, Password value[string]
}

// maxSparkplugID is the longest group or edge node id.
const maxSparkplugID = 64

// telemetrySparkplug decodes the sparkplug part (entry e); nil when it is not a mapping.
func (d *decoder) telemetrySparkplug(e entry) *rawSparkplug {
	sm, ok := d.Mapping(e.Val, telemetryObject, "sparkplug", "group", "node", "broker", "client_id", "username", "password")
	if !ok {
		return nil
	}
	return &rawSparkplug{
		line:     e.Key.Line,
		Group:    d.Str(sm, "group"),
		Node:     d.Str(sm, "node"),
		Broker:   d.Str(sm, "broker"),
		ClientID: d.Str(sm, "client_id"),
		Username: d.Str(sm, "username"),
		Password: d.Str(sm, "password"),
	}
}

// validate checks the ids that go into Sparkplug topics, the broker's URL, and that the node's
// client id is not the publisher's (mq, nil when the mqtt part is left out): one would throw
// the other off the broker.
func (s *rawSparkplug) validate(d *decoder, mq *rawMQTT) {
	const rule = "must be 1 to 64 of letters, digits, '-', '_' and '.' (no MQTT separator or wildcard)"
	switch g := s.Group; {
	case !g.Set():
		d.Add(s.line, telemetryObject, "sparkplug.group", "required")
	case !g.Bad && !isSparkplugID(g.V):
		d.Add(g.Line, telemetryObject, "sparkplug.group", "%s %s", yamlfile.Quote(g.V), rule)
	}
	if n := s.Node; checkable(n) && !isSparkplugID(n.V) {
		d.Add(n.Line, telemetryObject, "sparkplug.node", "%s %s", yamlfile.Quote(n.V), rule)
	}
	if b := s.Broker; checkable(b) && !isBrokerURL(b.V) {
		d.Add(b.Line, telemetryObject, "sparkplug.broker", "invalid broker URL %s (want tcp://host:port or ssl://host:port)", yamlfile.Quote(b.V))
	}
	if c := s.ClientID; checkable(c) {
		switch {
		case c.V == "" || len(c.V) > maxClientID:
			d.Add(c.Line, telemetryObject, "sparkplug.client_id", "must be 1 to 64 characters")
		case mq != nil && mq.ClientID.Set() && mq.ClientID.V == c.V && !s.Broker.Set():
			d.Add(c.Line, telemetryObject, "sparkplug.client_id", "%s is mqtt.client_id too: on one broker each would throw the other off", yamlfile.Quote(c.V))
		}
	}
	if (s.Username.Set() || s.Password.Set()) && !s.Broker.Set() {
		d.Add(s.line, telemetryObject, "sparkplug", "username and password go with a broker of its own (without one the node uses mqtt's)")
	}
}

// isSparkplugID reports whether s can be a Sparkplug group, edge node or device id here.
func isSparkplugID(s string) bool {
	if s == "" || len(s) > maxSparkplugID {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// build returns what the sparkplug part says over its defaults: the site as the node id, the
// publisher's client id (mq's, built) followed by "-sparkplug".
func (s *rawSparkplug) build(site string, mq MQTT) *Sparkplug {
	sp := &Sparkplug{Node: site, ClientID: mq.ClientID + "-sparkplug", Line: s.line}
	override(&sp.Group, s.Group)
	override(&sp.Node, s.Node)
	override(&sp.Broker, s.Broker)
	override(&sp.ClientID, s.ClientID)
	override(&sp.Username, s.Username)
	override(&sp.Password, s.Password)
	return sp
}
