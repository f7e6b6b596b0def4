package configs_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// TestBrokerMosquitto connects to a real Mosquitto over TLS, with the user, the password and
// the CA a hub's file names: the password from its file, the TLS configuration from the CA file.
// A wrong password is refused by the broker, so the password read is the one that gets in.
func TestBrokerMosquitto(t *testing.T) {
	ca := newTestCA(t, "network CA")
	serverCert, serverKey := ca.issue(t, "broker")
	dir := writeFiles(t, map[string][]byte{
		"ca.pem": ca.pem, "broker.pem": serverCert, "broker.key": serverKey,
		"hub.mqtt": []byte("correct horse\n"), "wrong.mqtt": []byte("battery staple\n"),
	})
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{
		Username: "hub", Password: "correct horse",
		CertFile: filepath.Join(dir, "broker.pem"), KeyFile: filepath.Join(dir, "broker.key"),
	})
	for _, tc := range []struct {
		name, passwordFile string
		ok                 bool
	}{{"right password", "hub.mqtt", true}, {"wrong password", "wrong.mqtt", false}} {
		t.Run(tc.name, func(t *testing.T) {
			h := parseHub(t, hubWithBroker(
				"url: "+mq.URL(),
				"username: hub",
				"password_file: "+filepath.Join(dir, tc.passwordFile),
				"ca_file: "+filepath.Join(dir, "ca.pem"),
			))
			tlsConfig, err := h.Broker.TLSConfig(os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			password, err := h.Broker.LoadPassword(os.ReadFile, os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			c := paho.NewClient(paho.NewClientOptions().AddBroker(h.Broker.URL).SetClientID("configs-test").
				SetUsername(h.Broker.Username).SetPassword(password).SetTLSConfig(tlsConfig).
				SetConnectTimeout(10 * time.Second).SetAutoReconnect(false))
			tok := c.Connect()
			if !tok.WaitTimeout(30 * time.Second) {
				t.Fatalf("no answer from the broker\n%s", mq.Log())
			}
			defer c.Disconnect(0)
			if err := tok.Error(); (err == nil) != tc.ok {
				t.Errorf("connecting: %v, want success %v\n%s", err, tc.ok, mq.Log())
			}
		})
	}
}
