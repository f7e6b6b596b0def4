package publish_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/peertest"
	"github.com/cellforge/cellforge/telemetry/publish"
)

// TestFullBufferDropsTheOldest: while the broker is away the queue fills; the oldest messages
// are dropped and counted, publishing goes on, and when the broker is back the newest arrive.
func TestFullBufferDropsTheOldest(t *testing.T) {
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	s := telemetry.Series{Site: "test", Kind: telemetry.KindDevice, Cell: "c", Device: "d", Metric: "v"}
	got := make(chan float64, 100000)
	// A subscriber with a persistent session: the broker keeps for it what arrives while it
	// reconnects, so what it sees is what the publisher sent.
	subOpts := paho.NewClientOptions().AddBroker(mq.URL()).SetClientID("full-sub").SetCleanSession(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			_, points, err := telemetry.Decode(m.Topic(), m.Payload())
			if err != nil {
				t.Error(err)
				return
			}
			for _, pt := range points {
				got <- pt.Fields["value"].(float64)
			}
		})
	sub := paho.NewClient(subOpts)
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	if tok := sub.Subscribe(s.Topic(), 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	sub.Disconnect(100)
	mq.Stop()
	q, err := buffer.Open(t.TempDir(), buffer.Options{MaxBytes: 256 << 10, SegmentBytes: 16 << 10, SyncEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	p, err := publish.New(publish.Config{Broker: mq.URL(), ClientID: "full", Site: "test", QoS: 1, Queue: q,
		Batch: 10 * time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	const n = 20000
	for i := range n {
		if err := p.Publish(s, telemetry.Point{Time: base.Add(time.Duration(i) * time.Millisecond), Fields: map[string]any{"value": float64(i)}}); err != nil {
			t.Fatal(err)
		}
		if i%500 == 499 {
			time.Sleep(15 * time.Millisecond) // let the batcher queue them in many messages
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for q.Stats().Dropped == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	st := q.Stats()
	if st.Dropped == 0 || st.Bytes > 256<<10 {
		t.Fatalf("queue %+v: want the oldest dropped and at most 256 KiB kept", st)
	}

	// The broker comes back: the subscriber gets the newest points, every one of them from the
	// oldest message kept on, and not the oldest, which were dropped.
	mq.Start()
	sub = paho.NewClient(subOpts)
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("reconnect: %v", tok.Error())
	}
	defer sub.Disconnect(0)
	seenLast := false
	minSeen := float64(n)
	seen := map[float64]bool{}
	deadline = time.Now().Add(20 * time.Second)
	for !seenLast && time.Now().Before(deadline) {
		select {
		case v := <-got:
			seen[v] = true
			minSeen = min(minSeen, v)
			seenLast = seenLast || v == n-1
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !seenLast {
		t.Fatalf("the newest point never arrived; publisher %+v, queue %+v", p.Stats(), q.Stats())
	}
	if minSeen == 0 {
		t.Errorf("the oldest point arrived although the queue was full and dropped %d messages", st.Dropped)
	}
	for v := minSeen; v < n; v++ {
		if !seen[v] {
			t.Fatalf("point %v missing between the oldest kept (%v) and the newest", v, minSeen)
		}
	}
	t.Logf("dropped %d messages; oldest point delivered %v of %d", st.Dropped, minSeen, n)
}

// publishOne runs a publisher with cfg (its broker, client id and credentials or TLS) for up
// to 3 s, publishes one point, and reports whether the broker took it and how many messages
// are still queued.
func publishOne(t *testing.T, cfg publish.Config) (published bool, queued int64) {
	t.Helper()
	q, err := buffer.Open(t.TempDir(), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	cfg.Site, cfg.QoS, cfg.Queue, cfg.Batch, cfg.Timeout = "test", 1, q, 10*time.Millisecond, 2*time.Second
	p, err := publish.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	s := telemetry.Series{Site: "test", Kind: telemetry.KindDrop, Drop: "d"}
	if err := p.Publish(s, telemetry.Point{Time: time.Now(), Fields: map[string]any{"x": 1.0}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for p.Stats().Published == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return p.Stats().Published > 0, q.Stats().Records
}

// TestCredentials: with the wrong password nothing leaves the queue; with the right one it does.
func TestCredentials(t *testing.T) {
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{Username: "floor", Password: "warp-and-weft"})
	for _, tt := range []struct {
		name      string
		password  string
		published bool
	}{
		{"wrong password", "nope", false},
		{"right password", "warp-and-weft", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := publish.Config{Broker: mq.URL(), ClientID: "cred-" + tt.password, Username: "floor", Password: tt.password}
			published, queued := publishOne(t, cfg)
			if published != tt.published {
				t.Errorf("published %v, want %v", published, tt.published)
			}
			if !tt.published && queued == 0 {
				t.Error("the refused message left the queue")
			}
		})
	}
}

// selfSigned writes a CA and a certificate it signed for 127.0.0.1, and returns the CA's pool
// and the certificate's and key's files.
func selfSigned(t *testing.T) (*x509.CertPool, string, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, certFile, keyFile
}

// TestTLS: over TLS the publisher reaches a broker whose certificate its CA signed, and not one
// it cannot verify.
func TestTLS(t *testing.T) {
	pool, certFile, keyFile := selfSigned(t)
	mq := peertest.StartMosquitto(t, peertest.MosquittoOptions{CertFile: certFile, KeyFile: keyFile})
	for _, tt := range []struct {
		name      string
		tls       *tls.Config
		published bool
	}{
		{"unknown CA", &tls.Config{MinVersion: tls.VersionTLS12}, false},
		{"trusted CA", &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := publish.Config{Broker: mq.URL(), ClientID: "tls-" + strings.ReplaceAll(tt.name, " ", "-"), TLS: tt.tls}
			if published, _ := publishOne(t, cfg); published != tt.published {
				t.Errorf("published %v, want %v", published, tt.published)
			}
		})
	}
}
