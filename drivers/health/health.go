// Package health records how each device connection is doing (connected or
// not, the last round trip, requests and errors by kind) and exports it as
// Prometheus metrics. Every driver reports through it, so one set of metric
// names covers Modbus devices and printers alike.
//
// It imports only the standard library and the Prometheus client.
package health

import (
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Error kinds a driver reports with [Device.Failure]. Drivers may use other
// short lowercase words; these are the ones the dashboards know.
const (
	KindTimeout   = "timeout"   // no answer within the configured timeout
	KindException = "exception" // the device answered with a protocol exception
	KindFrame     = "frame"     // a malformed answer: bad CRC, wrong length, wrong id
	KindIO        = "io"        // the connection or port failed
	KindDevice    = "device"    // the device reports a fault of its own (paper out, head open)
)

// Metrics holds the Prometheus collectors shared by all devices.
type Metrics struct {
	connected *prometheus.GaugeVec
	rtt       *prometheus.HistogramVec
	lastRTT   *prometheus.GaugeVec
	requests  *prometheus.CounterVec
	errors    *prometheus.CounterVec

	mu      sync.Mutex
	devices map[string]*Device
}

// NewMetrics registers the device health collectors with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellforge_device_connected",
			Help: "1 when the device's connection is up and its last request was answered.",
		}, []string{"device", "driver"}),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellforge_device_round_trip_seconds",
			Help:    "Round trip of answered device requests.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2},
		}, []string{"device", "driver"}),
		lastRTT: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cellforge_device_last_round_trip_seconds",
			Help: "Round trip of the device's last answered request.",
		}, []string{"device", "driver"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellforge_device_requests_total",
			Help: "Requests sent to the device, answered or not.",
		}, []string{"device", "driver"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellforge_device_errors_total",
			Help: "Failed device requests, by kind (timeout, exception, frame, io, device).",
		}, []string{"device", "driver", "kind"}),
		devices: make(map[string]*Device),
	}
	for _, c := range []prometheus.Collector{m.connected, m.rtt, m.lastRTT, m.requests, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Device returns the health record of the named device, creating it on
// first use. A nil *Metrics returns a record that is kept but not exported,
// so drivers need no special case in tests.
func (m *Metrics) Device(name, driver string) *Device {
	if m == nil {
		return &Device{name: name, driver: driver, errs: map[string]uint64{}}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.devices[name]; ok {
		return d
	}
	d := &Device{
		name:      name,
		driver:    driver,
		errs:      map[string]uint64{},
		connected: m.connected.WithLabelValues(name, driver),
		rtt:       m.rtt.WithLabelValues(name, driver),
		lastRTT:   m.lastRTT.WithLabelValues(name, driver),
		requests:  m.requests.WithLabelValues(name, driver),
		errors:    m.errors,
	}
	d.connected.Set(0)
	m.devices[name] = d
	return d
}

// Snapshots returns the health of every device, sorted by name.
func (m *Metrics) Snapshots() []Snapshot {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	out := make([]Snapshot, 0, len(m.devices))
	for _, d := range m.devices {
		out = append(out, d.Snapshot())
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// Device is the health record of one device. Its methods are safe for
// concurrent use.
type Device struct {
	name, driver string

	connected prometheus.Gauge
	rtt       prometheus.Observer
	lastRTT   prometheus.Gauge
	requests  prometheus.Counter
	errors    *prometheus.CounterVec

	mu        sync.Mutex
	up        bool
	last      time.Duration
	lastOK    time.Time
	lastErr   string
	lastKind  string
	lastErrAt time.Time
	nreq      uint64
	errs      map[string]uint64
}

// Success records an answered request that took rtt.
func (d *Device) Success(rtt time.Duration) {
	d.mu.Lock()
	d.up = true
	d.last = rtt
	d.lastOK = time.Now()
	d.nreq++
	d.mu.Unlock()
	if d.requests != nil {
		d.requests.Inc()
		d.rtt.Observe(rtt.Seconds())
		d.lastRTT.Set(rtt.Seconds())
		d.connected.Set(1)
	}
}

// Failure records a failed request: kind says how it failed (one of the
// Kind constants) and err is kept as the last error. A failure marks the
// device disconnected until the next success.
func (d *Device) Failure(kind string, err error) {
	d.mu.Lock()
	d.up = false
	d.nreq++
	d.errs[kind]++
	if err != nil {
		d.lastErr = err.Error()
	}
	d.lastKind = kind
	d.lastErrAt = time.Now()
	d.mu.Unlock()
	if d.requests != nil {
		d.requests.Inc()
		d.errors.WithLabelValues(d.name, d.driver, kind).Inc()
		d.connected.Set(0)
	}
}

// Disconnected records that the connection is down without a request
// having failed, for example while waiting to reconnect.
func (d *Device) Disconnected() {
	d.mu.Lock()
	d.up = false
	d.mu.Unlock()
	if d.connected != nil {
		d.connected.Set(0)
	}
}

// Snapshot is the health of one device at one moment.
type Snapshot struct {
	Device    string        `json:"device"`
	Driver    string        `json:"driver"`
	Connected bool          `json:"connected"`
	LastRTT   time.Duration `json:"last_round_trip_ns"`
	LastOK    time.Time     `json:"last_ok,omitzero"`
	LastError string        `json:"last_error,omitempty"`
	// LastErrorKind is the kind of the last failure (one of the Kind constants, or another
	// word a driver uses): a printer's own fault is KindDevice, no answer KindTimeout.
	LastErrorKind string            `json:"last_error_kind,omitempty"`
	LastErrorAt   time.Time         `json:"last_error_at,omitzero"`
	Requests      uint64            `json:"requests"`
	Errors        map[string]uint64 `json:"errors"`
}

// Snapshot returns the device's health now.
func (d *Device) Snapshot() Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	errs := make(map[string]uint64, len(d.errs))
	for k, v := range d.errs {
		errs[k] = v
	}
	return Snapshot{
		Device: d.name, Driver: d.driver, Connected: d.up, LastRTT: d.last, LastOK: d.lastOK,
		LastError: d.lastErr, LastErrorKind: d.lastKind, LastErrorAt: d.lastErrAt, Requests: d.nreq, Errors: errs,
	}
}
