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

// next returns the bdSeq of a new session and stores the one after it (255 wraps to 0) before
// the session starts: a crash after the connection then still moves the next one on. A missing
// file starts at 0; a damaged one is an error naming the file.
func (s bdSeqStore) next() (uint64, error) {
	b, err := os.ReadFile(s.path)
	var cur uint64
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("reading the Sparkplug bdSeq: %w", err)
	default:
		cur, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 8)
		if err != nil {
			return 0, fmt.Errorf("the Sparkplug bdSeq in %s: %q is not a number 0..255", s.path, strings.TrimSpace(string(b)))
		}
	}
	if err := s.store((cur + 1) % 256); err != nil {
		return 0, err
	}
	return cur, nil
}

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
