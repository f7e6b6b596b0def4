package configs_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// TestParseTelemetry parses good telemetry sections (appended to the minimal factory, so the
// section's key is on line 10) and compares the Telemetry the factory gets: what the file says,
// and the defaults for what it leaves out.
func TestParseTelemetry(t *testing.T) {
	defaults := configs.DefaultTelemetry("tiny")
	at10 := func(tm configs.Telemetry) configs.Telemetry { tm.Line = 10; return tm }
	id64 := strings.Repeat("c", 64)
	type telemetryCase struct {
		name    string
		section string
		want    configs.Telemetry
	}
	tests := []telemetryCase{
		{name: "no section", want: defaults},
		{name: "empty section", section: "telemetry:\n", want: defaults},
		{
			name:    "empty parts",
			section: "telemetry:\n  mqtt:\n  influxdb:\n  buffer:\n",
			want:    at10(defaults),
		},
		{
			name: "every field",
			section: "telemetry:\n  interval: 1h\n" +
				"  mqtt:\n    broker: ssl://broker.example:8883\n    listen: localhost:1884\n    client_id: " + id64 + "\n    qos: 0\n" +
				"    username: loom\n    password: secret\n    ca_file: ca.pem\n    cert_file: client.pem\n    key_file: client.key\n" +
				"  influxdb:\n    url: https://influx.example:8086\n    token: tok\n    org: studio\n    bucket: floor/week\n    batch: 100000\n" +
				"  buffer:\n    max_bytes: 1048576\n    max_age: 1m\n    sync_every: 1s\n",
			want: configs.Telemetry{
				Interval: time.Hour,
				MQTT: configs.MQTT{Broker: "ssl://broker.example:8883", Listen: "localhost:1884", ClientID: id64, QoS: 0,
					Username: "loom", Password: "secret", CAFile: "ca.pem", CertFile: "client.pem", KeyFile: "client.key"},
				InfluxDB: &configs.InfluxDB{URL: "https://influx.example:8086", Token: "tok", Org: "studio", Bucket: "floor/week", Batch: 100000},
				Buffer:   configs.Buffer{MaxBytes: 1 << 20, MaxAge: time.Minute, SyncEvery: time.Second},
				Line:     10,
			},
		},
		{
			name:    "influxdb defaults",
			section: "telemetry:\n  influxdb:\n    url: http://127.0.0.1:8086\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.InfluxDB = &configs.InfluxDB{URL: "http://127.0.0.1:8086", Bucket: "cellforge/autogen", Batch: 5000}
				return tm
			}(),
		},
		{
			name:    "influxdb empty bucket and lower bounds",
			section: "telemetry:\n  interval: 100ms\n  influxdb:\n    url: http://[::1]:8086\n    bucket: \"\"\n    batch: 1\n  buffer:\n    sync_every: 1ms\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.Interval = 100 * time.Millisecond
				tm.InfluxDB = &configs.InfluxDB{URL: "http://[::1]:8086", Batch: 1}
				tm.Buffer.SyncEvery = time.Millisecond
				return tm
			}(),
		},
		{
			name:    "mqtt schemes and loopback listen",
			section: "telemetry:\n  mqtt:\n    broker: mqtts://broker:8883\n    listen: \"[::1]:1883\"\n    qos: 1\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.MQTT.Broker = "mqtts://broker:8883"
				tm.MQTT.Listen = "[::1]:1883"
				return tm
			}(),
		},
	}
	tests = append(tests,
		telemetryCase{
			name:    "sparkplug defaults",
			section: "telemetry:\n  sparkplug:\n    group: studio\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.Sparkplug = &configs.Sparkplug{Group: "studio", Node: "tiny", ClientID: "cellforge-tiny-sparkplug", Line: 11}
				return tm
			}(),
		},
		telemetryCase{
			name:    "sparkplug defaults after the mqtt client id",
			section: "telemetry:\n  mqtt:\n    client_id: loft\n  sparkplug:\n    group: studio\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.MQTT.ClientID = "loft"
				tm.Sparkplug = &configs.Sparkplug{Group: "studio", Node: "tiny", ClientID: "loft-sparkplug", Line: 13}
				return tm
			}(),
		},
		telemetryCase{
			name: "sparkplug every field",
			section: "telemetry:\n  sparkplug:\n    group: Studio.A\n    node: loft_2\n    broker: ssl://scada:8883\n" +
				"    client_id: spb\n    username: spb\n    password: secret\n",
			want: func() configs.Telemetry {
				tm := at10(defaults)
				tm.Sparkplug = &configs.Sparkplug{Group: "Studio.A", Node: "loft_2", Broker: "ssl://scada:8883", ClientID: "spb",
					Username: "spb", Password: "secret", Line: 11}
				return tm
			}(),
		},
	)
	for _, scheme := range []string{"tcp", "ssl", "tls", "mqtt", "mqtts"} {
		tm := at10(defaults)
		tm.MQTT.Broker = scheme + "://broker:1883"
		tests = append(tests, telemetryCase{name: "broker scheme " + scheme, section: "telemetry:\n  mqtt:\n    broker: " + tm.MQTT.Broker + "\n", want: tm})
	}
	for _, scheme := range []string{"http", "https"} {
		tm := at10(defaults)
		tm.InfluxDB = &configs.InfluxDB{URL: scheme + "://influx:8086", Bucket: "cellforge/autogen", Batch: 5000}
		tests = append(tests, telemetryCase{name: "influxdb scheme " + scheme, section: "telemetry:\n  influxdb:\n    url: " + tm.InfluxDB.URL + "\n", want: tm})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := configs.Parse("good.yaml", []byte(minimal+tc.section), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Telemetry, tc.want) {
				t.Errorf("telemetry:\n%s\nwant:\n%s", describeTelemetry(f.Telemetry), describeTelemetry(tc.want))
			}
		})
	}
}

// describeTelemetry prints tm with its InfluxDB section, not the section's address.
func describeTelemetry(tm configs.Telemetry) string {
	influx := "<nil>"
	if tm.InfluxDB != nil {
		influx = fmt.Sprintf("%+v", *tm.InfluxDB)
	}
	sparkplug := "<nil>"
	if tm.Sparkplug != nil {
		sparkplug = fmt.Sprintf("%+v", *tm.Sparkplug)
	}
	tm.InfluxDB, tm.Sparkplug = nil, nil
	return fmt.Sprintf("%+v\nInfluxDB: %s\nSparkplug: %s", tm, influx, sparkplug)
}
