package configs

import (
	"net"
	"net/url"
	"time"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Telemetry configures what the daemon publishes over MQTT and where it is written.
type Telemetry struct {
	// Interval is how often cells, devices and drops are sampled (default 5s).
	Interval time.Duration
	MQTT     MQTT
	// InfluxDB, when set, runs the bridge from MQTT into InfluxDB inside the daemon.
	InfluxDB *InfluxDB
	Buffer   Buffer
	Line     int
}

// MQTT is the broker telemetry is published to.
type MQTT struct {
	// Broker is the broker's URL (tcp://host:port or ssl://host:port); empty runs the embedded
	// broker on Listen.
	Broker string
	// Listen is the embedded broker's loopback address (default 127.0.0.1:1883).
	Listen string
	// ClientID is the daemon's session at the broker (default cellforge-<site>).
	ClientID string
	// QoS is 0 or 1 (default 1).
	QoS                byte
	Username, Password string
	// CAFile, CertFile and KeyFile are PEM files for TLS: the broker's CA, and the client's
	// certificate and key for mutual TLS. The daemon reads them at start.
	CAFile, CertFile, KeyFile string
}

// InfluxDB is the database the bridge writes to.
type InfluxDB struct {
	URL, Token, Org string
	// Bucket is "database/retention-policy" for InfluxDB 1.8 (default cellforge/autogen).
	Bucket string
	// Batch is the most points per write (default 5000).
	Batch int
}

// Buffer bounds the on-disk store-and-forward queues.
type Buffer struct {
	// MaxBytes bounds each queue (default 256 MiB); when full the oldest points are dropped.
	MaxBytes int64
	// MaxAge drops points older than this (default 7 days).
	MaxAge time.Duration
	// SyncEvery is how often queued points are fsync'd: at most this much is lost to a crash
	// (default 200ms, at most 1s).
	SyncEvery time.Duration
}

// telemetry decodes and checks the telemetry section.
func (d *decoder) telemetry(m *mapping, key, site string) value[*Telemetry] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Telemetry]{}
	}
	v := value[*Telemetry]{Line: e.Key.Line}
	const object = "telemetry"
	tm, ok := d.Mapping(e.Val, object, "", "interval", "mqtt", "influxdb", "buffer")
	if !ok {
		v.Bad = true
		return v
	}
	def := DefaultTelemetry(site)
	t := &def
	t.Line = e.Key.Line
	bad := false
	if iv := d.Duration(tm, "interval"); iv.Bad {
		bad = true
	} else if iv.Set() {
		if iv.V < 100*time.Millisecond || iv.V > time.Hour {
			d.Add(iv.Line, object, "interval", "%s out of range 100ms..1h", iv.V)
			bad = true
		}
		t.Interval = iv.V
	}
	if me, ok := tm.Entries["mqtt"]; ok && !yamlfile.IsNull(me.Val) && d.telemetryMQTT(me, t) {
		bad = true
	}
	if ie, ok := tm.Entries["influxdb"]; ok && !yamlfile.IsNull(ie.Val) && d.telemetryInfluxDB(ie, t) {
		bad = true
	}
	if be, ok := tm.Entries["buffer"]; ok && !yamlfile.IsNull(be.Val) && d.telemetryBuffer(be, t) {
		bad = true
	}
	if bad {
		v.Bad = true
		return v
	}
	v.V = t
	return v
}

// telemetryMQTT decodes the mqtt section of telemetry (entry me) into t; it reports whether the section is bad.
func (d *decoder) telemetryMQTT(me entry, t *Telemetry) (bad bool) {
	const object = "telemetry"
	mm, ok := d.Mapping(me.Val, object, "mqtt", "broker", "listen", "client_id", "qos", "username", "password", "ca_file", "cert_file", "key_file")
	if !ok {
		bad = true
	} else {
		if b := d.Str(mm, "broker"); b.Set() && !b.Bad {
			u, err := url.Parse(b.V)
			if err != nil || (u.Scheme != "tcp" && u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "mqtt" && u.Scheme != "mqtts") || u.Host == "" {
				d.Add(b.Line, object, "mqtt.broker", "invalid broker URL %s (want tcp://host:port or ssl://host:port)", yamlfile.Quote(b.V))
				bad = true
			}
			t.MQTT.Broker = b.V
		}
		if l := d.Str(mm, "listen"); l.Set() && !l.Bad {
			host, _, err := net.SplitHostPort(l.V)
			if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
				d.Add(l.Line, object, "mqtt.listen", "%s is not a loopback host:port: the embedded broker lets any client in, so it listens on loopback only", yamlfile.Quote(l.V))
				bad = true
			}
			t.MQTT.Listen = l.V
		}
		if c := d.Str(mm, "client_id"); c.Set() && !c.Bad {
			if c.V == "" || len(c.V) > 64 {
				d.Add(c.Line, object, "mqtt.client_id", "must be 1 to 64 characters")
				bad = true
			}
			t.MQTT.ClientID = c.V
		}
		if q := d.Integer(mm, "qos"); q.Set() && !q.Bad {
			if q.V != 0 && q.V != 1 {
				d.Add(q.Line, object, "mqtt.qos", "%d: want 0 or 1", q.V)
				bad = true
			}
			t.MQTT.QoS = byte(q.V)
		}
		t.MQTT.Username = d.Str(mm, "username").V
		t.MQTT.Password = d.Str(mm, "password").V
		t.MQTT.CAFile = d.Str(mm, "ca_file").V
		t.MQTT.CertFile = d.Str(mm, "cert_file").V
		t.MQTT.KeyFile = d.Str(mm, "key_file").V
		if (t.MQTT.CertFile == "") != (t.MQTT.KeyFile == "") {
			d.Add(me.Key.Line, object, "mqtt", "set both cert_file and key_file, or neither")
			bad = true
		}
	}
	return bad
}

