// Package atomicfile writes small files that must survive a crash whole: the old content or the
// new, never half of either. The provenance key ring and the network links' state and ledgers
// keep their files with it. It imports only the standard library.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to dir/name so that the file is either the old one or the new one whole,
// even after a crash: a temporary file in dir, synced, then renamed over name (or, when replace
// is false, linked to name, which fails with an error wrapping fs.ErrExist if name exists), then
// dir synced so that the rename lasts. Errors name the file.
func Write(dir, name string, data []byte, perm fs.FileMode, replace bool) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil || !replace {
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	final := filepath.Join(dir, name)
	if replace {
		err = os.Rename(tmp, final)
	} else {
		err = os.Link(tmp, final)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return SyncDir(dir)
}

// SyncDir forces a directory's entries (a file created, renamed or removed) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
