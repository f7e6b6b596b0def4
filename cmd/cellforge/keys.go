package main

import (
	"fmt"
	"path/filepath"

	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

// keysDir is the directory of the data directory that holds the studio's key ring when the
// factory config names no signing key file.
const keysDir = "keys"

// openKeyRing opens the studio's key ring: the key file the factory config names (a relative
// path read from the config's directory), or else the ring of the data directory, whose signing
// key is made at the daemon's first start.
func openKeyRing(f serveFlags, factory *configs.Factory) (*provenance.KeyRing, error) {
	path := factory.Provenance.SigningKey
	if path == "" {
		dir := filepath.Join(f.dataDir, keysDir)
		ring, err := provenance.OpenDir(dir)
		if err != nil {
			return nil, fmt.Errorf("opening the signing key in %s: %w", dir, err)
		}
		return ring, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.configPath), path)
	}
	ring, err := provenance.LoadFile(path, provenance.PublicKeySet{})
	if err != nil {
		return nil, fmt.Errorf("%s:%d: provenance: signing_key: %w", f.configPath, factory.Provenance.Line, err)
	}
	return ring, nil
}
