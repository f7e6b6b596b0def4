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

// TestLoadKeyRefuses checks that a file that is not a key is refused with its name, and a
// missing one told as missing (store/keyfile's tests tell every refusal).
func TestLoadKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hub.pub")
	if err := os.WriteFile(file, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := link.LoadKey(file); err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), `"PUBLIC KEY", not a PKCS #8`) {
		t.Fatalf("LoadKey: %v, want an error naming %s and saying it holds a public key", err, file)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := link.LoadKey(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("LoadKey of a missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
}
