package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cellforge/cellforge/store/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := atomicfile.Write(dir, "state", []byte("one"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Write(dir, "state", []byte("two"), 0o600, false)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("writing over a file without replace: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "state")); string(b) != "one" {
		t.Fatalf("the file holds %q after a refused write, want %q", b, "one")
	}
	if err := atomicfile.Write(dir, "state", []byte("three"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "state")); string(b) != "three" {
		t.Fatalf("the file holds %q, want %q", b, "three")
	}
	fi, err := os.Stat(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".state.123", ".state.456", ".other.1", "state.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := atomicfile.Write(dir, "state", []byte("whole"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	n, err := atomicfile.RemoveTemps(dir, "state")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("removed %d temporary files, want 2", n)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".other.1", "state", "state.bak"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "state")); string(b) != "whole" {
		t.Fatalf("the file holds %q, want %q", b, "whole")
	}
}
