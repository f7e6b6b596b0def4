package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// files is the content of the tests' archives.
var files = map[string]string{
	"cellforge.db":               strings.Repeat("book ", 5000),
	"keys/signing-key.pem":       "-----BEGIN PRIVATE KEY-----\n",
	"photos/ab/abcdef.jpg":       "\xff\xd8\xff\xe0 photo",
	"network-uplink/uplink.json": `{"cursor":7}`,
}

// writeArchive writes files to an archive at path through a Writer and returns its manifest.
func writeArchive(t *testing.T, path string) Manifest {
	t.Helper()
	src := t.TempDir()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cellforge.db", "keys/signing-key.pem", "photos/ab/abcdef.jpg", "network-uplink/uplink.json"} {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := w.AddFile(name, p); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Commit(Manifest{Version: "test", Book: "sqlite", Schema: 19})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRoundTrip: what a Writer commits, Verify accepts and Extract writes back byte for byte,
// with its permissions, and no temporary file is left beside it.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.tar.gz")
	m := writeArchive(t, path)
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is left: %v", err)
	}
	got, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != 19 || got.Version != "test" || got.Book != "sqlite" || len(got.Members) != len(files) || !got.Created.Equal(m.Created) {
		t.Errorf("manifest read back %+v, written %+v", got, m)
	}
	out := t.TempDir()
	if _, err := Extract(path, out); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		p := filepath.Join(out, filepath.FromSlash(name))
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("%s restored as %q (%v), want %q", name, b, err, want)
		}
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s restored with mode %v (%v), want 0600", name, info.Mode(), err)
		}
	}
}

// TestAbortLeavesNothing: an archive given up leaves neither the file nor its temporary one.
func TestAbortLeavesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("a", 0o600, 3, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("b", 0o600, 10, strings.NewReader("short")); err == nil {
		t.Error("a member shorter than its size was added")
	}
	w.Abort()
	for _, p := range []string{path, path + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is left: %v", p, err)
		}
	}
}

// entry is one tar member of a hand-made archive.
type entry struct {
	name string
	typ  byte
	mode int64
	body string
}

// member describes body as the manifest lists it.
func member(name, body string) Member {
	sum := sha256.Sum256([]byte(body))
	return Member{Name: name, Size: int64(len(body)), Mode: 0o600, SHA256: hex.EncodeToString(sum[:])}
}

