package configs

import (
	"net"
	"net/url"
	"slices"
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
	// Sparkplug, when set, runs a Sparkplug B edge node beside the topic tree.
	Sparkplug *Sparkplug
	Line      int
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

// DefaultTelemetry is the telemetry of a factory whose file has no telemetry section: the
// embedded broker on 127.0.0.1:1883, QoS 1, no InfluxDB. A section in the file is built over it,
// field by field.
func DefaultTelemetry(site string) Telemetry {
	return Telemetry{
		Interval: 5 * time.Second,
		MQTT:     MQTT{Listen: "127.0.0.1:1883", ClientID: "cellforge-" + site, QoS: 1},
		Buffer:   Buffer{MaxBytes: 256 << 20, MaxAge: 7 * 24 * time.Hour, SyncEvery: 200 * time.Millisecond},
	}
}

// defaultInfluxDB is the influxdb part of a telemetry section that gives only the URL: the
// cellforge database's default retention policy, 5000 points a write.
func defaultInfluxDB() InfluxDB {
	return InfluxDB{Bucket: "cellforge/autogen", Batch: 5000}
}

// The telemetry section is decoded the way Prometheus decodes its sections: each part (the
// interval, mqtt, influxdb, buffer) is decoded into a raw part that keeps every field's line and
// is then checked by that part's own validate, which alone holds the part's rules and reports
// each problem at its field's line; a sound section is built into a Telemetry over the defaults
// of DefaultTelemetry, the one place they are written.

// telemetryObject names the section in every problem found in it.
const telemetryObject = "telemetry"

// Limits of the telemetry section. The messages that quote them spell them out.
const (
	minInterval    = 100 * time.Millisecond
	maxInterval    = time.Hour
	maxClientID    = 64 // bytes
	minBatch       = 1
	maxBatch       = 100_000
	minBufferBytes = 1 << 20
	minBufferAge   = time.Minute
	maxSyncEvery   = time.Second
)

// rawTelemetry is the telemetry section as written. A part left out, or written empty, is nil
// and takes its defaults.
type rawTelemetry struct {
	line      int
	Interval  value[time.Duration]
	MQTT      *rawMQTT
	InfluxDB  *rawInfluxDB
	Buffer    *rawBuffer
	Sparkplug *rawSparkplug
}

// rawMQTT is the mqtt part as written; line is its key's.
type rawMQTT struct {
	line                                          int
	Broker, Listen, ClientID                      value[string]
	QoS                                           value[int64]
	Username, Password, CAFile, CertFile, KeyFile value[string]
}

// rawInfluxDB is the influxdb part as written; line is its key's.
type rawInfluxDB struct {
	line                    int
	URL, Token, Org, Bucket value[string]
	Batch                   value[int64]
}

// rawBuffer is the buffer part as written.
type rawBuffer struct {
	MaxBytes          value[int64]
	MaxAge, SyncEvery value[time.Duration]
}

// telemetry decodes and checks the telemetry section under key; a sound one is built over the
// defaults of the factory's site.
func (d *decoder) telemetry(m *mapping, key, site string) value[*Telemetry] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Telemetry]{}
	}
	v := value[*Telemetry]{Line: e.Key.Line}
	found := len(d.Errs)
	r := d.telemetrySection(e)
	if r == nil || len(d.Errs) > found {
		v.Bad = true
		return v
	}
	t := r.build(site)
	v.V = &t
	return v
}

// telemetrySection decodes the section of entry e part by part, each part checked as soon as it
// is decoded (as a Prometheus section's UnmarshalYAML validates it), so that the problems of a
// section written on one line come in the order of its parts; within a part, what failed to
// decode comes before what breaks a rule. It returns nil when the section is not a mapping.
func (d *decoder) telemetrySection(e entry) *rawTelemetry {
	tm, ok := d.Mapping(e.Val, telemetryObject, "", "interval", "mqtt", "influxdb", "buffer", "sparkplug")
	if !ok {
		return nil
	}
	r := &rawTelemetry{line: e.Key.Line, Interval: d.Duration(tm, "interval")}
	r.validateInterval(d)
	if pe, ok := part(tm, "mqtt"); ok {
		if r.MQTT = d.telemetryMQTT(pe); r.MQTT != nil {
			r.MQTT.validate(d)
		}
	}
	if pe, ok := part(tm, "influxdb"); ok {
		if r.InfluxDB = d.telemetryInfluxDB(pe); r.InfluxDB != nil {
			r.InfluxDB.validate(d)
		}
	}
	if pe, ok := part(tm, "buffer"); ok {
		if r.Buffer = d.telemetryBuffer(pe); r.Buffer != nil {
			r.Buffer.validate(d)
		}
	}
	if pe, ok := part(tm, "sparkplug"); ok {
		if r.Sparkplug = d.telemetrySparkplug(pe); r.Sparkplug != nil {
			r.Sparkplug.validate(d, r.MQTT)
		}
	}
	return r
}

