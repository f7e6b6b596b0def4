package link

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// fuzzKey is the fixed key the fuzz target's seeds are signed with.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func TestSealUnseal(t *testing.T) {
	env := Envelope{V: Version, From: "porto", To: Hub, Epoch: 1795334400123456, Seq: 3, Kind: "ack",
		At: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC), Body: json.RawMessage(`{"orders":[]}`)}
	payload, err := seal(env, fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unseal(payload, fuzzKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if got.From != env.From || got.To != env.To || got.Epoch != env.Epoch || got.Seq != env.Seq ||
		got.Kind != env.Kind || !got.At.Equal(env.At) || string(got.Body) != string(env.Body) {
		t.Fatalf("unseal = %+v, want %+v", got, env)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := unseal(payload, other); !errors.Is(err, errSignature) {
		t.Fatalf("unseal with another key: %v, want a bad signature", err)
	}
	tampered := bytes.Replace(payload, []byte(`"seq":3`), []byte(`"seq":9`), 1)
	if _, err := unseal(tampered, fuzzKey.Public().(ed25519.PublicKey)); !errors.Is(err, errSignature) {
		t.Fatalf("unseal of a changed envelope: %v, want a bad signature", err)
	}
}

func TestUnsealRefusesMalformed(t *testing.T) {
	sig := make([]byte, ed25519.SignatureSize)
	tests := []struct {
		name    string
		payload []byte
	}{
		{name: "empty", payload: nil},
		{name: "signature only", payload: sig},
		{name: "not JSON", payload: append([]byte("hello"), sig...)},
		{name: "trailing data", payload: append([]byte(`{"v":1} {}`), sig...)},
		{name: "version 2", payload: append([]byte(`{"v":2,"from":"porto","to":"hub","epoch":1,"seq":1,"kind":"k","body":{}}`), sig...)},
		{name: "seq 0", payload: append([]byte(`{"v":1,"from":"porto","to":"hub","epoch":1,"seq":0,"kind":"k","body":{}}`), sig...)},
		{name: "no epoch", payload: append([]byte(`{"v":1,"from":"porto","to":"hub","seq":1,"kind":"k","body":{}}`), sig...)},
		{name: "no kind", payload: append([]byte(`{"v":1,"from":"porto","to":"hub","epoch":1,"seq":1,"body":{}}`), sig...)},
		{name: "no body", payload: append([]byte(`{"v":1,"from":"porto","to":"hub","epoch":1,"seq":1,"kind":"k"}`), sig...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := unseal(tc.payload, fuzzKey.Public().(ed25519.PublicKey)); !errors.Is(err, errMalformed) {
				t.Fatalf("unseal: %v, want a malformed payload", err)
			}
		})
	}
}

func TestParseTopic(t *testing.T) {
	tests := []struct {
		topic, to, from string
		ok              bool
	}{
		{topic: "cellforge/net/v1/to/hub/from/porto", to: "hub", from: "porto", ok: true},
		{topic: "cellforge/net/v1/to/porto/from/hub", to: "porto", from: "hub", ok: true},
		{topic: "cellforge/net/v1/to/hub/from/porto/x"},
		{topic: "cellforge/net/v2/to/hub/from/porto"},
		{topic: "cellforge/net/v1/to/hub"},
	}
	for _, tc := range tests {
		to, from, ok := parseTopic(tc.topic)
		if to != tc.to || from != tc.from || ok != tc.ok {
			t.Errorf("parseTopic(%q) = %q, %q, %v; want %q, %q, %v", tc.topic, to, from, ok, tc.to, tc.from, tc.ok)
		}
	}
	if got := Topic(Hub, "porto"); got != "cellforge/net/v1/to/hub/from/porto" {
		t.Errorf("Topic = %q", got)
	}
}

// FuzzUnseal checks that no payload makes the reader panic, and that a payload it accepts under
// the key was signed with it and is well formed.
func FuzzUnseal(f *testing.F) {
	pub := fuzzKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := unseal(payload, pub)
		if err != nil {
			return
		}
		if err := checkEnvelope(env); err != nil {
			t.Fatalf("accepted an envelope that does not check: %v", err)
		}
		n := len(payload) - ed25519.SignatureSize
		if !ed25519.Verify(pub, payload[:n], payload[n:]) {
			t.Fatal("accepted a payload whose signature does not verify")
		}
	})
}
