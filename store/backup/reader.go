package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

var (
	// ErrTruncated is returned, wrapped, when an archive ends before its end: a copy cut short.
	ErrTruncated = errors.New("the archive is truncated")
	// ErrTampered is returned, wrapped, when a member's bytes are not those its manifest
	// describes, or the compressed stream's checksum fails.
	ErrTampered = errors.New("the archive's content differs from its manifest")
	// ErrMalformed is returned, wrapped, when an archive is not one this package writes: not
	// gzip, not tar, a member that is no regular file or has an unsafe name, a member listed
	// twice or not at all, no manifest, or data after its end.
	ErrMalformed = errors.New("not a well-formed backup archive")
)

// Verify reads the archive at path whole and checks every member against its manifest,
// writing nothing. It returns the manifest, or an error naming the member and why, wrapping
// ErrTruncated, ErrTampered or ErrMalformed.
func Verify(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the archive: %w", err)
	}
	defer f.Close()
	return Check(f)
}

// Check reads an archive from r and checks it as Verify does.
func Check(r io.Reader) (*Manifest, error) {
	return read(r, func(string, fs.FileMode) (io.WriteCloser, error) { return discard{}, nil })
}

// Extract reads the archive at path and writes its members under dir, which must be empty,
// each synced, then dir's directories synced. It checks the archive as Verify does and
// returns its manifest. On error dir may hold part of the members: the caller removes it.
func Extract(path, dir string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the archive: %w", err)
	}
	defer f.Close()
	dirs := map[string]bool{dir: true}
	m, err := read(f, func(name string, mode fs.FileMode) (io.WriteCloser, error) {
		target := filepath.Join(dir, filepath.FromSlash(name))
		parent := filepath.Dir(target)
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, err
		}
		for d := parent; d != dir && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm())
		if err != nil {
			return nil, err
		}
		return syncCloser{out}, nil
	})
	if err != nil {
		return nil, err
	}
	for d := range dirs {
		if err := atomicfile.SyncDir(d); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// discard is a member's sink that keeps nothing.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

// syncCloser is a file synced before it is closed.
type syncCloser struct{ *os.File }

func (s syncCloser) Close() error {
	if err := s.Sync(); err != nil {
		s.File.Close()
		return err
	}
	return s.File.Close()
}

// sink opens where a member's bytes go, given its name and permission bits.
type sink func(name string, mode fs.FileMode) (io.WriteCloser, error)

// read reads an archive from r, giving each member's bytes to open's writer, and checks the
// members against the manifest at its end.
func read(r io.Reader, open sink) (*Manifest, error) {
	br := bufio.NewReader(r)
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, streamErr("the archive's header", err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	got := map[string]Member{}
	var order []string
	var m *Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, streamErr(after(order, m), err)
		}
		if m != nil {
			return nil, fmt.Errorf("member %s: %w: it follows %s", hdr.Name, ErrMalformed, ManifestName)
		}
		if err := checkHeader(hdr, got); err != nil {
			return nil, err
		}
		if hdr.Name == ManifestName {
			if m, err = readManifest(tr, hdr); err != nil {
				return nil, err
			}
			continue
		}
		mem, err := copyMember(tr, hdr, open)
		if err != nil {
			return nil, err
		}
		got[mem.Name] = mem
		order = append(order, mem.Name)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: the archive has no %s (was it cut short?)", ErrMalformed, ManifestName)
	}
	if err := checkEnd(br, gz); err != nil {
		return nil, err
	}
	if err := compare(m, got, order); err != nil {
		return nil, err
	}
	return m, nil
}

// after names where in the archive a reading error happened, for its message.
func after(order []string, m *Manifest) string {
	switch {
	case m != nil:
		return "after " + ManifestName
	case len(order) == 0:
		return "the first member"
	}
	return "after member " + order[len(order)-1]
}

// streamErr explains an error of the gzip or tar stream at where.
func streamErr(where string, err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s: %w: %w", where, ErrTruncated, err)
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%s: %w: %w", where, ErrTampered, err)
	}
	return fmt.Errorf("%s: %w: %w", where, ErrMalformed, err)
}