// part returns the entry of a part of a section when it is written with a value.
func part(m *mapping, key string) (entry, bool) {
	e, ok := m.Entries[key]
	return e, ok && !yamlfile.IsNull(e.Val)
}

// telemetryMQTT decodes the mqtt part (entry e); nil when it is not a mapping.
func (d *decoder) telemetryMQTT(e entry) *rawMQTT {
	mm, ok := d.Mapping(e.Val, telemetryObject, "mqtt", "broker", "listen", "client_id", "qos", "username", "password", "ca_file", "cert_file", "key_file")
	if !ok {
		return nil
	}
	// In the order of the keys above, which is the order their problems are found in.
	return &rawMQTT{
		line:     e.Key.Line,
		Broker:   d.Str(mm, "broker"),
		Listen:   d.Str(mm, "listen"),
		ClientID: d.Str(mm, "client_id"),
		QoS:      d.Integer(mm, "qos"),
		Username: d.Str(mm, "username"),
		Password: d.Str(mm, "password"),
		CAFile:   d.Str(mm, "ca_file"),
		CertFile: d.Str(mm, "cert_file"),
		KeyFile:  d.Str(mm, "key_file"),
	}
}

// telemetryInfluxDB decodes the influxdb part (entry e); nil when it is not a mapping.
func (d *decoder) telemetryInfluxDB(e entry) *rawInfluxDB {
	im, ok := d.Mapping(e.Val, telemetryObject, "influxdb", "url", "token", "org", "bucket", "batch")
	if !ok {
		return nil
	}
	return &rawInfluxDB{
		line:   e.Key.Line,
		URL:    d.Str(im, "url"),
		Token:  d.Str(im, "token"),
		Org:    d.Str(im, "org"),
		Bucket: d.Str(im, "bucket"),
		Batch:  d.Integer(im, "batch"),
	}
}

// telemetryBuffer decodes the buffer part (entry e); nil when it is not a mapping.
func (d *decoder) telemetryBuffer(e entry) *rawBuffer {
	bm, ok := d.Mapping(e.Val, telemetryObject, "buffer", "max_bytes", "max_age", "sync_every")
	if !ok {
		return nil
	}
	return &rawBuffer{
		MaxBytes:  d.Integer(bm, "max_bytes"),
		MaxAge:    d.Duration(bm, "max_age"),
		SyncEvery: d.Duration(bm, "sync_every"),
	}
}

// checkable reports whether v was written and decoded, so that a rule has a value to check; a
// value that failed to decode is already reported.
func checkable[T any](v value[T]) bool { return v.Set() && !v.Bad }

// validateInterval checks how often the floor is sampled.
func (r *rawTelemetry) validateInterval(d *decoder) {
	if iv := r.Interval; checkable(iv) && (iv.V < minInterval || iv.V > maxInterval) {
		d.Add(iv.Line, telemetryObject, "interval", "%s out of range 100ms..1h", iv.V)
	}
}

// validate checks the broker's URL, the embedded broker's address (loopback only: it lets any
// client in), the client id, the QoS, and that a client certificate comes with its key.
func (m *rawMQTT) validate(d *decoder) {
	if b := m.Broker; checkable(b) && !isBrokerURL(b.V) {
		d.Add(b.Line, telemetryObject, "mqtt.broker", "invalid broker URL %s (want tcp://host:port or ssl://host:port)", yamlfile.Quote(b.V))
	}
	if l := m.Listen; checkable(l) && !isLoopbackAddress(l.V) {
		d.Add(l.Line, telemetryObject, "mqtt.listen", "%s is not a loopback host:port: the embedded broker lets any client in, so it listens on loopback only", yamlfile.Quote(l.V))
	}
	if c := m.ClientID; checkable(c) && (c.V == "" || len(c.V) > maxClientID) {
		d.Add(c.Line, telemetryObject, "mqtt.client_id", "must be 1 to 64 characters")
	}
	if q := m.QoS; checkable(q) && q.V != 0 && q.V != 1 {
		d.Add(q.Line, telemetryObject, "mqtt.qos", "%d: want 0 or 1", q.V)
	}
	if (m.CertFile.V == "") != (m.KeyFile.V == "") {
		d.Add(m.line, telemetryObject, "mqtt", "set both cert_file and key_file, or neither")
	}
}

