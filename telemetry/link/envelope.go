package link

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Version is the envelope's version this package writes and reads.
const Version = 1

// Hub is the id of the network's hub on the links; every other id is a site's.
const Hub = "hub"

// topicPrefix starts every topic of the links.
const topicPrefix = "cellforge/net/v1/to/"

// idPattern is what an id must look like to be a topic level: a site id as the configuration
// allows it, or "hub".
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Envelope is a message as it travels: who sends it to whom, its place in the sender's
// sequence to that receiver, its kind and its body. The payload on the wire is the envelope's
// JSON followed by the Ed25519 signature of those bytes.
type Envelope struct {
	V     int             `json:"v"`
	From  string          `json:"from"`
	To    string          `json:"to"`
	Epoch int64           `json:"epoch"`
	Seq   uint64          `json:"seq"`
	Kind  string          `json:"kind"`
	At    time.Time       `json:"at"`
	Body  json.RawMessage `json:"body"`
}

// Topic returns the topic of a message from one end to another.
func Topic(to, from string) string { return topicPrefix + to + "/from/" + from }

// subscription is the topic filter of what Self receives: the hub from every site, a site from
// the hub.
func subscription(self string) string {
	if self == Hub {
		return Topic(Hub, "+")
	}
	return Topic(self, Hub)
}

// parseTopic returns the receiver and sender a topic names.
func parseTopic(topic string) (to, from string, ok bool) {
	rest, ok := strings.CutPrefix(topic, topicPrefix)
	if !ok {
		return "", "", false
	}
	to, from, ok = strings.Cut(rest, "/from/")
	if !ok || strings.Contains(from, "/") {
		return "", "", false
	}
	return to, from, true
}

// seal returns the payload of an envelope: its JSON and the signature of it.
func seal(env Envelope, key ed25519.PrivateKey) ([]byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encoding a %q message to %s: %w", env.Kind, env.To, err)
	}
	return append(b, ed25519.Sign(key, b)...), nil
}

// errMalformed and errSignature are the payload refusals of open.
var (
	errMalformed = errors.New("malformed payload")
	errSignature = errors.New("bad signature")
)

// unseal reads a payload's envelope. It checks the envelope's shape, and its signature against
// key when key is not nil.
func unseal(payload []byte, key ed25519.PublicKey) (Envelope, error) {
	if len(payload) <= ed25519.SignatureSize {
		return Envelope{}, fmt.Errorf("%w: %d bytes, too short for an envelope and its %d-byte signature",
			errMalformed, len(payload), ed25519.SignatureSize)
	}
	body, sig := payload[:len(payload)-ed25519.SignatureSize], payload[len(payload)-ed25519.SignatureSize:]
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if err := checkEnvelope(env); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if key != nil && !ed25519.Verify(key, body, sig) {
		return env, errSignature
	}
	return env, nil
}

// checkEnvelope checks what a well-formed envelope holds.
func checkEnvelope(env Envelope) error {
	switch {
	case env.V != Version:
		return fmt.Errorf("version %d, want %d", env.V, Version)
	case env.Seq == 0:
		return errors.New("sequence number 0: sequences start at 1")
	case env.Epoch <= 0:
		return fmt.Errorf("epoch %d, want a positive number", env.Epoch)
	case env.Kind == "":
		return errors.New("no kind")
	case len(env.Body) == 0:
		return errors.New("no body")
	}
	return nil
}
