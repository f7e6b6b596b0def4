package pgtest

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestRemoveStale checks that the next start removes the directories no running binary owns
// and keeps the others: those locked, those being set up and those a server still runs in.
func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name string, age time.Duration) string {
		dir := filepath.Join(tmp, "cellforge-pgtest-"+name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	owned := mk("owned", time.Hour)
	f, err := lockDir(owned)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	released := mk("released", 0)
	g, err := lockDir(released)
	if err != nil {
		t.Fatal(err)
	}
	g.Close() // as the binary's end does
	young := mk("young", time.Minute)
	old := mk("old", time.Hour)
	running := mk("running", time.Hour)
	pid := strconv.Itoa(os.Getpid()) + "\n" + filepath.Join(running, "data") + "\n"
	if err := os.WriteFile(filepath.Join(running, "data", "postmaster.pid"), []byte(pid), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(tmp, "not-ours")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}

	removed := removeStale(tmp)
	slices.Sort(removed)
	if want := []string{old, released}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, dir := range []string{owned, young, running, other} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s: %v, want it kept", dir, err)
		}
	}
	for _, dir := range []string{old, released} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it removed", dir, err)
		}
	}
	// the owner lets go: its directory goes at the next start
	f.Close()
	if removed := removeStale(tmp); !slices.Equal(removed, []string{owned}) {
		t.Errorf("after the owner let go, removed %v, want %v", removed, []string{owned})
	}
}

// TestTemplate checks that a template is filled once per name and that each database made
// from it starts as a copy of it, apart from the others.
func TestTemplate(t *testing.T) {
	fills := 0
	fill := func(url string) error {
		fills++
		return execOn(url, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)")
	}
	tpl := Template(t, "pgtest_kept", fill)
	if again := Template(t, "pgtest_kept", fill); again != tpl || fills != 1 {
		t.Fatalf("second Template: %q (first %q), %d fills; want the same, 1 fill", again, tpl, fills)
	}
	a, b := URLFrom(t, tpl), URLFrom(t, tpl)
	if err := execOn(a, "UPDATE kept SET v = 8"); err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]int{a: 8, b: 7} {
		if got, err := queryInt(url, "SELECT v FROM kept"); err != nil || got != want {
			t.Errorf("%s: v = %d, %v; want %d", url, got, err, want)
		}
	}
}
