package keyfile

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// FuzzParse checks that no file's content makes parse panic, and that a key it accepts is a
// whole Ed25519 key that encodes again to content it reads as the same key. The seeds
// (testdata/fuzz/FuzzParse) are a key file whole, cut short, with another block and with an
// ECDSA key.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parse(data)
		if err != nil {
			return
		}
		if len(key) != ed25519.PrivateKeySize {
			t.Fatalf("accepted a key of %d bytes", len(key))
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("an accepted key does not encode: %v", err)
		}
		back, err := parse(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
		if err != nil || !back.Equal(key) {
			t.Fatalf("an accepted key, encoded again, reads as %x, %v", back, err)
		}
	})
}
