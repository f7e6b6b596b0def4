package keyfile_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/store/keyfile"
)

// testKey is a fixed key made from seed.
func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// pemOf is der in a PEM block of type typ.
func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// assertOnly fails unless dir holds exactly the entries names: no temporary file left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

// TestWriteRead checks that a key written reads back the same, from a file readable by its owner
// alone that any PKCS #8 reader takes.
func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "signing.pem")
	key := testKey(1)
	if err := keyfile.Write(file, key, false); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %v, want 0600", perm)
	}
	back, err := keyfile.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(key) {
		t.Fatal("the key read back is not the key written")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
		t.Fatalf("the file is not one PEM PRIVATE KEY block:\n%s", data)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := parsed.(ed25519.PrivateKey); !ok || !k.Equal(key) {
		t.Fatalf("x509 reads the file as %T, not the key written", parsed)
	}
	assertOnly(t, dir, "signing.pem")
}

// TestWriteReplace checks that a key file is replaced only when asked: otherwise the write is
// refused with fs.ErrExist and the old key kept.
func TestWriteReplace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "net.key")
	first, err := keyfile.Generate(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyfile.Generate(file); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), file) {
		t.Fatalf("Generate over a key file: %v, want fs.ErrExist naming %s", err, file)
	}
	if err := keyfile.Write(file, testKey(2), false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Write over a key file without replace: %v, want fs.ErrExist", err)
	}
	if back, err := keyfile.Read(file); err != nil || !back.Equal(first) {
		t.Fatalf("the key changed after refused writes: %v", err)
	}
	if err := keyfile.Write(file, testKey(2), true); err != nil {
		t.Fatal(err)
	}
	if back, err := keyfile.Read(file); err != nil || !back.Equal(testKey(2)) {
		t.Fatalf("the key was not replaced: %v", err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file after a replace: %v, %v", info, err)
	}
	assertOnly(t, dir, "net.key")
}

// TestGenerateKeysDiffer checks that each key made is a new one.
func TestGenerateKeysDiffer(t *testing.T) {
	dir := t.TempDir()
	a, err := keyfile.Generate(filepath.Join(dir, "a.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := keyfile.Generate(filepath.Join(dir, "b.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Equal(b) {
		t.Fatal("two keys made are the same key")
	}
}

// TestWriteFails checks writes that fail: each names the file and leaves no file, half or
// temporary, behind.
func TestWriteFails(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "absent", "k.pem")
		err := keyfile.Write(file, testKey(1), false)
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Fatalf("Write into a missing directory: %v, want an error naming %s", err, file)
		}
		assertOnly(t, dir)
	})
	t.Run("replacing a directory", func(t *testing.T) {
		// The key is written whole to a temporary file; the rename over a directory fails last.
		dir := t.TempDir()
		file := filepath.Join(dir, "k.pem")
		if err := os.Mkdir(file, 0o700); err != nil {
			t.Fatal(err)
		}
		err := keyfile.Write(file, testKey(1), true)
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Fatalf("Write over a directory: %v, want an error naming %s", err, file)
		}
		assertOnly(t, dir, "k.pem")
		if info, err := os.Stat(file); err != nil || !info.IsDir() {
			t.Fatalf("the directory in the way was changed: %v, %v", info, err)
		}
	})
	t.Run("short key", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "k.pem")
		err := keyfile.Write(file, testKey(1)[:32], false)
		if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "32 bytes") {
			t.Fatalf("Write of a 32-byte key: %v, want an error naming %s and its size", err, file)
		}
		assertOnly(t, dir)
	})
}

// TestReadRefuses checks what each file that is not an Ed25519 PKCS #8 PEM key is told: the
// file and why.
func TestReadRefuses(t *testing.T) {
	good := pemOf("PRIVATE KEY", mustPKCS8(t, testKey(1)))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	der := mustPKCS8(t, testKey(1))
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "the file is empty"},
		{"blank", " \n\n", "the file is empty"},
		{"not PEM", "hello", "no PEM block"},
		{"public key block", pemOf("PUBLIC KEY", []byte{1}), `the PEM block is a "PUBLIC KEY", not a PKCS #8 "PRIVATE KEY"`},
		{"cut short", good[:len(good)/2], "does not end or is damaged"},
		{"end line cut", good[:len(good)-10], "does not end or is damaged"},
		{"truncated DER", pemOf("PRIVATE KEY", der[:len(der)-5]), "not PKCS #8: asn1"},
		{"garbage DER", pemOf("PRIVATE KEY", []byte{1, 2, 3}), "not PKCS #8: asn1"},
		{"SEC 1, not PKCS #8", pemOf("PRIVATE KEY", sec1), "not PKCS #8: x509"},
		{"ECDSA key", pemOf("PRIVATE KEY", mustPKCS8(t, ec)), "the key is a *ecdsa.PrivateKey, not an Ed25519 key"},
		{"two keys", good + good, "more follows the key's PEM block"},
		{"too large", good + strings.Repeat("#", 64<<10), "larger than a key file's 64 KiB"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.NewReplacer(" ", "-", ",", "").Replace(tt.name)+".pem")
			if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := keyfile.Read(file)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
				t.Fatalf("Read = %v, want an error naming %s and saying %q", err, file, tt.want)
			}
		})
	}
}

// TestReadMissing checks that a missing file, or a directory, is told apart from a bad key.
func TestReadMissing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	if _, err := keyfile.Read(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Read of a missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
	if _, err := keyfile.Read(dir); err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Read of a directory: %v, want an error naming %s", err, dir)
	}
}

func mustPKCS8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