// validate checks that the InfluxDB URL is written and is an HTTP one, and the batch size.
func (in *rawInfluxDB) validate(d *decoder) {
	switch u := in.URL; {
	case !u.Set():
		d.Add(in.line, telemetryObject, "influxdb.url", "required")
	case !u.Bad && !isHTTPURL(u.V):
		d.Add(u.Line, telemetryObject, "influxdb.url", "invalid URL %s (want http://host:port)", yamlfile.Quote(u.V))
	}
	if n := in.Batch; checkable(n) && (n.V < minBatch || n.V > maxBatch) {
		d.Add(n.Line, telemetryObject, "influxdb.batch", "%d out of range 1..100000", n.V)
	}
}

// validate checks the bounds of the on-disk queues: a size and an age worth buffering, and a
// sync interval short enough for what a crash may lose.
func (b *rawBuffer) validate(d *decoder) {
	if n := b.MaxBytes; checkable(n) && n.V < minBufferBytes {
		d.Add(n.Line, telemetryObject, "buffer.max_bytes", "%d: at least 1048576 (1 MiB)", n.V)
	}
	if a := b.MaxAge; checkable(a) && a.V < minBufferAge {
		d.Add(a.Line, telemetryObject, "buffer.max_age", "%s: at least 1m", a.V)
	}
	if s := b.SyncEvery; checkable(s) && (s.V <= 0 || s.V > maxSyncEvery) {
		d.Add(s.Line, telemetryObject, "buffer.sync_every", "%s out of range 1ms..1s: a crash loses at most this much", s.V)
	}
}

// isBrokerURL reports whether s is an MQTT broker's URL with a host.
func isBrokerURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts"}, u.Scheme)
}

// isLoopbackAddress reports whether s is a host:port on loopback.
func isLoopbackAddress(s string) bool {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// isHTTPURL reports whether s is an http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https")
}

// build turns a sound section into a Telemetry: what the file says, over DefaultTelemetry(site).
func (r *rawTelemetry) build(site string) Telemetry {
	t := DefaultTelemetry(site)
	t.Line = r.line
	override(&t.Interval, r.Interval)
	if r.MQTT != nil {
		r.MQTT.build(&t.MQTT)
	}
	if r.InfluxDB != nil {
		t.InfluxDB = r.InfluxDB.build()
	}
	if r.Buffer != nil {
		r.Buffer.build(&t.Buffer)
	}
	if r.Sparkplug != nil {
		t.Sparkplug = r.Sparkplug.build(site, t.MQTT)
	}
	return t
}

// build writes what the mqtt part says over mq.
func (m *rawMQTT) build(mq *MQTT) {
	override(&mq.Broker, m.Broker)
	override(&mq.Listen, m.Listen)
	override(&mq.ClientID, m.ClientID)
	if m.QoS.Set() {
		mq.QoS = byte(m.QoS.V)
	}
	override(&mq.Username, m.Username)
	override(&mq.Password, m.Password)
	override(&mq.CAFile, m.CAFile)
	override(&mq.CertFile, m.CertFile)
	override(&mq.KeyFile, m.KeyFile)
}

// build returns what the influxdb part says, over defaultInfluxDB.
func (in *rawInfluxDB) build() *InfluxDB {
	db := defaultInfluxDB()
	override(&db.URL, in.URL)
	override(&db.Token, in.Token)
	override(&db.Org, in.Org)
	override(&db.Bucket, in.Bucket)
	if in.Batch.Set() {
		db.Batch = int(in.Batch.V)
	}
	return &db
}

// build writes what the buffer part says over buf.
func (b *rawBuffer) build(buf *Buffer) {
	override(&buf.MaxBytes, b.MaxBytes)
	override(&buf.MaxAge, b.MaxAge)
	override(&buf.SyncEvery, b.SyncEvery)
}

// override sets *dst to v's value when v is written in the file.
func override[T any](dst *T, v value[T]) {
	if v.Set() {
		*dst = v.V
	}
}