// manifestOf is the manifest body listing members.
func manifestOf(t *testing.T, format int, members ...Member) string {
	t.Helper()
	b, err := json.Marshal(Manifest{Format: format, Version: "test", Book: "sqlite", Schema: 1, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// handMade builds an archive of entries, gzip-compressed, with what follows appended.
func handMade(t *testing.T, entries []entry, trailer string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ, mode := e.typ, e.mode
		if typ == 0 {
			typ = tar.TypeReg
		}
		if mode == 0 {
			mode = 0o600
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if typ != tar.TypeReg {
			hdr.Size, hdr.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return append(buf.Bytes(), trailer...)
}

// TestCheckRefuses: every malformed, truncated or tampered archive is refused with the
// reason and the member named.
func TestCheckRefuses(t *testing.T) {
	good := member("keys/k.pem", "key")
	valid := func(extra ...entry) []entry {
		return append([]entry{{name: "keys/k.pem", body: "key"}}, extra...)
	}
	tests := []struct {
		name    string
		entries []entry
		trailer string
		want    error
		says    string
	}{
		{"tampered member", []entry{{name: "keys/k.pem", body: "kex"}, {name: ManifestName, body: manifestOf(t, 1, good)}}, "", ErrTampered, "keys/k.pem"},
		{"member missing", []entry{{name: ManifestName, body: manifestOf(t, 1, good)}}, "", ErrTampered, "keys/k.pem"},
		{"member not listed", valid(entry{name: "x", body: "x"}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrTampered, "member x"},
		{"mode changed", []entry{{name: "keys/k.pem", body: "key", mode: 0o644}, {name: ManifestName, body: manifestOf(t, 1, good)}}, "", ErrTampered, "mode"},
		{"no manifest", valid(), "", ErrMalformed, ManifestName},
		{"member after manifest", valid(entry{name: ManifestName, body: manifestOf(t, 1, good)}, entry{name: "y", body: "y"}), "", ErrMalformed, "member y"},
		{"path escapes", valid(entry{name: "../etc/cron.d/x", body: "x"}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrMalformed, "../etc/cron.d/x"},
		{"absolute path", valid(entry{name: "/etc/x", body: "x"}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrMalformed, "/etc/x"},
		{"symlink", valid(entry{name: "keys/link", typ: tar.TypeSymlink}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrMalformed, "keys/link"},
		{"directory", valid(entry{name: "photos/", typ: tar.TypeDir}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrMalformed, "photos/"},
		{"setuid", []entry{{name: "keys/k.pem", body: "key", mode: 0o4755}, {name: ManifestName, body: manifestOf(t, 1, good)}}, "", ErrMalformed, "mode"},
		{"member twice", valid(entry{name: "keys/k.pem", body: "key"}, entry{name: ManifestName, body: manifestOf(t, 1, good)}), "", ErrMalformed, "twice"},
		{"manifest not json", valid(entry{name: ManifestName, body: "{"}), "", ErrMalformed, ManifestName},
		{"unknown format", valid(entry{name: ManifestName, body: manifestOf(t, 2, good)}), "", ErrMalformed, "format 2"},
		{"manifest lists a bad name", valid(entry{name: ManifestName, body: manifestOf(t, 1, good, member("a/../../b", ""))}), "", ErrMalformed, "a/../../b"},
		{"data after the end", valid(entry{name: ManifestName, body: manifestOf(t, 1, good)}), "more", ErrMalformed, "after the compressed stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(bytes.NewReader(handMade(t, tt.entries, tt.trailer)))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Check: %v, want %v naming %q", err, tt.want, tt.says)
			}
		})
	}
	if _, err := Check(bytes.NewReader(handMade(t, valid(entry{name: ManifestName, body: manifestOf(t, 1, good)}), ""))); err != nil {
		t.Fatalf("the valid hand-made archive: %v", err)
	}
}

// TestTruncatedAndFlipped: an archive cut at any length, or with any one byte of its
// compressed stream changed, is refused; Extract writes nothing from one but into its own dir.
func TestTruncatedAndFlipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	writeArchive(t, path)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(raw); n += 1 + n/16 {
		if _, err := Check(bytes.NewReader(raw[:n])); err == nil {
			t.Fatalf("the archive cut to %d of %d bytes was accepted", n, len(raw))
		} else if n > 20 && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("cut to %d bytes: %v", n, err)
		}
	}
	plain := gunzip(t, raw)
	for i := 10; i < len(raw)-8; i += 7 {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x40
		// a change the decompressed stream does not show (a Huffman table's slack) changes nothing
		if _, err := Check(bytes.NewReader(bad)); err == nil && !bytes.Equal(gunzip(t, bad), plain) {
			t.Fatalf("the archive with byte %d changed was accepted", i)
		}
	}
	// a byte of a member changed and the archive compressed again: only the manifest tells
	at := bytes.Index(plain, []byte(files["network-uplink/uplink.json"]))
	plain[at+3] = 'X'
	var re bytes.Buffer
	gz := gzip.NewWriter(&re)
	gz.Write(plain)
	gz.Close()
	if _, err := Check(&re); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "network-uplink/uplink.json") {
		t.Fatalf("a member changed: %v, want ErrTampered naming it", err)
	}
	cut := filepath.Join(t.TempDir(), "cut.tar.gz")
	if err := os.WriteFile(cut, raw[:len(raw)-40], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(cut, t.TempDir()); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Extract of a truncated archive: %v, want ErrTruncated", err)
	}
}

// FuzzCheck: no input makes the reader panic, and whatever it accepts is an archive whose
// every member is listed in its manifest under a safe name.
func FuzzCheck(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "b.tar.gz")
	w, err := Create(path)
	if err != nil {
		f.Fatal(err)
	}
	if err := w.Add("keys/k.pem", 0o600, 3, strings.NewReader("key")); err != nil {
		f.Fatal(err)
	}
	if _, err := w.Commit(Manifest{Version: "seed", Book: "sqlite", Schema: 1}); err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Check(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("an error of no known kind: %v", err)
			}
			return
		}
		for _, mem := range m.Members {
			if !fs.ValidPath(mem.Name) || mem.Name == ManifestName {
				t.Fatalf("accepted a member named %q", mem.Name)
			}
		}
	})
}

// gunzip returns the decompressed bytes of raw, or nil when they do not decompress.
func gunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		return nil
	}
	return b
}
