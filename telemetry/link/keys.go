package link

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/cellforge/cellforge/store/keyfile"
)

// GenerateKey writes a new Ed25519 private key to file (PKCS #8 in PEM, mode 0600, fsync'd;
// store/keyfile) and returns its public key. It refuses to overwrite an existing file: the
// error then wraps fs.ErrExist.
func GenerateKey(file string) (ed25519.PublicKey, error) {
	key, err := keyfile.Generate(file)
	if err != nil {
		return nil, err
	}
	return key.Public().(ed25519.PublicKey), nil
}

// LoadKey reads an Ed25519 private key from a PKCS #8 PEM file (store/keyfile); a missing
// file's error wraps fs.ErrNotExist.
func LoadKey(file string) (ed25519.PrivateKey, error) {
	return keyfile.Read(file)
}

// errBadKey is what checkPrivateKey wraps.
var errBadKey = errors.New("not an Ed25519 private key")

func checkPrivateKey(k ed25519.PrivateKey) error {
	if len(k) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: %d bytes, want %d", errBadKey, len(k), ed25519.PrivateKeySize)
	}
	return nil
}
