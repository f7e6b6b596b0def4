package link_test

import (
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/telemetry/link"
)

func TestGenerateAndLoadKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "network.key")
	pub, err := link.GenerateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	key, err := link.LoadKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatal("the loaded key's public key is not the one GenerateKey returned")
	}
	if _, err := link.GenerateKey(file); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("GenerateKey over an existing file: %v, want fs.ErrExist", err)
	}
	again, err := link.LoadKey(file)
	if err != nil || !again.Equal(key) {
		t.Fatalf("the key changed after a refused GenerateKey: %v", err)
	}
}

func TestLoadKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{name: "not PEM", content: "hello", want: "no PEM block"},
		{name: "wrong block", content: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", want: `"PUBLIC KEY", not a PKCS #8`},
		{name: "bad DER", content: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", want: "asn1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := link.LoadKey(file)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
				t.Fatalf("LoadKey: %v, want an error naming %s and saying %q", err, file, tc.want)
			}
		})
	}
	if _, err := link.LoadKey(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKey of a missing file: %v, want fs.ErrNotExist", err)
	}
}