// telemetryInfluxDB decodes the influxdb section of telemetry (entry ie) into t; it reports whether the section is bad.
func (d *decoder) telemetryInfluxDB(ie entry, t *Telemetry) (bad bool) {
	const object = "telemetry"
	im, ok := d.Mapping(ie.Val, object, "influxdb", "url", "token", "org", "bucket", "batch")
	if !ok {
		bad = true
	} else {
		in := &InfluxDB{Bucket: "cellforge/autogen", Batch: 5000}
		if u := d.Str(im, "url"); !u.Set() {
			d.Add(ie.Key.Line, object, "influxdb.url", "required")
			bad = true
		} else if !u.Bad {
			p, err := url.Parse(u.V)
			if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				d.Add(u.Line, object, "influxdb.url", "invalid URL %s (want http://host:port)", yamlfile.Quote(u.V))
				bad = true
			}
			in.URL = u.V
		}
		in.Token = d.Str(im, "token").V
		in.Org = d.Str(im, "org").V
		if b := d.Str(im, "bucket"); b.Set() && !b.Bad {
			in.Bucket = b.V
		}
		if n := d.Integer(im, "batch"); n.Set() && !n.Bad {
			if n.V < 1 || n.V > 100000 {
				d.Add(n.Line, object, "influxdb.batch", "%d out of range 1..100000", n.V)
				bad = true
			}
			in.Batch = int(n.V)
		}
		t.InfluxDB = in
	}
	return bad
}

// telemetryBuffer decodes the buffer section of telemetry (entry be) into t; it reports whether the section is bad.
func (d *decoder) telemetryBuffer(be entry, t *Telemetry) (bad bool) {
	const object = "telemetry"
	bm, ok := d.Mapping(be.Val, object, "buffer", "max_bytes", "max_age", "sync_every")
	if !ok {
		bad = true
	} else {
		if n := d.Integer(bm, "max_bytes"); n.Set() && !n.Bad {
			if n.V < 1<<20 {
				d.Add(n.Line, object, "buffer.max_bytes", "%d: at least 1048576 (1 MiB)", n.V)
				bad = true
			}
			t.Buffer.MaxBytes = n.V
		}
		if a := d.Duration(bm, "max_age"); a.Set() && !a.Bad {
			if a.V < time.Minute {
				d.Add(a.Line, object, "buffer.max_age", "%s: at least 1m", a.V)
				bad = true
			}
			t.Buffer.MaxAge = a.V
		}
		if s := d.Duration(bm, "sync_every"); s.Set() && !s.Bad {
			if s.V <= 0 || s.V > time.Second {
				d.Add(s.Line, object, "buffer.sync_every", "%s out of range 1ms..1s: a crash loses at most this much", s.V)
				bad = true
			}
			t.Buffer.SyncEvery = s.V
		}
	}
	return bad
}

// DefaultTelemetry is the telemetry of a factory whose file has no telemetry section: the
// embedded broker on 127.0.0.1:1883, QoS 1, no InfluxDB.
func DefaultTelemetry(site string) Telemetry {
	return Telemetry{
		Interval: 5 * time.Second,
		MQTT:     MQTT{Listen: "127.0.0.1:1883", ClientID: "cellforge-" + site, QoS: 1},
		Buffer:   Buffer{MaxBytes: 256 << 20, MaxAge: 7 * 24 * time.Hour, SyncEvery: 200 * time.Millisecond},
	}
}
