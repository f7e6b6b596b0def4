package peertest_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

const waitTimeout = 10 * time.Second

// connect connects an MQTT 3.1.1 client and returns it with the error of the connect token.
func connect(t *testing.T, opts *mqtt.ClientOptions) (mqtt.Client, error) {
	t.Helper()
	opts.SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitTimeout)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(waitTimeout) {
		t.Fatalf("connect as %q: no answer within %v", opts.ClientID, waitTimeout)
	}
	return c, tok.Error()
}

func TestMosquittoKeepsQueuedMessagesAcrossRestart(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	const topic = "cellforge/v1/test/devices/dye-1/vat-a/temperature"

	received := make(chan string, 16)
	subOpts := func() *mqtt.ClientOptions {
		return mqtt.NewClientOptions().AddBroker(broker.URL()).
			SetClientID("peertest-sub").SetCleanSession(false).
			SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { received <- string(m.Payload()) })
	}
	sub, err := connect(t, subOpts())
	if err != nil {
		t.Fatalf("subscriber connect: %v\n%s", err, broker.Log())
	}
	if tok := sub.Subscribe(topic, 1, nil); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
		t.Fatalf("subscribe: %v\n%s", tok.Error(), broker.Log())
	}
	sub.Disconnect(250)

	pub, err := connect(t, mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("peertest-pub"))
	if err != nil {
		t.Fatalf("publisher connect: %v\n%s", err, broker.Log())
	}
	want := []string{"21.5", "21.6", "21.7"}
	for _, p := range want {
		// A QoS 1 publish completes on PUBACK: the broker has queued it for the offline session.
		if tok := pub.Publish(topic, 1, false, p); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
			t.Fatalf("publish %s: %v\n%s", p, tok.Error(), broker.Log())
		}
	}
	pub.Disconnect(250)

	broker.Stop()
	broker.Start()

	sub, err = connect(t, subOpts())
	if err != nil {
		t.Fatalf("subscriber reconnect: %v\n%s", err, broker.Log())
	}
	defer sub.Disconnect(250)
	var got []string
	deadline := time.After(waitTimeout)
	for len(got) < len(want) {
		select {
		case p := <-received:
			got = append(got, p)
		case <-deadline:
			t.Fatalf("after the restart the subscriber got %q, want %q\n%s", got, want, broker.Log())
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after the restart the subscriber got %q, want %q\n%s", got, want, broker.Log())
	}
}

func TestMosquittoPassword(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{Username: "cell", Password: "s3cret"})
	tests := []struct {
		name       string
		user, pass string
		wantErr    bool
	}{
		{name: "right password", user: "cell", pass: "s3cret"},
		{name: "wrong password", user: "cell", pass: "guess", wantErr: true},
		{name: "unknown user", user: "intruder", pass: "s3cret", wantErr: true},
		{name: "anonymous", wantErr: true},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := mqtt.NewClientOptions().AddBroker(broker.URL()).
				SetClientID(fmt.Sprintf("peertest-auth-%d", n)).SetUsername(tt.user).SetPassword(tt.pass)
			c, err := connect(t, opts)
			if err == nil {
				c.Disconnect(250)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("connect as %q: error %v, want error: %v\n%s", tt.user, err, tt.wantErr, broker.Log())
			}
		})
	}
}

func TestInfluxDBWritesQueriesAndKeepsData(t *testing.T) {
	t.Parallel()
	db := peertest.StartInfluxDB(t)
	db.CreateDatabase(t, "t1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	client := influxdb2.NewClient(db.URL(), "")
	defer client.Close()
	writer := client.WriteAPIBlocking("", "t1/autogen")

	// Points lie in the past: range(start: -1h) stops at now.
	now := time.Now().Truncate(time.Millisecond)
	var points []*write.Point
	for n := range 3 {
		points = append(points, influxdb2.NewPoint("m",
			map[string]string{"cell": "dye-1"},
			map[string]any{"value": 21.5 + float64(n)},
			now.Add(-time.Duration(n)*time.Second)))
	}
	if err := writer.WritePoint(ctx, points...); err != nil {
		t.Fatalf("write: %v\n%s", err, db.Log())
	}

	count := func(when string) {
		t.Helper()
		const flux = `from(bucket:"t1/autogen") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "m")`
		result, err := client.QueryAPI("").Query(ctx, flux)
		if err != nil {
			t.Fatalf("%s: query: %v\n%s", when, err, db.Log())
		}
		defer result.Close()
		n := 0
		for result.Next() {
			n++
		}
		if result.Err() != nil {
			t.Fatalf("%s: reading the query result: %v", when, result.Err())
		}
		if n != len(points) {
			t.Fatalf("%s: query found %d points, want %d\n%s", when, n, len(points), db.Log())
		}
	}
	count("after the first write")

	// Measurement, tags and timestamp identify a point: writing it again replaces it.
	if err := writer.WritePoint(ctx, points[0]); err != nil {
		t.Fatalf("write again: %v\n%s", err, db.Log())
	}
	count("after writing the same point again")

	db.Stop()
	db.Start()
	count("after a restart")
}
