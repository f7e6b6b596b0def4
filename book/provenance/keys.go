package provenance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/cellforge/cellforge/store/atomicfile"
	"github.com/cellforge/cellforge/store/keyfile"
)

// The files of a key ring's directory.
const (
	// SigningKeyFile holds the signing key, PKCS#8 in PEM, readable by its owner alone.
	SigningKeyFile = "signing-key.pem"
	// RetiredKeysFile holds the public keys of the keys rotated out, as a public key set.
	RetiredKeysFile = "retired-keys.json"
)

// Algorithm is the signature algorithm of every key, as the public key set names it.
const Algorithm = "Ed25519"

// KeyID is the id of a public key: "ed25519:" and the first 16 hex digits of the SHA-256 of
// its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// KeyRing is a studio's keys: the one that signs, and the public halves of the keys it
// replaced, which still verify what they signed. It is safe for concurrent use.
type KeyRing struct {
	dir  string // where the ring keeps its files; empty for a ring loaded from a given file
	file string // the signing key's file

	mu      sync.RWMutex
	signing ed25519.PrivateKey
	id      string
	retired []PublicKey // newest first
}

// OpenDir opens the key ring kept in dir: it loads dir's signing key and retired keys, or, on
// first use, makes a signing key and writes it there (and dir, if it does not exist).
func OpenDir(dir string) (*KeyRing, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the key directory: %w", err)
	}
	k := &KeyRing{dir: dir, file: filepath.Join(dir, SigningKeyFile)}
	if err := k.loadRetired(); err != nil {
		return nil, err
	}
	key, err := keyfile.Read(k.file)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = k.create()
	}
	if err != nil {
		return nil, err
	}
	k.setSigning(key)
	return k, nil
}

// LoadFile returns the key ring of the signing key in the PKCS#8 PEM file path, with the public
// keys of retired, which are the keys it replaced. The ring cannot rotate: its owner replaces
// the file.
func LoadFile(path string, retired PublicKeySet) (*KeyRing, error) {
	key, err := keyfile.Read(path)
	if err != nil {
		return nil, err
	}
	k := &KeyRing{file: path, retired: retired.Keys}
	k.setSigning(key)
	return k, nil
}

// KeyID is the id of the signing key.
func (k *KeyRing) KeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.id
}

// signer returns the signing key and its id.
func (k *KeyRing) signer() (ed25519.PrivateKey, string) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signing, k.id
}

// PublicKeys is the set of every key of the ring, the signing key first and then the retired
// ones, newest first: what the studio publishes for its certificates to be verified.
func (k *KeyRing) PublicKeys() PublicKeySet {
	k.mu.RLock()
	defer k.mu.RUnlock()
	keys := []PublicKey{{ID: k.id, Key: k.signing.Public().(ed25519.PublicKey)}}
	for _, r := range k.retired {
		if r.ID != k.id {
			keys = append(keys, r)
		}
	}
	return PublicKeySet{Keys: keys}
}

// Rotate makes a new signing key and retires the old one, keeping its public half. The old
// public key is written to the retired keys before the new key replaces the old one's file, so
// that a crash between the two loses nothing that verifies.
func (k *KeyRing) Rotate() error {
	if k.dir == "" {
		return fmt.Errorf("the signing key was given as %s: to rotate it, give a new file and the old key's public half", k.file)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("making a signing key: %w", err)
	}
	old := PublicKey{ID: k.id, Key: k.signing.Public().(ed25519.PublicKey)}
	retired := append([]PublicKey{old}, k.retired...)
	set, err := PublicKeySet{Keys: retired}.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(k.dir, RetiredKeysFile, set, 0o644, true); err != nil {
		return err
	}
	if err := keyfile.Write(k.file, key, true); err != nil {
		return err
	}
	k.retired = retired
	k.signing, k.id = key, KeyID(key.Public().(ed25519.PublicKey))
	return nil
}

func (k *KeyRing) setSigning(key ed25519.PrivateKey) {
	k.signing, k.id = key, KeyID(key.Public().(ed25519.PublicKey))
}

func (k *KeyRing) loadRetired() error {
	path := filepath.Join(k.dir, RetiredKeysFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the retired keys: %w", err)
	}
	set, err := ParsePublicKeySet(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	k.retired = set.Keys
	return nil
}

// create makes a signing key and writes it to the ring's file unless another process wrote
// one first, in which case it is that one.
func (k *KeyRing) create() (ed25519.PrivateKey, error) {
	key, err := keyfile.Generate(k.file)
	if errors.Is(err, fs.ErrExist) {
		return keyfile.Read(k.file)
	}
	return key, err
}

// PublicKey is a public key with its id.
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// PublicKeySet is a studio's public keys, as the daemon publishes them: JSON of the form
// {"keys":[{"id":"ed25519:…","algorithm":"Ed25519","public_key":"<base64url>"}]}.
type PublicKeySet struct {
	Keys []PublicKey
}

type jsonKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
}

type jsonKeySet struct {
	Keys []jsonKey `json:"keys"`
}

// Lookup returns the key of the set whose id is id.
func (s PublicKeySet) Lookup(id string) (ed25519.PublicKey, bool) {
	for _, k := range s.Keys {
		if k.ID == id {
			return k.Key, true
		}
	}
	return nil, false
}

// Marshal returns the set's JSON document.
func (s PublicKeySet) Marshal() ([]byte, error) {
	doc := jsonKeySet{Keys: make([]jsonKey, len(s.Keys))}
	for i, k := range s.Keys {
		doc.Keys[i] = jsonKey{ID: k.ID, Algorithm: Algorithm, PublicKey: base64.RawURLEncoding.EncodeToString(k.Key)}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the public keys: %w", err)
	}
	return append(b, '\n'), nil
}

// ParsePublicKeySet reads a public key set's JSON document. Every key must be an Ed25519 key
// whose id is the one KeyID gives it, and each only once.
func ParsePublicKeySet(data []byte) (PublicKeySet, error) {
	if _, err := Canonicalize(data); err != nil {
		return PublicKeySet{}, fmt.Errorf("public keys: %w", err)
	}
	var doc jsonKeySet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return PublicKeySet{}, fmt.Errorf("public keys: %w", err)
	}
	set := PublicKeySet{Keys: make([]PublicKey, 0, len(doc.Keys))}
	for i, k := range doc.Keys {
		if k.Algorithm != Algorithm {
			return PublicKeySet{}, fmt.Errorf("public keys: keys[%d] (%s): algorithm %q is not %q", i, k.ID, k.Algorithm, Algorithm)
		}
		pub, err := base64.RawURLEncoding.DecodeString(k.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return PublicKeySet{}, fmt.Errorf("public keys: keys[%d] (%s): public_key is not %d bytes in unpadded base64url", i, k.ID, ed25519.PublicKeySize)
		}
		if id := KeyID(pub); id != k.ID {
			return PublicKeySet{}, fmt.Errorf("public keys: keys[%d]: id %q is not the key's id %s", i, k.ID, id)
		}
		if _, dup := set.Lookup(k.ID); dup {
			return PublicKeySet{}, fmt.Errorf("public keys: keys[%d]: key %s appears twice", i, k.ID)
		}
		set.Keys = append(set.Keys, PublicKey{ID: k.ID, Key: pub})
	}
	return set, nil
}
