package configs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// newTestCA makes a self-signed CA.
func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns the PEM of a certificate and key for name, signed by the CA, valid for
// 127.0.0.1 and for client and server authentication.
func (ca *testCA) issue(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// writeFiles writes each name's content in dir and returns dir.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hubWithBroker returns a hub's file whose broker section is the lines given (indented under
// broker:), the section starting at line 2.
func hubWithBroker(lines ...string) string {
	return "store: {postgres: \"postgres://hub@127.0.0.1/cellforge\"}\nbroker:\n  " + strings.Join(lines, "\n  ") + "\n" + minimalHub[strings.Index(minimalHub, "sites:"):]
}

// parseHub parses a hub's file the test wrote, failing the test on error.
func parseHub(t *testing.T, data string) *configs.Hub {
	t.Helper()
	h, err := configs.ParseHub("hub.yaml", []byte(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return h
}

// TestBrokerTLSConfig connects over mutual TLS to a loopback server with the configuration
// built from a hub's file: the CA checks the server, the client certificate gets the client in.
func TestBrokerTLSConfig(t *testing.T) {
	ca := newTestCA(t, "network CA")
	serverCert, serverKey := ca.issue(t, "broker")
	clientCert, clientKey := ca.issue(t, "hub")
	dir := writeFiles(t, map[string][]byte{"ca.pem": ca.pem, "hub.pem": clientCert, "hub.key": clientKey})

	cert, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- err.Error()
			return
		}
		peer <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	}()

	h := parseHub(t, hubWithBroker(
		fmt.Sprintf("url: ssl://%s", ln.Addr()),
		"ca_file: "+filepath.Join(dir, "ca.pem"),
		"cert_file: "+filepath.Join(dir, "hub.pem"),
		"key_file: "+filepath.Join(dir, "hub.key"),
	))
	c, err := h.Broker.TLSConfig(os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", ln.Addr().String(), c)
	if err != nil {
		t.Fatalf("dialing the broker with the file's TLS: %v", err)
	}
	defer conn.Close()
	if got := <-peer; got != "hub" {
		t.Errorf("the server saw %q, want the client certificate of hub", got)
	}

	// A plain broker needs no TLS.
	plain := parseHub(t, minimalHub)
	if c, err := plain.Broker.TLSConfig(os.ReadFile); c != nil || err != nil {
		t.Errorf("TLSConfig of a tcp:// broker = %v, %v; want nil, nil", c, err)
	}
}

// TestBrokerTLSConfigErrors checks that a TLS file that cannot be used is reported at its
// field, where the file wrote it.
func TestBrokerTLSConfigErrors(t *testing.T) {
	ca := newTestCA(t, "network CA")
	certA, _ := ca.issue(t, "a")
	_, keyB := ca.issue(t, "b")
	dir := writeFiles(t, map[string][]byte{"ca.pem": ca.pem, "a.pem": certA, "b.key": keyB, "junk.pem": []byte("not a certificate\n")})
	path := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name          string
		lines         []string
		line          int
		field, reason string
	}{
		{"missing CA", []string{"url: ssl://127.0.0.1:8883", "ca_file: " + path("none.pem")}, 4, "ca_file",
			fmt.Sprintf("reading %q: open %s: no such file or directory", path("none.pem"), path("none.pem"))},
		{"CA not PEM", []string{"url: ssl://127.0.0.1:8883", "ca_file: " + path("junk.pem")}, 4, "ca_file",
			fmt.Sprintf("%q holds no PEM certificate", path("junk.pem"))},
		{"missing key", []string{"url: mqtts://127.0.0.1:8883", "cert_file: " + path("a.pem"), "key_file: " + path("a.key")}, 5, "key_file",
			fmt.Sprintf("reading %q: open %s: no such file or directory", path("a.key"), path("a.key"))},
		{"key of another certificate", []string{"url: mqtts://127.0.0.1:8883", "cert_file: " + path("a.pem"), "key_file: " + path("b.key")}, 4, "cert_file",
			fmt.Sprintf("%q with key_file %q: tls: private key does not match public key", path("a.pem"), path("b.key"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := parseHub(t, hubWithBroker(tc.lines...))
			c, err := h.Broker.TLSConfig(os.ReadFile)
			var e configs.Error
			if c != nil || !errors.As(err, &e) {
				t.Fatalf("TLSConfig = %v, %v; want an Error", c, err)
			}
			want := configs.Error{File: "hub.yaml", Line: tc.line, Object: "broker", Field: tc.field, Reason: tc.reason}
			if e != want {
				t.Errorf("error\n got %#v\nwant %#v", e, want)
			}
		})
	}
}

// TestBrokerLoadPassword reads the broker password from a file and from the environment, and
// reports one that is not there at its field; a network section's fields are named under
// broker.
func TestBrokerLoadPassword(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{"hub.mqtt": []byte("s3cret pass\n"), "crlf.mqtt": []byte("p\r\nsecond line\n"), "empty.mqtt": []byte("\n")})
	t.Setenv("CELLFORGE_TEST_MQTT", "from-env")
	t.Setenv("CELLFORGE_TEST_EMPTY", "")
	tests := []struct {
		name, line, want string
		err              *configs.Error
	}{
		{name: "none", want: ""},
		{name: "file", line: "password_file: " + filepath.Join(dir, "hub.mqtt"), want: "s3cret pass"},
		{name: "file with CRLF", line: "password_file: " + filepath.Join(dir, "crlf.mqtt"), want: "p"},
		{name: "environment", line: "password_env: CELLFORGE_TEST_MQTT", want: "from-env"},
		{name: "empty file", line: "password_file: " + filepath.Join(dir, "empty.mqtt"),
			err: &configs.Error{File: "hub.yaml", Line: 5, Object: "broker", Field: "password_file", Reason: fmt.Sprintf("%q holds no password on its first line", filepath.Join(dir, "empty.mqtt"))}},
		{name: "no file", line: "password_file: " + filepath.Join(dir, "none"),
			err: &configs.Error{File: "hub.yaml", Line: 5, Object: "broker", Field: "password_file", Reason: fmt.Sprintf("reading %q: open %s: no such file or directory", filepath.Join(dir, "none"), filepath.Join(dir, "none"))}},
		{name: "empty variable", line: "password_env: CELLFORGE_TEST_EMPTY",
			err: &configs.Error{File: "hub.yaml", Line: 5, Object: "broker", Field: "password_env", Reason: "the environment variable CELLFORGE_TEST_EMPTY is not set or empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"url: tcp://127.0.0.1:1883", "username: hub"}
			if tc.line != "" {
				lines = append(lines, tc.line)
			}
			h := parseHub(t, hubWithBroker(lines...))
			got, err := h.Broker.LoadPassword(os.ReadFile, os.Getenv)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Errorf("LoadPassword = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			var e configs.Error
			if got != "" || !errors.As(err, &e) || e != *tc.err {
				t.Errorf("LoadPassword = %q, %#v; want the error %#v", got, err, *tc.err)
			}
		})
	}

	// In a site's network section, the field is named under broker.
	site := "site: porto\nnetwork:\n  broker:\n    url: tcp://127.0.0.1:1883\n    username: porto\n    password_env: CELLFORGE_TEST_EMPTY\n  hub_key: \"ed25519:BhAmvjWZV/Zp8yyH0/cd8Advg+4pMe0asgdMipmo8q4=\"\n" + minimal[len("site: tiny\n"):]
	f, err := configs.Parse("porto.yaml", []byte(site), builtin(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Network.Broker.LoadPassword(os.ReadFile, os.Getenv)
	if want := "porto.yaml:6: network: broker.password_env: the environment variable CELLFORGE_TEST_EMPTY is not set or empty"; err == nil || err.Error() != want {
		t.Errorf("LoadPassword: %v, want %s", err, want)
	}
}
