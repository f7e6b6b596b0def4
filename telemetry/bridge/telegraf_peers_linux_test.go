package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// The consumers compared by BenchmarkBesideTelegraf: `cellforge bridge` and Telegraf
// (inputs.mqtt_consumer with the influx parser, outputs.influxdb_v2), each its own process.
const (
	consumerOurs     = "bridge"
	consumerTelegraf = "telegraf"
)

// tgPeers are the peers of one run of BenchmarkBesideTelegraf and the two programs compared.
type tgPeers struct {
	mq                  *peertest.Mosquitto
	influx              *peertest.InfluxDB
	cellforge, telegraf string
	http                *http.Client
}

func startTGPeers(b *testing.B) *tgPeers {
	p := &tgPeers{mq: peertest.StartMosquitto(b, peertest.MosquittoOptions{}), influx: peertest.StartInfluxDB(b),
		http: &http.Client{Timeout: 30 * time.Second}}
	p.cellforge = os.Getenv("CELLFORGE_BIN")
	if p.cellforge == "" {
		p.cellforge = filepath.Join(b.TempDir(), "cellforge")
		if out, err := exec.Command("go", "build", "-o", p.cellforge, "../../cmd/cellforge").CombinedOutput(); err != nil {
			b.Fatalf("building cellforge: %v\n%s", err, out)
		}
	}
	p.telegraf = os.Getenv("TELEGRAF_BIN")
	if p.telegraf == "" {
		gopath, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			b.Fatal(err)
		}
		p.telegraf = filepath.Join(strings.TrimSpace(strings.Split(string(gopath), ":")[0]), "bin", "telegraf")
	}
	if _, err := os.Stat(p.telegraf); err != nil {
		b.Fatalf("telegraf: %v (scripts/deps.sh telegraf installs it)", err)
	}
	return p
}

// endSession removes the broker's persistent session of clientID, a consumer's that has
// stopped: left there, it would queue every message of the runs after, and the broker would
// carry that growing backlog (in memory, and in its autosave every second) through them.
func (p *tgPeers) endSession(b *testing.B, clientID string) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(p.mq.URL()).SetClientID(clientID).
		SetCleanSession(true).SetConnectTimeout(30 * time.Second))
	if t := c.Connect(); !t.WaitTimeout(30*time.Second) || t.Error() != nil {
		b.Fatalf("ending the broker's session of %s: %v", clientID, t.Error())
	}
	c.Disconnect(250)
}

// child is a consumer's process.
type child struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan error
}

// startConsumer starts consumer kind with its own database db, MQTT client id and data
// directory dir, writing to InfluxDB at influxURL.
func (p *tgPeers) startConsumer(b *testing.B, kind, db, clientID, dir, influxURL string) *child {
	var cmd *exec.Cmd
	if kind == consumerOurs {
		cmd = exec.Command(p.cellforge, "bridge", "--broker", p.mq.URL(), "--influx-url", influxURL,
			"--bucket", db+"/autogen", "--client-id", clientID, "--data", dir, "--log-level", "warn")
	} else {
		conf := filepath.Join(dir, "telegraf.conf")
		text := fmt.Sprintf(`[agent]
  interval = "10s"
  flush_interval = "1s"
  flush_jitter = "0s"
  metric_batch_size = 5000
  metric_buffer_limit = 100000
  omit_hostname = true
[[inputs.mqtt_consumer]]
  servers = [%q]
  topics = ["telegraf/#"]
  qos = 1
  persistent_session = true
  client_id = %q
  topic_tag = ""
  data_format = "influx"
[[outputs.influxdb_v2]]
  urls = [%q]
  token = ""
  organization = ""
  bucket = %q
`, p.mq.URL(), clientID, influxURL, db+"/autogen")
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd = exec.Command(p.telegraf, "--config", conf)
	}
	logFile, err := os.Create(filepath.Join(dir, kind+".log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", kind, err)
	}
	c := &child{cmd: cmd, log: logFile, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	b.Cleanup(func() { c.stop(b) })
	return c
}

// stop ends the process with SIGTERM, as a service manager would, and waits for it.
func (c *child) stop(b *testing.B) {
	if c.cmd.ProcessState != nil || c.done == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		b.Errorf("%s did not stop within 60s of SIGTERM", c.cmd.Path)
	}
	c.done = nil
	c.log.Close()
}

// logTail is the end of the process's log, for failure messages.
func (c *child) logTail() string {
	out, _ := os.ReadFile(c.log.Name())
	return string(out[max(0, len(out)-3000):])
}

// procCPU returns the CPU time (user and system) process pid has used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces: utime and
	// stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks
}

