package buffer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const segmentExt = ".seg"

// segment is one segment file and the index of its records: the record with sequence number
// first+i is ents[i].
type segment struct {
	first uint64
	path  string
	size  int64 // bytes in the file
	ents  []entry
	// lost is set when the scan at Open stopped at a bad frame: the records after it, up to the
	// next segment, are gone.
	lost bool
}

// entry locates a record in its segment.
type entry struct {
	off int64  // offset of the frame
	t   int64  // append time, Unix nanoseconds
	n   uint32 // data length
}

// end returns one past the sequence number of the segment's last record.
func (s *segment) end() uint64 { return s.first + uint64(len(s.ents)) }

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

// listSegments returns the segments of dir, by first sequence number, not yet scanned.
func listSegments(dir string) ([]*segment, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing segments: %w", err)
	}
	var segs []*segment
	for _, de := range des {
		name := de.Name()
		digits, ok := strings.CutSuffix(name, segmentExt)
		if !ok || len(digits) != 20 || !de.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, &segment{first: first, path: filepath.Join(dir, name)})
	}
	slices.SortFunc(segs, func(a, b *segment) int {
		switch {
		case a.first < b.first:
			return -1
		case a.first > b.first:
			return 1
		}
		return 0
	})
	return segs, nil
}

// scan indexes the records of the segment file. It returns the length of its whole valid
// frames and whether a bad frame stopped the scan before the end of the file.
func (s *segment) scan() (valid int64, damaged bool, err error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, false, fmt.Errorf("opening segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, false, fmt.Errorf("opening segment: %w", err)
	}
	s.size = fi.Size()
	valid, err = scanFrames(f, func(off int64, t int64, data []byte) {
		s.ents = append(s.ents, entry{off: off, t: t, n: uint32(len(data))})
	})
	switch err {
	case nil:
		return valid, false, nil
	case errTorn, errCorrupt:
		return valid, true, nil
	}
	return valid, false, fmt.Errorf("reading segment %s: %w", s.path, err)
}
