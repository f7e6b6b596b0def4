package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/publish"
)

// devicePoint identifies a device point in InfluxDB: measurement, tags and timestamp.
type devicePoint struct {
	cell, device, metric string
	ts                   int64
}

// influxDevicePoints returns every device point InfluxDB holds.
func influxDevicePoints(t *testing.T, url, bucket string) map[devicePoint]bool {
	t.Helper()
	client := influxdb2.NewClient(url, "")
	defer client.Close()
	q := fmt.Sprintf(`from(bucket:%q) |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "device")`, bucket)
	res, err := client.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatalf("flux query: %v", err)
	}
	out := make(map[devicePoint]bool)
	for res.Next() {
		r := res.Record()
		cell, _ := r.ValueByKey("cell").(string)
		device, _ := r.ValueByKey("device").(string)
		out[devicePoint{cell, device, r.Field(), r.Time().UnixNano()}] = true
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	return out
}

// queuedDevicePoints reads the device points a stopped daemon left on its publish queue.
func queuedDevicePoints(t *testing.T, dir string) []devicePoint {
	t.Helper()
	q, err := buffer.Open(dir, buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var out []devicePoint
	for from := q.Oldest(); ; {
		recs, err := q.Read(from, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			topic, body, retained, ok := publish.ParseRecord(r.Data)
			if !ok {
				t.Fatalf("damaged record %d on the queue", r.Seq)
			}
			if retained {
				continue
			}
			s, points, err := telemetry.Decode(topic, body)
			if err != nil {
				t.Fatalf("record %d: %v", r.Seq, err)
			}
			if s.Kind != telemetry.KindDevice {
				continue
			}
			for _, p := range points {
				out = append(out, devicePoint{s.Cell, s.Device, s.Metric, p.Time.UnixNano()})
			}
		}
		from = recs[len(recs)-1].Seq + 1
	}
}

// TestTelemetryThroughOutageAndKill9 runs the demo factory publishing to a real Mosquitto, and
// cellforge bridge carrying it into a real InfluxDB. The device values of the simulated floor
// arrive. Then the broker stops: the daemon reports itself degraded and keeps the points on
// disk; it is killed with SIGKILL, the broker comes back, the daemon restarts on the same data,
// and every point it had on disk arrives in InfluxDB.
func TestTelemetryThroughOutageAndKill9(t *testing.T) {
	t.Parallel()
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	influx := peertest.StartInfluxDB(t)
	influx.CreateDatabase(t, "cellforge")
	const bucket = "cellforge/autogen"

	demo, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "factory.yaml")
	section := fmt.Sprintf("\ntelemetry:\n  interval: 200ms\n  mqtt:\n    broker: %s\n    client_id: kill9-test\n  buffer:\n    sync_every: 100ms\n", mq.URL())
	if err := os.WriteFile(config, append(demo, section...), 0o600); err != nil {
		t.Fatal(err)
	}

	bridgeCmd := exec.Command(binary(t), "bridge", "--broker", mq.URL(), "--influx-url", influx.URL(), "--bucket", bucket,
		"--data", t.TempDir(), "--client-id", "kill9-bridge", "--log-level", "warn", "--listen", "127.0.0.1:0")
	bridgeStdout, err := bridgeCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var bridgeLog syncWriter
	var bridgeOut strings.Builder
	bridgeLog.w = &bridgeOut
	bridgeCmd.Stderr = &bridgeLog
	if err := bridgeCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bridgeCmd.Process.Kill()
		bridgeCmd.Wait()
	})
	line, err := bufio.NewReader(bridgeStdout).ReadString('\n')
	bridgeURL, found := strings.CutPrefix(strings.TrimSpace(line), "cellforge bridge serving metrics on ")
	if err != nil || !found {
		t.Fatalf("bridge's first line %q (%v)", line, err)
	}

	data := t.TempDir()
	d := startDaemon(t, config, data, "--sim-speed", "600")
	csv, err := os.ReadFile("../../configs/examples/spring-27.csv")
	if err != nil {
		t.Fatal(err)
	}
	if code, err := request(context.Background(), "POST", d.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", csv, nil); err != nil || code != 201 {
		t.Fatalf("import: %d %v", code, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(influxDevicePoints(t, influx.URL(), bucket)) < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("device values did not reach InfluxDB\ndaemon:\n%s\nbridge:\n%s", d.logs(), bridgeOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The bridge's own metrics count what it wrote.
	resp, err := http.Get(bridgeURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !regexp.MustCompile(`(?m)^cellforge_bridge_written_total [1-9]`).Match(metrics) {
		t.Errorf("bridge metrics (%v) lack a written count:\n%s", err, metrics)
	}

	mq.Stop()
	deadline = time.Now().Add(30 * time.Second)
	for {
		var h struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if code, err := request(context.Background(), "GET", d.url+"/healthz", "", "", nil, &h); err == nil && code == 200 && h.Status == "degraded" {
			if !strings.Contains(h.Checks["telemetry"], "waiting on disk") {
				t.Errorf("degraded telemetry check says %q", h.Checks["telemetry"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz not degraded 30 s into the broker outage")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // more points pile up on disk
	d.kill()

	queued := queuedDevicePoints(t, filepath.Join(data, "telemetry", "publish"))
	if len(queued) == 0 {
		t.Fatal("the killed daemon left no device points on disk: the outage shows nothing")
	}
	mq.Start()
	d = startDaemon(t, config, data, "--sim-speed", "600")
	deadline = time.Now().Add(60 * time.Second)
	for {
		have := influxDevicePoints(t, influx.URL(), bucket)
		missing := 0
		for _, p := range queued {
			if !have[p] {
				missing++
			}
		}
		if missing == 0 {
			t.Logf("%d device points kept on disk through the outage and the kill arrived", len(queued))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d points kept on disk never reached InfluxDB\ndaemon:\n%s\nbridge:\n%s", missing, len(queued), d.logs(), bridgeOut.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
}
