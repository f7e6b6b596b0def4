package buffer

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// drop counts seq, at or above the cursor and not acked, as dropped.
func (q *Queue) drop(seq uint64, e entry) {
	q.dropped++
	q.live--
	q.liveBytes -= frameSize(int(e.n))
}

// removeDead deletes the segments wholly below the cursor, but never the last one.
func (q *Queue) removeDead() error {
	for len(q.segs) > 1 && q.segs[0].end() <= q.cursor {
		if err := q.removeFirst(); err != nil {
			return err
		}
	}
	return nil
}

// removeFirst deletes the first segment (not the last) and drops its records still live.
func (q *Queue) removeFirst() error {
	s := q.segs[0]
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing segment: %w", err)
	}
	for seq := max(s.first, q.cursor); seq < s.end(); seq++ {
		if !q.acked.has(seq) {
			q.drop(seq, s.ents[seq-s.first])
		}
	}
	q.disk -= s.size
	q.segs[0] = nil
	q.segs = q.segs[1:]
	if q.cursor < s.end() {
		q.cursor = s.end()
	}
	q.advance()
	return nil
}

// makeRoom drops the oldest segments until n more bytes fit in MaxBytes. Appends go to the
// last segment, so when it is the only one left it is closed and a new one started.
func (q *Queue) makeRoom(n int64) error {
	for q.disk+n > q.opts.MaxBytes {
		switch {
		case len(q.segs) > 1:
			if err := q.removeFirst(); err != nil {
				return err
			}
		case q.segs[0].size > 0:
			if err := q.roll(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// dropExpired drops the records older than MaxAge.
func (q *Queue) dropExpired(now time.Time) error {
	cutoff := now.Add(-q.opts.MaxAge).UnixNano()
	for q.cursor < q.next {
		e, ok := q.lookup(q.cursor)
		if !ok || e.t >= cutoff {
			break
		}
		q.drop(q.cursor, e)
		q.cursor++
		q.advance()
	}
	return q.removeDead()
}
