package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// Writer writes an archive to a temporary file beside its final name until Commit.
type Writer struct {
	path, tmp string
	f         *os.File
	gz        *gzip.Writer
	tw        *tar.Writer
	members   []Member
	names     map[string]bool
	now       time.Time
	committed bool
}

// Create begins an archive to be committed to path. It writes path+".tmp", replacing what an
// interrupted backup left there, readable by its owner only (an archive holds private keys).
// The caller must Commit or Abort.
func Create(path string) (*Writer, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the archive: %w", err)
	}
	gz := gzip.NewWriter(f)
	return &Writer{path: path, tmp: tmp, f: f, gz: gz, tw: tar.NewWriter(gz), names: map[string]bool{}, now: time.Now()}, nil
}

// AddFile adds the regular file src as member name. It fails with an error wrapping
// fs.ErrNotExist when src is not there, so that a caller may skip a file removed meanwhile,
// and refuses a file that changed size while it was copied.
func (w *Writer) AddFile(name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("adding %s: %s is not a regular file", name, src)
	}
	return w.Add(name, info.Mode().Perm(), info.Size(), f)
}

// Add adds member name, of mode's permission bits, whose size bytes r gives.
func (w *Writer) Add(name string, mode fs.FileMode, size int64, r io.Reader) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	if w.names[name] {
		return fmt.Errorf("adding %s: it is in the archive already", name)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: int64(mode.Perm()), ModTime: w.now, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.CopyN(w.tw, io.TeeReader(r, h), size)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("adding %s: it shrank from %d to %d bytes while being copied", name, size, n)
	}
	if err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	w.names[name] = true
	w.members = append(w.members, Member{Name: name, Size: size, Mode: mode.Perm(), SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// Created is when the Writer was created: the time the backup began.
func (w *Writer) Created() time.Time { return w.now }

// Commit writes m, with Format, Created and the members added, as the archive's manifest,
// ends the archive, syncs it and renames it to its final name. It returns the manifest
// written. On error the temporary file is removed and nothing is left under the final name.
func (w *Writer) Commit(m Manifest) (Manifest, error) {
	m.Format, m.Created, m.Members = Format, w.now.UTC(), w.members
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		w.Abort()
		return Manifest{}, fmt.Errorf("writing the manifest: %w", err)
	}
	raw = append(raw, '\n')
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(raw)), Mode: 0o600, ModTime: w.now, Format: tar.FormatPAX}
	if err := w.finish(hdr, raw); err != nil {
		w.Abort()
		return Manifest{}, err
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		w.Abort()
		return Manifest{}, fmt.Errorf("renaming the archive into place: %w", err)
	}
	w.committed = true
	if err := atomicfile.SyncDir(filepath.Dir(w.path)); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// finish writes the manifest member, ends the tar and gzip streams and syncs and closes the file.
func (w *Writer) finish(hdr *tar.Header, raw []byte) error {
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	if _, err := w.tw.Write(raw); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	if err := w.tw.Close(); err != nil {
		return fmt.Errorf("ending the archive: %w", err)
	}
	if err := w.gz.Close(); err != nil {
		return fmt.Errorf("ending the archive: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("syncing the archive: %w", err)
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("closing the archive: %w", err)
	}
	return nil
}

// Abort gives the archive up and removes its temporary file. It may be called after Commit,
// which it leaves alone.
func (w *Writer) Abort() {
	if w.committed {
		return
	}
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	os.Remove(w.tmp)
}
