package backup

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"time"
)

// ManifestName is the name of the archive's last member, its Manifest.
const ManifestName = "MANIFEST.json"

// Format is the version of the archive's layout this package writes and reads.
const Format = 1

// Manifest describes an archive: what took it and when, and every member but itself.
type Manifest struct {
	// Format is the archive's layout version: Format.
	Format int `json:"format"`
	// Version is the version of the program that took the backup.
	Version string `json:"version"`
	// Book is where the order book lived, and so what its snapshot is: "sqlite", a SQLite
	// database file; or "postgres", a directory of the tables' rows and their index, which a
	// restore copies into an empty PostgreSQL database. A book of one kind is restored into a
	// store of the same kind only. (An archive of a "postgres" book of Schema 0, written before
	// backups held that book, holds none.)
	Book string `json:"book"`
	// Schema is the schema version of the book's snapshot, of Book's store; 0 when the archive
	// holds no book.
	Schema int `json:"schema"`
	// Created is when the backup began.
	Created time.Time `json:"created"`
	// Members are the archive's members but the manifest, in the archive's order.
	Members []Member `json:"members"`
	// Omitted says what of the data directory is deliberately left out, and why.
	Omitted []string `json:"omitted,omitempty"`
}

// Member is one file of an archive.
type Member struct {
	// Name is the file's path relative to the data directory, slash-separated.
	Name string `json:"name"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Mode is the file's permission bits.
	Mode fs.FileMode `json:"mode"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
}

// maxManifest bounds the manifest a reader decodes: about 400,000 members.
const maxManifest = 64 << 20

// decodeManifest decodes and checks raw, the manifest member's bytes.
func decodeManifest(raw []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("member %s: %w: %w", ManifestName, ErrMalformed, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("member %s: %w: format %d, this program reads format %d", ManifestName, ErrMalformed, m.Format, Format)
	}
	if m.Schema < 0 {
		return nil, fmt.Errorf("member %s: %w: schema version %d", ManifestName, ErrMalformed, m.Schema)
	}
	seen := make(map[string]bool, len(m.Members))
	for i, mem := range m.Members {
		if err := checkName(mem.Name); err != nil {
			return nil, fmt.Errorf("member %s: entry %d: %w", ManifestName, i, err)
		}
		if seen[mem.Name] {
			return nil, fmt.Errorf("member %s: %w: %s listed twice", ManifestName, ErrMalformed, mem.Name)
		}
		seen[mem.Name] = true
	}
	return &m, nil
}

// checkName checks that name may be a member's: a clean relative path with no "..", and not
// the manifest's.
func checkName(name string) error {
	switch {
	case !fs.ValidPath(name) || name == ".":
		return fmt.Errorf("%w: member name %q is not a clean relative path", ErrMalformed, name)
	case name == ManifestName:
		return fmt.Errorf("%w: a member is named %s", ErrMalformed, ManifestName)
	}
	return nil
}
