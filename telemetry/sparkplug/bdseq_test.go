package sparkplug

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// next is a session's bdSeq taken and advanced, as a session accepted by the broker does.
func (s bdSeqStore) next() (uint64, error) {
	cur, err := s.current()
	if err != nil {
		return 0, err
	}
	return cur, s.advance(cur)
}

// TestBdSeqStore checks the bdSeq's file: 0 without one, one more at every session, the same
// until a session is accepted, 255 wrapping to 0, and a damaged file refused with its name.
func TestBdSeqStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplug", "bdseq")
	s := bdSeqStore{path}
	for want := uint64(0); want < 3; want++ {
		got, err := s.next()
		if err != nil || got != want {
			t.Fatalf("next = %d, %v; want %d", got, err, want)
		}
	}
	for range 2 {
		if got, err := s.current(); err != nil || got != 3 {
			t.Fatalf("current = %d, %v; want 3 until a session advances it", got, err)
		}
	}
	if err := os.WriteFile(path, []byte("255\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, want := range []uint64{255, 0} {
		if got, err := s.next(); err != nil || got != want {
			t.Fatalf("next = %d, %v; want %d", got, err, want)
		}
	}
	for _, bad := range []string{"256", "-1", "x", ""} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.next(); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("next on %q: %v, want an error naming %s", bad, err, path)
		}
	}
}
