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

func TestPublicKeyText(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := link.FormatPublicKey(pub)
	if !strings.HasPrefix(s, "ed25519:") || !strings.HasSuffix(s, "=") {
		t.Fatalf("FormatPublicKey: %q, want ed25519: and padded base64", s)
	}
	back, err := link.ParsePublicKey(s)
	if err != nil || !back.Equal(pub) {
		t.Fatalf("ParsePublicKey(%q) = %x, %v; want %x", s, back, err, pub)
	}
	tests := []struct {
		name, in, want string
	}{
		{name: "no prefix", in: strings.TrimPrefix(s, "ed25519:"), want: `want "ed25519:"`},
		{name: "other algorithm", in: "rsa:" + strings.TrimPrefix(s, "ed25519:"), want: `want "ed25519:"`},
		{name: "not base64", in: "ed25519:!!!!", want: "not base64"},
		{name: "unpadded", in: strings.TrimSuffix(s, "="), want: "not base64"},
		{name: "line break", in: s[:20] + "\n" + s[20:], want: "not base64"},
		{name: "URL alphabet", in: "ed25519:Xpz4IUdvR-VDwaFzBa0oWrdNTN5XXVu2Pe4uNxLVK8I=", want: "not base64"},
		{name: "space", in: "ed25519: " + strings.TrimPrefix(s, "ed25519:"), want: "not base64"},
		{name: "short", in: "ed25519:AAAA", want: "3 bytes, want 32"},
		{name: "empty", in: "", want: `want "ed25519:"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := link.ParsePublicKey(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePublicKey(%q): %v, want an error saying %q", tc.in, err, tc.want)
			}
		})
	}
}