// peakRSS returns the peak resident set of process pid in MiB (VmHWM).
func peakRSS(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// count returns how many points InfluxDB holds in database db, of device dev, or of every
// device of the load (dev-N) when dev is empty.
func (p *tgPeers) count(b *testing.B, db, dev string) int {
	q := `SELECT count("value") FROM "device" WHERE "device" =~ /^dev-/`
	if dev != "" {
		q = `SELECT count("value") FROM "device" WHERE "device" = '` + dev + `'`
	}
	resp, err := p.http.Get(p.influx.URL() + "/query?" + url.Values{"db": {db}, "q": {q}}.Encode())
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Series []struct{ Values [][]any }
			Error  string
		}
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		b.Fatalf("counting points: %v", err)
	}
	if len(out.Results) == 0 || out.Results[0].Error != "" {
		b.Fatalf("counting points: %+v", out)
	}
	if len(out.Results[0].Series) == 0 {
		return 0
	}
	n, ok := out.Results[0].Series[0].Values[0][1].(json.Number)
	if !ok {
		b.Fatalf("counting points: %+v", out)
	}
	v, err := n.Int64()
	if err != nil {
		b.Fatalf("counting points: %v", err)
	}
	return int(v)
}

// waitStored waits until InfluxDB holds every point sent, or within has passed: first device
// dev-0's, polled cheaply every 50 ms, then all of them. It returns when the last arrived, to
// the poll's resolution, and how many points InfluxDB holds.
func (p *tgPeers) waitStored(b *testing.B, c *child, db string, g *loadGen, within time.Duration) (time.Time, int) {
	deadline := time.Now().Add(within)
	n := 0
	for _, dev := range []string{"dev-0", ""} {
		want := g.sentOf(dev)
		for n = p.count(b, db, dev); n < want && time.Now().Before(deadline); n = p.count(b, db, dev) {
			time.Sleep(50 * time.Millisecond)
		}
		if n > want {
			b.Fatalf("%s: %d points of %q stored, %d sent", db, n, dev, want)
		}
		if n < want {
			b.Logf("%s: %d points of %q stored within %v, %d sent\n%s", db, n, dev, within, want, c.logTail())
		}
	}
	return time.Now(), n
}

// loadGen publishes the same points for either consumer: 100 devices, 10 points a message, at
// QoS 1; as the bridge's JSON on the telemetry topics, or as InfluxDB line protocol for Telegraf.
type loadGen struct {
	kind    string
	client  paho.Client
	base    time.Time
	mu      sync.Mutex
	next    map[string]int // points sent per device
	tokens  chan paho.Token
	pending sync.WaitGroup // messages the broker has not acknowledged yet
	failed  error
}

func newLoadGen(b *testing.B, url, kind, clientID string) *loadGen {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(clientID).SetOrderMatters(false).SetMaxReconnectInterval(time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("load generator: connecting: %v", tok.Error())
	}
	g := &loadGen{kind: kind, client: c, base: time.Now().Add(-time.Hour).Truncate(time.Second), next: map[string]int{},
		tokens: make(chan paho.Token, 4000)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for t := range g.tokens {
			// A broker swamped by a session's backlog may take long; it must not hang the run.
			if !t.WaitTimeout(time.Minute) && g.failed == nil {
				g.failed = errors.New("the broker did not acknowledge a message within a minute")
			} else if t.Error() != nil && g.failed == nil {
				g.failed = t.Error()
			}
			g.pending.Done()
		}
	}()
	b.Cleanup(func() {
		close(g.tokens)
		<-done
		c.Disconnect(100)
	})
	return g
}

// publish sends device dev's next 10 points.
func (g *loadGen) publish(b *testing.B, dev string) {
	g.mu.Lock()
	first := g.next[dev]
	g.next[dev] = first + benchPoints
	g.mu.Unlock()
	pts := make([]telemetry.Point, benchPoints)
	for k := range pts {
		pts[k] = telemetry.Point{Time: g.base.Add(time.Duration(first+k) * time.Microsecond), Fields: map[string]any{"value": float64(first + k)}}
	}
	s := telemetry.Series{Site: "bench", Kind: telemetry.KindDevice, Cell: "cell-" + dev[len(dev)-1:], Device: dev, Metric: "value"}
	topic, body, err := telemetry.Encode(s, pts)
	if err != nil {
		b.Fatal(err)
	}
	if g.kind == consumerTelegraf {
		topic, body = "telegraf/"+dev, nil
		for _, p := range pts {
			body = telemetry.AppendLine(body, s, p)
		}
	}
	g.pending.Add(1)
	g.tokens <- g.client.Publish(topic, 1, false, body)
}

// sentOf returns the points sent of device dev, or of every device of the load (not the
// probe) when dev is empty.
func (g *loadGen) sentOf(dev string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if dev != "" {
		return g.next[dev]
	}
	n := 0
	for d, v := range g.next {
		if d != "probe" {
			n += v
		}
	}
	return n
}

// finish waits until the broker has acknowledged every message.
func (g *loadGen) finish(b *testing.B) {
	g.pending.Wait()
	if g.failed != nil {
		b.Fatalf("publishing: %v", g.failed)
	}
}

// steady publishes rate points a second, a message of each device in turn, until ctx ends:
// every 10 ms what is due by then, so that a late tick does not lower the rate.
func (g *loadGen) steady(ctx context.Context, b *testing.B, rate int) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	start := time.Now()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for due := int(now.Sub(start).Seconds() * float64(rate) / benchPoints); i < due; i++ {
				g.publish(b, fmt.Sprintf("dev-%d", i%tgDevices))
			}
		}
	}
}
