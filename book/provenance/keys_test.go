package provenance

import (
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/store/keyfile"
)

var keyIDPattern = regexp.MustCompile(`^ed25519:[0-9a-f]{16}$`)

// TestOpenDir checks the first use of a key directory and the next: the key is made once,
// written as PKCS#8 PEM readable by its owner alone, and read back the same.
func TestOpenDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ring, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !keyIDPattern.MatchString(ring.KeyID()) {
		t.Fatalf("key id %q is not ed25519: and 16 hex digits", ring.KeyID())
	}
	info, err := os.Stat(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("signing key file mode %v, want 0600", perm)
	}
	key, err := keyfile.Read(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if id := KeyID(key.Public().(ed25519.PublicKey)); id != ring.KeyID() {
		t.Fatalf("file holds key %s, ring signs with %s", id, ring.KeyID())
	}
	again, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.KeyID() != ring.KeyID() {
		t.Fatalf("reopened ring signs with %s, first with %s", again.KeyID(), ring.KeyID())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

// TestOpenDirConcurrent checks that daemons starting at once on a fresh directory end up with
// one key: the first written wins and the others read it.
func TestOpenDirConcurrent(t *testing.T) {
	dir := t.TempDir()
	ids := make([]string, 8)
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ring, err := OpenDir(dir)
			if err == nil {
				ids[i] = ring.KeyID()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("opening %d: key %s, %v; the first opened %s", i, ids[i], errs[i], ids[0])
		}
	}
}

// TestRotate checks that a rotation signs with a new key, keeps the old one's public half, and
// that both last across a restart.
func TestRotate(t *testing.T) {
	dir := t.TempDir()
	ring, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := ring.KeyID()
	if err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	second := ring.KeyID()
	if err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	third := ring.KeyID()
	if first == second || second == third || first == third {
		t.Fatalf("rotation kept a key: %s, %s, %s", first, second, third)
	}
	reopened, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*KeyRing{ring, reopened} {
		got := ids(r.PublicKeys())
		if want := []string{third, second, first}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("public keys %v, want %v (signing key first, then retired newest first)", got, want)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, SigningKeyFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file after rotation: %v, %v", info, err)
	}
}

func ids(s PublicKeySet) []string {
	var out []string
	for _, k := range s.Keys {
		out = append(out, k.ID)
	}
	return out
}

// TestLoadFile checks a key given as a file: it signs, its retired keys are those given, and it
// does not rotate itself.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	made, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := testRing(1).PublicKeys()
	ring, err := LoadFile(filepath.Join(dir, SigningKeyFile), old)
	if err != nil {
		t.Fatal(err)
	}
	if ring.KeyID() != made.KeyID() {
		t.Fatalf("loaded key %s, file holds %s", ring.KeyID(), made.KeyID())
	}
	if got := ids(ring.PublicKeys()); len(got) != 2 || got[1] != old.Keys[0].ID {
		t.Fatalf("public keys %v, want the loaded key and %s", got, old.Keys[0].ID)
	}
	if err := ring.Rotate(); err == nil || !strings.Contains(err.Error(), "was given as") {
		t.Fatalf("Rotate of a given key = %v, want an error saying the key was given as a file", err)
	}
}

// TestLoadFileRefuses checks that a key file store/keyfile refuses is refused with its name, and
// that a missing one is told as missing (store/keyfile's tests tell every refusal).
func TestLoadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "public.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: testKey(2).Public().(ed25519.PublicKey)})
	if err := os.WriteFile(path, block, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path, PublicKeySet{}); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `is a "PUBLIC KEY"`) {
		t.Fatalf("LoadFile = %v, want an error naming %s and saying it holds a public key", err, path)
	}
	missing := filepath.Join(dir, "missing.pem")
	if _, err := LoadFile(missing, PublicKeySet{}); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("LoadFile of a missing file = %v, want fs.ErrNotExist naming %s", err, missing)
	}
}

// TestPublicKeySet checks that the published set reads back, and what a bad one is told.
func TestPublicKeySet(t *testing.T) {
	set := PublicKeySet{Keys: []PublicKey{testRing(1).PublicKeys().Keys[0], testRing(2).PublicKeys().Keys[0]}}
	doc, err := set.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePublicKeySet(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != 2 || back.Keys[0].ID != set.Keys[0].ID || !back.Keys[1].Key.Equal(set.Keys[1].Key) {
		t.Fatalf("set read back as %+v, want %+v", back, set)
	}
	good := `{"id":"` + set.Keys[0].ID + `","algorithm":"Ed25519","public_key":"` + pubB64(set.Keys[0]) + `"}`
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", `{"keys":[`, "line 1, column 10"},
		{"unknown field", `{"keys":[],"extra":1}`, `unknown field "extra"`},
		{"algorithm", `{"keys":[{"id":"` + set.Keys[0].ID + `","algorithm":"RSA","public_key":"` + pubB64(set.Keys[0]) + `"}]}`, `algorithm "RSA"`},
		{"short key", `{"keys":[{"id":"x","algorithm":"Ed25519","public_key":"AAAA"}]}`, "keys[0] (x): public_key is not 32 bytes"},
		{"wrong id", `{"keys":[{"id":"ed25519:0000000000000000","algorithm":"Ed25519","public_key":"` + pubB64(set.Keys[0]) + `"}]}`, "is not the key's id " + set.Keys[0].ID},
		{"twice", `{"keys":[` + good + `,` + good + `]}`, "keys[1]: key " + set.Keys[0].ID + " appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePublicKeySet([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePublicKeySet = %v, want …%s…", err, tt.want)
			}
		})
	}
}

func pubB64(k PublicKey) string {
	doc, _ := PublicKeySet{Keys: []PublicKey{k}}.Marshal()
	m := regexp.MustCompile(`"public_key": "([^"]+)"`).FindSubmatch(doc)
	return string(m[1])
}

// testKey is a fixed key made from seed, so that tests and benchmarks sign the same way every
// run.
func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// testRing is a ring of testKey(seed) kept in memory only.
func testRing(seed byte) *KeyRing {
	k := &KeyRing{}
	k.setSigning(testKey(seed))
	return k
}

// TestOpenDirAfterCrashedRotation checks the state a crash leaves between a rotation's two
// writes: the old key retired but still the signing key. It is published once.
func TestOpenDirAfterCrashedRotation(t *testing.T) {
	dir := t.TempDir()
	ring, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := ring.PublicKeys().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, RetiredKeysFile), set, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(again.PublicKeys()); len(got) != 1 || got[0] != ring.KeyID() {
		t.Fatalf("public keys %v, want %s once", got, ring.KeyID())
	}
}
