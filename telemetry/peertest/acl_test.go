package peertest_test

import (
	"fmt"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// netACL gives the hub every topic of the network and each site exactly its two: what it sends
// to the hub and what the hub sends to it.
const netACL = `user hub
topic readwrite cellforge/net/v1/#

pattern write cellforge/net/v1/to/hub/from/%u
pattern read cellforge/net/v1/to/%u/from/hub
`

// Mosquitto's acl_file grants every subscription (the read rules apply when a message is
// delivered) and answers a publish it does not grant, from an MQTT 3.1.1 client, with a PUBACK
// of reason code 0x87 after which it closes the connection (Mosquitto 2.0.11).

// netUsers are the users of the network's broker in these tests.
var netUsers = map[string]string{"hub": "hub-pass", "porto": "porto-pass", "lisbon": "lisbon-pass"}

// connectAs connects user with its password from netUsers and a handler that hands every
// message to got as "topic payload".
func connectAs(t *testing.T, broker *peertest.Mosquitto, user string, got chan<- string) mqtt.Client {
	t.Helper()
	opts := mqtt.NewClientOptions().AddBroker(broker.URL()).
		SetClientID("peertest-acl-" + user).SetUsername(user).SetPassword(netUsers[user]).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
			got <- m.Topic() + " " + string(m.Payload())
		})
	c, err := connect(t, opts)
	if err != nil {
		t.Fatalf("connect as %q: %v\n%s", user, err, broker.Log())
	}
	t.Cleanup(func() { c.Disconnect(250) })
	return c
}

// subscribe subscribes c to topic with QoS 1 and returns the broker's answer: 1 when granted,
// 0x80 when refused.
func subscribe(t *testing.T, broker *peertest.Mosquitto, c mqtt.Client, topic string) byte {
	t.Helper()
	tok := c.Subscribe(topic, 1, nil)
	if !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v\n%s", topic, tok.Error(), broker.Log())
	}
	return tok.(*mqtt.SubscribeToken).Result()[topic]
}

// publish publishes payload on topic with QoS 1 and waits for the broker's PUBACK.
func publish(t *testing.T, broker *peertest.Mosquitto, c mqtt.Client, topic, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
		t.Fatalf("publish on %s: %v\n%s", topic, tok.Error(), broker.Log())
	}
}

// next returns the next message on got, failing the test when none comes in time.
func next(t *testing.T, broker *peertest.Mosquitto, who string, got <-chan string) string {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("%s got no message within %v\n%s", who, waitTimeout, broker.Log())
		return ""
	}
}

func TestMosquittoUsersShareOnePasswordFile(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{
		Username: "cell", Password: "cell-pass",
		Users: map[string]string{"hub": "hub-pass", "porto": "porto-pass"},
	})
	tests := []struct {
		name       string
		user, pass string
		wantErr    bool
	}{
		{name: "the user of Username", user: "cell", pass: "cell-pass"},
		{name: "a user of Users", user: "hub", pass: "hub-pass"},
		{name: "another user of Users", user: "porto", pass: "porto-pass"},
		{name: "another user's password", user: "porto", pass: "hub-pass", wantErr: true},
		{name: "unknown user", user: "lisbon", pass: "lisbon-pass", wantErr: true},
		{name: "anonymous", wantErr: true},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := mqtt.NewClientOptions().AddBroker(broker.URL()).
				SetClientID(fmt.Sprintf("peertest-users-%d", n)).SetUsername(tt.user).SetPassword(tt.pass)
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

func TestMosquittoACLDeliversOnlyTheTopicsItGrants(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{Users: netUsers, ACL: netACL})
	toPorto, toLisbon := make(chan string, 8), make(chan string, 8)
	hub := connectAs(t, broker, "hub", make(chan string, 8))
	porto := connectAs(t, broker, "porto", toPorto)
	lisbon := connectAs(t, broker, "lisbon", toLisbon)
	for _, topic := range []string{"cellforge/net/v1/to/lisbon/from/hub", "cellforge/net/v1/to/hub/from/+", "#", "cellforge/net/v1/to/porto/from/hub"} {
		subscribe(t, broker, porto, topic)
	}
	subscribe(t, broker, lisbon, "cellforge/net/v1/to/lisbon/from/hub")

	// A broker delivers one client's messages in the order it sent them: had porto been given
	// one of the first two, it would come before porto's own.
	publish(t, broker, hub, "cellforge/net/v1/to/lisbon/from/hub", "for lisbon")
	publish(t, broker, hub, "cellforge/net/v1/to/hub/from/lisbon", "for the hub")
	publish(t, broker, hub, "cellforge/net/v1/to/porto/from/hub", "for porto")
	if got, want := next(t, broker, "porto", toPorto), "cellforge/net/v1/to/porto/from/hub for porto"; got != want {
		t.Fatalf("porto's first message is %q, want %q: the ACL let another site's through\n%s", got, want, broker.Log())
	}
	if got, want := next(t, broker, "lisbon", toLisbon), "cellforge/net/v1/to/lisbon/from/hub for lisbon"; got != want {
		t.Fatalf("lisbon's first message is %q, want %q\n%s", got, want, broker.Log())
	}
	select {
	case m := <-toPorto:
		t.Fatalf("porto got a second message %q\n%s", m, broker.Log())
	default:
	}
}

func TestMosquittoACLRefusesPublishesItDoesNotGrant(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{Users: netUsers, ACL: netACL})
	toHub := make(chan string, 8)
	hub := connectAs(t, broker, "hub", toHub)
	subscribe(t, broker, hub, "cellforge/net/v1/to/hub/from/+")
	subscribe(t, broker, hub, "cellforge/net/v1/to/porto/from/hub")

	forged := []string{"cellforge/net/v1/to/hub/from/lisbon", "cellforge/net/v1/to/porto/from/hub"}
	for n, topic := range forged {
		porto := connectAs(t, broker, "porto", make(chan string, 8))
		// The broker answers the publish, or closes the connection once it has refused it
		// (see above): either way it is done with the message when the token completes.
		if !porto.Publish(topic, 1, false, "forged").WaitTimeout(waitTimeout) {
			t.Fatalf("publish %d on %s: no answer from the broker within %v\n%s", n, topic, waitTimeout, broker.Log())
		}
		porto.Disconnect(250)
	}

	// The forged messages were refused before this one was sent: had one passed, it would
	// reach the hub first.
	porto := connectAs(t, broker, "porto", make(chan string, 8))
	publish(t, broker, porto, "cellforge/net/v1/to/hub/from/porto", "from porto")
	if got, want := next(t, broker, "hub", toHub), "cellforge/net/v1/to/hub/from/porto from porto"; got != want {
		t.Fatalf("the hub's first message is %q, want %q: the ACL let a forged one through\n%s", got, want, broker.Log())
	}
	select {
	case m := <-toHub:
		t.Fatalf("the hub got a second message %q\n%s", m, broker.Log())
	default:
	}
}
