package configs

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// publicKeyPrefix starts a public key's text.
const publicKeyPrefix = "ed25519:"

// FormatPublicKey returns a public key's text, as the hub's file and a site's network section
// hold it and cellforge network keygen prints it: "ed25519:" and the key in standard, padded
// base64.
func FormatPublicKey(key ed25519.PublicKey) string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(key)
}

// ParsePublicKey reads a public key in the text FormatPublicKey writes, and nothing else: the
// prefix, standard padded base64 spelled exactly as it encodes (no line breaks, no spaces) and
// 32 bytes. Its error says what is wrong with s, quoting it shortened.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	const want = `want "ed25519:" and the key in base64, as cellforge network keygen prints it`
	b64, ok := strings.CutPrefix(s, publicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 public key (%s)", yamlfile.Quote(s), want)
	}
	// The decoder skips line breaks even when strict: only a key written exactly as it encodes
	// is taken, so that a key has one spelling.
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || base64.StdEncoding.EncodeToString(raw) != b64 {
		return nil, fmt.Errorf("%s is not standard, padded base64 (%s)", yamlfile.Quote(s), want)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("the key is %d bytes long, an Ed25519 public key %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}
