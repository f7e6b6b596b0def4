package main

import (
	"crypto/tls"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/collect"
	"github.com/cellforge/cellforge/telemetry/sparkplug"
)

// sparkplugState is the file, under the data directory, that keeps the Sparkplug node's next
// bdSeq across restarts.
const sparkplugState = "telemetry/sparkplug/bdseq"

// newSparkplug makes the Sparkplug B edge node of the telemetry section t, nil when it has
// none. Without a broker of its own it uses the telemetry's (brokerURL, which is the embedded
// broker's when none is configured) with the telemetry's credentials and TLS. tag, when not
// empty, tells this daemon from the others sharing its book: it ends the node's client id and
// edge node id, since each daemon publishes only the machines it drives. Its machines are the
// floor's when fl can tell them (sparkplug.Floor), else none.
func newSparkplug(t configs.Telemetry, brokerURL string, tlsConfig *tls.Config, dataDir, tag string, fl collect.Floor,
	logger *slog.Logger) (*sparkplug.Node, error) {
	sp := t.Sparkplug
	if sp == nil {
		return nil, nil
	}
	cfg := sparkplug.Config{
		Broker: sp.Broker, ClientID: sp.ClientID, Username: sp.Username, Password: sp.Password,
		Group: sp.Group, Node: sp.Node, StateFile: filepath.Join(dataDir, filepath.FromSlash(sparkplugState)),
		Interval: t.Interval, Timeout: mqttTimeout, Logger: logger.With("component", "sparkplug"),
	}
	if cfg.Broker == "" {
		cfg.Broker, cfg.Username, cfg.Password, cfg.TLS = brokerURL, t.MQTT.Username, t.MQTT.Password, tlsConfig
	}
	if tag != "" {
		cfg.ClientID += "-" + tag
		cfg.Node += "-" + tag
	}
	cfg.Floor = noMachines{}
	if machines, ok := fl.(sparkplug.Floor); ok {
		cfg.Floor = machines
	}
	return sparkplug.New(cfg)
}

// noMachines is the floor of a daemon that drives no machines.
type noMachines struct{}

func (noMachines) Machines() []sparkplug.Machine { return nil }

var _ sparkplug.Floor = (*floor)(nil)

// Machines returns the machines this daemon drives, for the Sparkplug node: each with whether
// its cell's controller hears it (a machine that stopped answering is lost) and its latest
// polled values, named as the telemetry names them.
func (fl *floor) Machines() []sparkplug.Machine {
	var out []sparkplug.Machine
	for _, m := range fl.sampled() {
		st, ok := fl.CellStatus(m.cell)
		if !ok || st.Elsewhere {
			continue
		}
		sm := sparkplug.Machine{ID: m.device, Online: st.Online}
		for name, s := range m.dev.Latest() {
			if s.Time.IsZero() {
				continue
			}
			sm.Values = append(sm.Values, sparkplug.Value{Name: metricName(name), Value: s.Value, Time: s.Time})
		}
		out = append(out, sm)
	}
	return out
}

// sparkplugHealthy reports whether the node, when there is one, has a session or lost it less
// than healthGrace ago.
func sparkplugHealthy(n *sparkplug.Node) bool {
	if n == nil {
		return true
	}
	st := n.Stats()
	return st.Connected || time.Since(st.Since) < healthGrace
}

// sparkplugCollectors are the metrics of the Sparkplug node.
func sparkplugCollectors(n *sparkplug.Node) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cellforge_sparkplug_connected", Help: "1 while the Sparkplug node has a session with its broker."},
			func() float64 { return b2f(n.Stats().Connected) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cellforge_sparkplug_bdseq", Help: "The bdSeq of the Sparkplug node's last session."},
			func() float64 { return float64(n.Stats().BdSeq) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_sparkplug_births_total", Help: "NBIRTHs the Sparkplug node published, rebirths included."},
			func() float64 { return float64(n.Stats().Births) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cellforge_sparkplug_bad_commands_total", Help: "NCMD payloads the Sparkplug node could not decode and ignored."},
			func() float64 { return float64(n.Stats().BadCommands) }),
	}
}
