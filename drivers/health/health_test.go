package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestDeviceHealthIsExported(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Device("loom-a", "modbus")
	if m.Device("loom-a", "modbus") != d {
		t.Fatal("Device returned a second record for the same device")
	}
	d.Success(3 * time.Millisecond)
	d.Failure(KindTimeout, errors.New("no answer in 200ms"))
	d.Failure(KindTimeout, errors.New("no answer in 200ms"))
	d.Success(2 * time.Millisecond)

	s := d.Snapshot()
	if !s.Connected || s.Requests != 4 || s.Errors[KindTimeout] != 2 || s.LastRTT != 2*time.Millisecond || s.LastError != "no answer in 200ms" {
		t.Errorf("snapshot = %+v", s)
	}
	want := `
# HELP cellforge_device_errors_total Failed device requests, by kind (timeout, exception, frame, io, device).
# TYPE cellforge_device_errors_total counter
cellforge_device_errors_total{device="loom-a",driver="modbus",kind="timeout"} 2
# HELP cellforge_device_connected 1 when the device's connection is up and its last request was answered.
# TYPE cellforge_device_connected gauge
cellforge_device_connected{device="loom-a",driver="modbus"} 1
# HELP cellforge_device_requests_total Requests sent to the device, answered or not.
# TYPE cellforge_device_requests_total counter
cellforge_device_requests_total{device="loom-a",driver="modbus"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"cellforge_device_errors_total", "cellforge_device_connected", "cellforge_device_requests_total"); err != nil {
		t.Error(err)
	}
	d.Disconnected()
	if got := testutil.ToFloat64(m.connected.WithLabelValues("loom-a", "modbus")); got != 0 {
		t.Errorf("connected after Disconnected = %v", got)
	}
	if snaps := m.Snapshots(); len(snaps) != 1 || snaps[0].Connected {
		t.Errorf("Snapshots = %+v", snaps)
	}
}

func TestNilMetricsKeepsRecords(t *testing.T) {
	var m *Metrics
	d := m.Device("x", "zpl")
	d.Failure(KindDevice, errors.New("paper out"))
	if s := d.Snapshot(); s.Errors[KindDevice] != 1 || s.Connected || s.LastErrorKind != KindDevice || s.LastError != "paper out" {
		t.Errorf("snapshot = %+v, want the device's own fault as the last error", s)
	}
	d.Failure(KindTimeout, errors.New("no answer"))
	if s := d.Snapshot(); s.LastErrorKind != KindTimeout {
		t.Errorf("last error kind after a timeout = %q, want %q", s.LastErrorKind, KindTimeout)
	}
}