// checkHeader refuses a member that is no regular file, has an unsafe name or permissions
// beyond rwx, or came before.
func checkHeader(hdr *tar.Header, got map[string]Member) error {
	if hdr.Typeflag != tar.TypeReg {
		return fmt.Errorf("member %s: %w: type %q, want a regular file", hdr.Name, ErrMalformed, hdr.Typeflag)
	}
	if hdr.Name != ManifestName {
		if err := checkName(hdr.Name); err != nil {
			return err
		}
	}
	if hdr.Mode&^0o777 != 0 {
		return fmt.Errorf("member %s: %w: mode %o beyond rwx", hdr.Name, ErrMalformed, hdr.Mode)
	}
	if _, dup := got[hdr.Name]; dup {
		return fmt.Errorf("member %s: %w: it is in the archive twice", hdr.Name, ErrMalformed)
	}
	return nil
}

// readManifest reads and decodes the manifest member.
func readManifest(tr *tar.Reader, hdr *tar.Header) (*Manifest, error) {
	if hdr.Size > maxManifest {
		return nil, fmt.Errorf("member %s: %w: %d bytes, the most is %d", ManifestName, ErrMalformed, hdr.Size, maxManifest)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return nil, streamErr("member "+ManifestName, err)
	}
	return decodeManifest(raw)
}

// copyMember copies a member's bytes to its sink, hashing them.
func copyMember(tr *tar.Reader, hdr *tar.Header, open sink) (Member, error) {
	mode := fs.FileMode(hdr.Mode).Perm()
	w, err := open(hdr.Name, mode)
	if err != nil {
		return Member{}, fmt.Errorf("member %s: writing it: %w", hdr.Name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(sinkWriter{w}, h), tr)
	cerr := w.Close()
	if err != nil {
		var we writeError
		if errors.As(err, &we) {
			return Member{}, fmt.Errorf("member %s: writing it: %w", hdr.Name, err)
		}
		return Member{}, streamErr("member "+hdr.Name, err)
	}
	if cerr != nil {
		return Member{}, fmt.Errorf("member %s: writing it: %w", hdr.Name, cerr)
	}
	return Member{Name: hdr.Name, Size: n, Mode: mode, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeError is an error of a member's sink, told apart from one of reading the archive.
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// sinkWriter marks its writer's errors as writeErrors.
type sinkWriter struct{ w io.Writer }

func (s sinkWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		return n, writeError{err}
	}
	return n, nil
}

// checkEnd checks that nothing but the tar's zero padding follows its end, and reads the gzip
// stream to its end so that its checksum is checked, and that nothing follows it either.
func checkEnd(br *bufio.Reader, gz *gzip.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := gz.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return fmt.Errorf("after %s: %w: data after the archive's end", ManifestName, ErrMalformed)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return streamErr("the archive's end", err)
		}
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after %s: %w: data after the compressed stream", ManifestName, ErrMalformed)
	}
	return nil
}

// compare checks the members read against the manifest: the same names, each of the size,
// mode and hash listed.
func compare(m *Manifest, got map[string]Member, order []string) error {
	listed := make(map[string]bool, len(m.Members))
	for _, want := range m.Members {
		listed[want.Name] = true
		have, ok := got[want.Name]
		switch {
		case !ok:
			return fmt.Errorf("member %s: %w: listed in %s, missing from the archive", want.Name, ErrTampered, ManifestName)
		case have.Size != want.Size:
			return fmt.Errorf("member %s: %w: %d bytes, the manifest says %d", want.Name, ErrTampered, have.Size, want.Size)
		case have.SHA256 != want.SHA256:
			return fmt.Errorf("member %s: %w: SHA-256 %s, the manifest says %s", want.Name, ErrTampered, have.SHA256, want.SHA256)
		case have.Mode != want.Mode:
			return fmt.Errorf("member %s: %w: mode %o, the manifest says %o", want.Name, ErrTampered, have.Mode, want.Mode)
		}
	}
	for _, name := range order {
		if !listed[name] {
			return fmt.Errorf("member %s: %w: in the archive, not listed in %s", name, ErrTampered, ManifestName)
		}
	}
	return nil
}
