package link

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// GenerateKey writes a new Ed25519 private key to file (PKCS #8 in PEM, mode 0600, fsync'd) and
// returns its public key. It refuses to overwrite an existing file.
func GenerateKey(file string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating a key for %s: %w", file, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding the key for %s: %w", file, err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := atomicfile.Write(filepath.Dir(file), filepath.Base(file), data, 0o600, false); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pub, nil
}

// LoadKey reads an Ed25519 private key from a PKCS #8 PEM file.
func LoadKey(file string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the network key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block: the network key is a PKCS #8 \"PRIVATE KEY\" in PEM", file)
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: the PEM block is a %q, not a PKCS #8 \"PRIVATE KEY\"", file, block.Type)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an Ed25519 key", file, parsed)
	}
	return key, nil
}

// errBadKey is what checkPrivateKey wraps.
var errBadKey = errors.New("not an Ed25519 private key")

func checkPrivateKey(k ed25519.PrivateKey) error {
	if len(k) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: %d bytes, want %d", errBadKey, len(k), ed25519.PrivateKeySize)
	}
	return nil
}
