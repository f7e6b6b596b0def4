package buffer

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// Open opens the queue in dir, creating dir if needed, and starts the goroutine that syncs it.
// It recovers from a crash: a torn or corrupt tail of the last segment is cut off, a bad frame
// in an older segment loses the rest of that segment (counted in Stats.Dropped), and the records
// after the persisted cursor are delivered again. It fails only when the directory or its files
// cannot be used.
func Open(dir string, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening queue: %w", err)
	}
	// A crash while the cursor was written leaves a temporary file; older versions named it
	// cursor.tmp.
	_ = os.Remove(filepath.Join(dir, legacyCursorTmpFile))
	if _, err := atomicfile.RemoveTemps(dir, cursorFile); err != nil {
		return nil, fmt.Errorf("opening queue %s: %w", dir, err)
	}
	st, err := readCursor(dir)
	if err != nil {
		return nil, fmt.Errorf("opening queue %s: %w", dir, err)
	}
	segs, err := listSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("opening queue %s: %w", dir, err)
	}
	q := &Queue{dir: dir, opts: opts, stop: make(chan struct{}), segs: segs, persisted: st}
	if err := q.recover(st); err != nil {
		if q.f != nil {
			q.f.Close()
		}
		return nil, fmt.Errorf("opening queue %s: %w", dir, err)
	}
	q.wg.Add(1)
	go q.run()
	return q, nil
}

// recover indexes the segments, repairs the last one and sets the queue's state from them and
// the persisted cursor st.
func (q *Queue) recover(st cursorState) error {
	var lastValid int64
	var lastDamaged bool
	for i, s := range q.segs {
		valid, damaged, err := s.scan()
		if err != nil {
			return err
		}
		s.lost = damaged
		if i == len(q.segs)-1 {
			lastValid, lastDamaged = valid, damaged
		}
	}
	// Segments do not overlap unless someone copied files around; the later one wins.
	for i := 0; i+1 < len(q.segs); i++ {
		if s, n := q.segs[i], q.segs[i+1]; s.end() > n.first {
			s.ents = s.ents[:n.first-s.first]
		}
	}
	q.next = 1
	if n := len(q.segs); n > 0 {
		last := q.segs[n-1]
		if lastDamaged {
			// A torn write: cut it off so that appends follow the last whole record.
			if err := truncateFile(last.path, lastValid); err != nil {
				return err
			}
			last.size = lastValid
			last.lost = false
		}
		q.next = last.end()
	}
	q.next = max(q.next, st.cursor)
	if n := len(q.segs); n == 0 || q.segs[n-1].end() != q.next {
		// The name of the last segment records next, even when all records are gone.
		if err := q.createSegment(); err != nil {
			return err
		}
	}
	last := q.segs[len(q.segs)-1]
	f, err := os.OpenFile(last.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("opening segment: %w", err)
	}
	q.f = f
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing segment %s: %w", last.path, err)
	}
	q.synced = q.next

	q.cursor = q.firstAtOrAfter(max(st.cursor, q.segs[0].first))
	q.acked.base = q.cursor &^ 63
	q.handed.base = q.cursor &^ 63
	for i, s := range q.segs {
		for j := range s.ents {
			if seq := s.first + uint64(j); seq >= q.cursor {
				q.live++
				q.liveBytes += frameSize(int(s.ents[j].n))
			}
		}
		if s.lost && i+1 < len(q.segs) {
			// The seqs between the bad frame and the next segment are lost.
			if from := max(s.end(), q.cursor); q.segs[i+1].first > from {
				q.dropped += q.segs[i+1].first - from
			}
		}
		q.disk += s.size
	}
	q.read = min(max(st.read, q.cursor), q.next)
	for seq := q.cursor; seq < q.read; seq++ {
		q.handed.set(seq)
	}
	return q.removeDead()
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("repairing segment: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("repairing segment %s: %w", path, err)
	}
	return nil
}
