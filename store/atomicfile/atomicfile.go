// Package atomicfile writes small files that must survive a crash whole: the old content or the
// new, never half of either. It sits under store because it is the repository's one way of
// keeping a small file durable: the provenance key ring, the key files of store/keyfile, the
// network links' state and ledgers, the uplink's state and the telemetry queue's cursor keep
// their files with it. It imports only the standard library.
package atomicfile

import (
	"errors"
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
	f, err := os.CreateTemp(dir, tempPattern(name))
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

// tempPattern is the os.CreateTemp pattern of the temporary files Write makes for name.
func tempPattern(name string) string { return "." + name + ".*" }

// RemoveTemps removes the temporary files a crash in the middle of Write left in dir for name,
// and returns how many it removed. Only the directory's owner calls it, at start, when no Write
// of that name can be under way.
func RemoveTemps(dir, name string) (int, error) {
	left, err := filepath.Glob(filepath.Join(dir, tempPattern(name)))
	if err != nil {
		return 0, fmt.Errorf("looking for temporary files of %s in %s: %w", name, dir, err)
	}
	for i, f := range left {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return i, fmt.Errorf("removing a temporary file of %s: %w", name, err)
		}
	}
	return len(left), nil
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
