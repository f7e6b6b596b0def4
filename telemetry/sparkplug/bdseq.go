package sparkplug

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// bdSeqStore keeps the next session's bdSeq in a file, so that it moves on across the daemon's
// restarts: a host that saw the last session's NBIRTH must not take the next one for the same.
type bdSeqStore struct{ path string }

// current returns the bdSeq of the next session: the one stored, 0 when there is no file yet.
// A damaged file is an error naming the file.
func (s bdSeqStore) current() (uint64, error) {
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading the Sparkplug bdSeq: %w", err)
	}
	cur, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 8)
	if err != nil {
		return 0, fmt.Errorf("the Sparkplug bdSeq in %s: %q is not a number 0..255", s.path, strings.TrimSpace(string(b)))
	}
	return cur, nil
}

// advance stores the bdSeq after used (255 wraps to 0), once the broker accepted the
// connection whose will carries used: the next session, after a restart too, moves on. A
// connection refused leaves it, since no host heard of that session.
func (s bdSeqStore) advance(used uint64) error { return s.store((used + 1) % 256) }

// store writes v to the file whole (store/atomicfile), so that a crash leaves the old value or
// the new one; what an earlier crash left half written is removed first.
func (s bdSeqStore) store(v uint64) error {
	dir, name := filepath.Split(s.path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("storing the Sparkplug bdSeq: %w", err)
	}
	if _, err := atomicfile.RemoveTemps(dir, name); err != nil {
		return fmt.Errorf("storing the Sparkplug bdSeq: %w", err)
	}
	if err := atomicfile.Write(dir, name, []byte(strconv.FormatUint(v, 10)+"\n"), 0o640, true); err != nil {
		return fmt.Errorf("storing the Sparkplug bdSeq: %w", err)
	}
	return nil
}
