package configs

import (
	"crypto/ed25519"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// rawHub is a hub's file as written, every field with its line. The broker section is decoded
// and checked on its own (nil when it has a problem, already reported).
type rawHub struct {
	line     int
	Name     value[string]
	Postgres value[string]
	Broker   *Broker
	Key      string
	Timings  []value[time.Duration] // in the order of hubTimings
	Sites    value[[]rawHubSite]
	Drops    value[[]rawHubDrop]
	Tokens   value[[]rawToken]
}

// rawHubSite is a site of the hub's file as written.
type rawHubSite struct {
	object       string
	line         int
	bad          bool
	ID, Name     value[string]
	locationLine int // the location key's; 0 when absent
	Lat, Lon     value[float64]
	Key          value[string]
}

// rawHubDrop is a drop of the hub's file as written.
type rawHubDrop struct {
	object string
	line   int
	bad    bool
	ID     value[string]
	Date   value[time.Time]
	SKUs   value[[]value[string]]
}

// hub decodes the top level of a hub's file; ok is false when it is not a mapping.
func (d *decoder) hub(n *yaml.Node) (h rawHub, ok bool) {
	h = rawHub{line: n.Line}
	m, ok := d.Mapping(n, "", "", "name", "store", "broker", "key", "ack_timeout", "promise_timeout", "online_within", "sites", "drops", "tokens")
	if !ok {
		return h, false
	}
	h.Name = d.Str(m, "name")
	h.Postgres = d.hubStore(m, n.Line)
	h.Broker = d.broker(m, "broker", n.Line, "broker", "")
	h.Key = d.keyPath(d.Str(m, "key"), "", "key")
	for _, t := range hubTimings {
		h.Timings = append(h.Timings, d.Duration(m, t.key))
	}
	h.Sites = yamlfile.List(&d.Decoder, m, "sites", d.hubSite)
	h.Drops = yamlfile.List(&d.Decoder, m, "drops", d.hubDrop)
	h.Tokens = yamlfile.List(&d.Decoder, m, "tokens", d.token)
	return h, true
}

// hubStore decodes and checks the store section, which must name the PostgreSQL database of
// the network's book; line is the top level's, where a missing section is reported.
func (d *decoder) hubStore(m *mapping, line int) value[string] {
	const object = "store"
	e, ok := m.Entries["store"]
	if !ok || yamlfile.IsNull(e.Val) {
		d.Add(m.Line("store", line), "", "store", "required: the hub keeps the network's book on PostgreSQL (store: {postgres: postgres://user@host/database})")
		return value[string]{Bad: true}
	}
	sm, ok := d.Mapping(e.Val, object, "", "postgres")
	if !ok {
		return value[string]{Bad: true}
	}
	pv := d.Str(sm, "postgres")
	if !d.Required(pv, e.Key.Line, object, "postgres") {
		pv.Bad = true
		return pv
	}
	if msg := checkPostgresURL(pv.V); msg != "" {
		d.Add(pv.Line, object, "postgres", "%s", msg)
		pv.Bad = true
	}
	return pv
}

// hubSite decodes the i-th site of the hub's file.
func (d *decoder) hubSite(n *yaml.Node, i int) rawHubSite {
	s := rawHubSite{line: n.Line, object: yamlfile.ObjectName("site", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, s.object, "", "id", "name", "location", "key")
	if !ok {
		s.bad = true
		return s
	}
	s.ID = d.Str(m, "id")
	s.Name = d.Str(m, "name")
	if e, ok := m.Entries["location"]; ok {
		s.locationLine = e.Key.Line
		if lm, ok := d.Mapping(e.Val, s.object, "location", "lat", "lon"); ok {
			s.Lat, s.Lon = d.Number(lm, "lat"), d.Number(lm, "lon")
		} else {
			s.Lat.Bad, s.Lon.Bad = true, true
		}
	}
	s.Key = d.Str(m, "key")
	return s
}

// hubDrop decodes the i-th drop of the hub's file.
func (d *decoder) hubDrop(n *yaml.Node, i int) rawHubDrop {
	dr := rawHubDrop{line: n.Line, object: yamlfile.ObjectName("drop", yamlfile.Peek(n, "id"), i)}
	m, ok := d.Mapping(n, dr.object, "", "id", "date", "skus")
	if !ok {
		dr.bad = true
		return dr
	}
	dr.ID = d.Str(m, "id")
	dr.Date = d.Date(m, "date")
	dr.SKUs = yamlfile.List(&d.Decoder, m, "skus", func(n *yaml.Node, _ int) value[string] {
		s, bad := d.Scalar(n, dr.object, "skus", "a sku")
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
	return dr
}

// validate checks what decoding cannot: the required fields, the ranges of the timings, the
// sites (ids, names, places and keys, none twice), the drops and the tokens.
func (h *rawHub) validate(d *decoder) {
	d.name(h.Name, "", "name")
	for i, t := range hubTimings {
		if v := h.Timings[i]; checkable(v) && (v.V < t.min || v.V > t.max) {
			d.Add(v.Line, "", t.key, "%s out of range %s..%s", v.V, t.min, t.max)
		}
	}
	h.validateSites(d)
	h.validateDrops(d)
	d.checkTokens(h.Tokens.V, isHubRole, hubRoleRule)
}

// validateSites checks the sites: at least one, each with a unique id that is not the hub's, a
// name, a place on Earth, and a public key of its own.
func (h *rawHub) validateSites(d *decoder) {
	if !d.NonEmpty(len(h.Sites.V), h.Sites.Line, h.Sites.Bad, h.line, "", "sites", "site") {
		return
	}
	ids, keys := make(map[string]int), make(map[string]rawHubSite)
	for _, s := range h.Sites.V {
		if s.bad {
			continue
		}
		if d.siteID(s.ID, s.line, s.object, "id") {
			d.Unique(ids, s.ID, "", "sites", "duplicate site id %s (first at line %d)")
		}
		d.name(s.Name, s.object, "name")
		s.validateLocation(d)
		if !d.Required(s.Key, s.line, s.object, "key") {
			continue
		}
		if d.publicKey(s.Key, s.object, "key") == nil {
			continue
		}
		if first, dup := keys[s.Key.V]; dup {
			d.Add(s.Key.Line, s.object, "key", "same key as %s (line %d): each site signs with its own", first.object, first.line)
			continue
		}
		keys[s.Key.V] = s
	}
}

// validateLocation checks that the site's place is written and on Earth.
func (s *rawHubSite) validateLocation(d *decoder) {
	if s.locationLine == 0 {
		d.Add(s.line, s.object, "location", "required: routing sends an order to the site nearest its customer")
		return
	}
	for _, c := range []struct {
		field string
		v     value[float64]
		limit float64
	}{{"location.lat", s.Lat, 90}, {"location.lon", s.Lon, 180}} {
		switch {
		case c.v.Bad:
		case !c.v.Set():
			d.Add(s.locationLine, s.object, c.field, "required")
		case c.v.V < -c.limit || c.v.V > c.limit:
			d.Add(c.v.Line, s.object, c.field, "%g out of range %g..%g (decimal degrees)", c.v.V, -c.limit, c.limit)
		}
	}
}

// validateDrops checks the drops: each with a unique id, a date in range and at least one SKU,
// none twice.
func (h *rawHub) validateDrops(d *decoder) {
	if !d.NonEmpty(len(h.Drops.V), h.Drops.Line, h.Drops.Bad, h.line, "", "drops", "drop") {
		return
	}
	ids := make(map[string]int)
	for _, dr := range h.Drops.V {
		if dr.bad {
			continue
		}
		if d.Required(dr.ID, dr.line, dr.object, "id") && d.Shape(dr.ID, dr.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(ids, dr.ID, "", "drops", "duplicate drop id %s (first at line %d)")
		}
		d.dropDate(dr.Date, dr.line, dr.object)
		if !d.NonEmpty(len(dr.SKUs.V), dr.SKUs.Line, dr.SKUs.Bad, dr.line, dr.object, "skus", "sku") {
			continue
		}
		skus := make(map[string]int)
		for _, sku := range dr.SKUs.V {
			if !sku.Bad && d.Shape(sku, dr.object, "skus", isSKU, "invalid sku %s ("+skuRule+")") {
				d.Unique(skus, sku, dr.object, "skus", "sku %s listed twice (first at line %d)")
			}
		}
	}
}

// build turns a validated hub's file into the model, over the defaults.
func (h *rawHub) build(file string) *Hub {
	out := &Hub{File: file, Name: h.Name.V, Postgres: h.Postgres.V, Broker: *h.Broker, Key: h.Key}
	if out.Name == "" {
		out.Name = HubID
	}
	durations := []*time.Duration{&out.AckTimeout, &out.PromiseTimeout, &out.OnlineWithin}
	for i, t := range hubTimings {
		*durations[i] = t.def
		override(durations[i], h.Timings[i])
	}
	for _, s := range h.Sites.V {
		key, _ := ParsePublicKey(s.Key.V)
		name := s.Name.V
		if name == "" {
			name = s.ID.V
		}
		out.Sites = append(out.Sites, HubSite{ID: s.ID.V, Name: name, Location: Location{Lat: s.Lat.V, Lon: s.Lon.V}, Key: ed25519.PublicKey(key), Line: s.line})
	}
	for _, dr := range h.Drops.V {
		drop := HubDrop{ID: dr.ID.V, Date: dr.Date.V, Line: dr.line}
		for _, sku := range dr.SKUs.V {
			drop.SKUs = append(drop.SKUs, sku.V)
		}
		out.Drops = append(out.Drops, drop)
	}
	for _, t := range h.Tokens.V {
		out.Tokens = append(out.Tokens, Token{Name: t.Name.V, Role: t.Role.V, Token: t.Token.V, SHA256: t.SHA256.V, Line: t.line})
	}
	return out
}
