// Package keyfile keeps an Ed25519 private key in a file: PKCS #8 in PEM (a "PRIVATE KEY"
// block, as openssl writes one), readable by its owner alone, written whole or not at all. It is
// the one reader and writer of the repository's key files: the provenance key ring's signing key
// and the network links' keys. It sits under store beside store/atomicfile, which writes its
// files; it imports only that and the standard library, and knows nothing of what a key signs.
package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// maxSize bounds what Read reads: a key file is a few hundred bytes, and a path given by
// mistake (a log, a disk image) is refused rather than read whole.
const maxSize = 64 << 10

// Mode is the permission of a key file: its owner reads and writes it, nobody else.
const Mode = 0o600

// blockType is the PEM block of a PKCS #8 private key.
const blockType = "PRIVATE KEY"

// want is what a refused file is told it should have been.
const want = `want an Ed25519 private key, PKCS #8 "` + blockType + `" in PEM`

// Generate makes a new Ed25519 key and writes it to file (see Write). It refuses to replace an
// existing file: the error then wraps fs.ErrExist and the file is left as it was.
func Generate(file string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("%s: making a key: %w", file, err)
	}
	if err := Write(file, key, false); err != nil {
		return nil, err
	}
	return key, nil
}

// Write writes key to file, PKCS #8 in PEM with mode 0600, so that after a crash the file is
// the old one or the new one whole (store/atomicfile), never half of either. When replace is
// false an existing file is kept and the error wraps fs.ErrExist. The file's directory must
// exist. Errors name the file.
func Write(file string, key ed25519.PrivateKey, replace bool) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%s: the key is %d bytes, an Ed25519 private key %d", file, len(key), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("%s: encoding the key: %w", file, err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := atomicfile.Write(filepath.Dir(file), filepath.Base(file), data, Mode, replace); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// Read reads the Ed25519 private key in file. A file that is empty, not PEM, cut short, another
// PEM block, not PKCS #8, another algorithm's key or followed by more than the key is refused,
// the error naming the file and what is wrong; a missing file's error wraps fs.ErrNotExist.
func Read(file string) (ed25519.PrivateKey, error) {
	data, err := readFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the key: %w", err)
	}
	key, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return key, nil
}

// parse reads the key of a key file's content; its errors say what is wrong, not where.
func parse(data []byte) (ed25519.PrivateKey, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("the file is empty: %s", want)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		if bytes.Contains(data, []byte("-----BEGIN ")) {
			return nil, fmt.Errorf("a PEM block that does not end or is damaged (the file cut short?): %s", want)
		}
		return nil, fmt.Errorf("no PEM block: %s", want)
	}
	if block.Type != blockType {
		return nil, fmt.Errorf("the PEM block is a %q, not a PKCS #8 %q", block.Type, blockType)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("more follows the key's PEM block: a key file holds one key")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the PEM block is not PKCS #8: %w", err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not an Ed25519 key", parsed)
	}
	return key, nil
}

// readFile reads file, refusing one larger than maxSize.
func readFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s is larger than a key file's %d KiB", file, maxSize>>10)
	}
	return data, nil
}
