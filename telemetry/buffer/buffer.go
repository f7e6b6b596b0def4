package buffer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// ErrClosed is returned by the methods of a Queue after Close.
var ErrClosed = errors.New("buffer: queue closed")

var errTooLarge = errors.New("record too large")

const (
	defaultMaxBytes     = 256 << 20
	defaultMaxAge       = 7 * 24 * time.Hour
	defaultSyncEvery    = 200 * time.Millisecond
	maxSyncEvery        = time.Second
	defaultSegmentBytes = 16 << 20
)

// Options configure a Queue; zero values take the defaults.
type Options struct {
	// MaxBytes bounds the bytes stored on disk; default 256 MiB. When an append would exceed
	// it, the oldest records are dropped (counted in Stats.Dropped), acked or not. Records are
	// dropped a segment at a time, so SegmentBytes is lowered to MaxBytes/4 if it is larger.
	MaxBytes int64
	// MaxAge drops records older than this (counted); default 7 days.
	MaxAge time.Duration
	// SyncEvery is the longest time between an append and its fsync; default 200ms. Values
	// above 1s are clamped to 1s.
	SyncEvery time.Duration
	// SegmentBytes is the size at which a new segment file starts; default 16 MiB.
	SegmentBytes int64
	// Now is the clock that stamps and ages records; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = defaultMaxBytes
	}
	if o.MaxAge <= 0 {
		o.MaxAge = defaultMaxAge
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = defaultSyncEvery
	}
	o.SyncEvery = min(o.SyncEvery, maxSyncEvery)
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = defaultSegmentBytes
	}
	o.SegmentBytes = max(min(o.SegmentBytes, o.MaxBytes/4), 1)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Record is one record of the queue. Time is the time it was appended.
type Record struct {
	Seq  uint64
	Time time.Time
	Data []byte
}

// Stats are the counters of a Queue. Records and Bytes (frames on disk) count what is stored
// and not yet acked; Appended, Acked, Dropped and Replayed count since Open. Replayed counts
// the records Read handed out that had been handed out before: read twice, or read before a
// restart (as far as the persisted read mark tells). OldestTime is the append time of the
// oldest unacked record, zero when there is none.
type Stats struct {
	Records    int64
	Bytes      int64
	Appended   uint64
	Acked      uint64
	Dropped    uint64
	Replayed   uint64
	OldestTime time.Time
}

// Queue is an on-disk FIFO queue of byte records with at-least-once delivery. Its methods are
// safe for concurrent use.
type Queue struct {
	dir  string
	opts Options

	stop chan struct{}
	wg   sync.WaitGroup

	persistMu sync.Mutex
	persisted cursorState // what the cursor file holds; guarded by persistMu

	mu     sync.Mutex
	closed bool
	segs   []*segment // by first sequence number; the last is appended to
	f      *os.File   // the last segment, open for writing
	next   uint64     // the sequence number of the next append
	cursor uint64     // the oldest unacked record, or next
	synced uint64     // the records below it are on disk for sure
	broken bool       // a failed write left bytes past the last segment's size
	acked  bitset     // acked records at or above cursor
	handed bitset     // records at or above cursor that Read handed out
	read   uint64     // one past the newest record Read handed out

	live      int64 // records at or above cursor, not acked
	liveBytes int64 // their frames
	disk      int64 // bytes of all segment files

	appended, ackedN, dropped, replayed uint64
	bgErr                               error

	notify chan struct{} // closed at the next append; made on demand by Wait

	pbuf  []byte  // frames being appended
	pents []entry // their index
}

// createSegment creates an empty segment starting at next and makes it the last one. The
// caller has synced and closed the previous last segment.
func (q *Queue) createSegment() error {
	s := &segment{first: q.next, path: filepath.Join(q.dir, segmentName(q.next))}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating segment: %w", err)
	}
	if err := atomicfile.SyncDir(q.dir); err != nil {
		f.Close()
		os.Remove(s.path)
		return fmt.Errorf("creating segment: %w", err)
	}
	q.segs = append(q.segs, s)
	if q.f != nil {
		q.f = f
	} else {
		f.Close() // Open reopens the last segment itself.
	}
	return nil
}

// roll starts a new segment: the current one is synced first, so that every segment but the
// last is complete on disk.
func (q *Queue) roll() error {
	old := q.f
	if err := old.Sync(); err != nil {
		return fmt.Errorf("syncing segment: %w", err)
	}
	if err := q.createSegment(); err != nil {
		return err
	}
	old.Close() // synced: a close error loses nothing
	q.synced = q.next
	return nil
}

// segIndex returns the index of the segment holding seq, or -1 and the index of the first
// segment after seq.
func (q *Queue) segIndex(seq uint64) (i, after int) {
	j := sort.Search(len(q.segs), func(k int) bool { return q.segs[k].first > seq })
	if j > 0 && seq < q.segs[j-1].end() {
		return j - 1, j
	}
	return -1, j
}

// lookup returns the index entry of seq, if the record is stored.
func (q *Queue) lookup(seq uint64) (entry, bool) {
	i, _ := q.segIndex(seq)
	if i < 0 {
		return entry{}, false
	}
	s := q.segs[i]
	return s.ents[seq-s.first], true
}

// firstAtOrAfter returns the first stored seq at or after seq, or next.
func (q *Queue) firstAtOrAfter(seq uint64) uint64 {
	if seq >= q.next {
		return q.next
	}
	i, j := q.segIndex(seq)
	if i >= 0 {
		return seq
	}
	for ; j < len(q.segs); j++ {
		if len(q.segs[j].ents) > 0 {
			return q.segs[j].first
		}
	}
	return q.next
}

// advance moves the cursor over acked records and gaps, to the oldest unacked record.
func (q *Queue) advance() {
	for q.cursor < q.next {
		if c := q.firstAtOrAfter(q.cursor); c != q.cursor {
			q.cursor = c
			continue
		}
		if !q.acked.has(q.cursor) {
			break
		}
		q.cursor++
	}
	q.acked.trim(q.cursor)
	q.handed.trim(q.cursor)
}

// Append appends records with consecutive sequence numbers and returns the first. They are
// durable after the next sync, which the queue does at least every SyncEvery, or Sync. A record
// larger than 16 MiB is refused and nothing is appended. When an error happens after some
// records were appended, those stay; Next tells how many.
func (q *Queue) Append(data ...[]byte) (first uint64, err error) {
	for _, d := range data {
		if len(d) > maxRecordBytes {
			return 0, fmt.Errorf("appending %d bytes: %w (the limit is %d)", len(d), errTooLarge, maxRecordBytes)
		}
		if frameSize(len(d)) > q.opts.MaxBytes {
			return 0, fmt.Errorf("appending %d bytes: %w (the queue holds %d)", len(d), errTooLarge, q.opts.MaxBytes)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrClosed
	}
	first = q.next
	if len(data) == 0 {
		return first, nil
	}
	now := q.opts.Now()
	if err := q.dropExpired(now); err != nil {
		return first, fmt.Errorf("appending: %w", err)
	}
	if q.broken {
		if err := q.f.Truncate(q.segs[len(q.segs)-1].size); err != nil {
			return first, fmt.Errorf("appending: repairing segment: %w", err)
		}
		q.broken = false
	}
	t := now.UnixNano()
	for _, d := range data {
		n := frameSize(len(d))
		if size := q.segs[len(q.segs)-1].size + int64(len(q.pbuf)); size > 0 && size+n > q.opts.SegmentBytes {
			if err := q.flush(); err != nil {
				return first, err
			}
			if err := q.roll(); err != nil {
				return first, fmt.Errorf("appending: %w", err)
			}
		}
		if q.disk+int64(len(q.pbuf))+n > q.opts.MaxBytes {
			if err := q.flush(); err != nil {
				return first, err
			}
			if err := q.makeRoom(n); err != nil {
				return first, fmt.Errorf("appending: %w", err)
			}
		}
		s := q.segs[len(q.segs)-1]
		q.pents = append(q.pents, entry{off: s.size + int64(len(q.pbuf)), t: t, n: uint32(len(d))})
		q.pbuf = appendFrame(q.pbuf, t, d)
	}
	return first, q.flush()
}

// flush writes the pending frames to the last segment and indexes them.
func (q *Queue) flush() error {
	if len(q.pbuf) == 0 {
		return nil
	}
	s := q.segs[len(q.segs)-1]
	_, err := q.f.WriteAt(q.pbuf, s.size)
	n := int64(len(q.pbuf))
	k := len(q.pents)
	if err == nil {
		s.ents = append(s.ents, q.pents...)
		s.size += n
		q.disk += n
		q.next += uint64(k)
		q.live += int64(k)
		q.liveBytes += n
		q.appended += uint64(k)
		q.wake()
	}
	q.pents = q.pents[:0]
	q.pbuf = q.pbuf[:0]
	if cap(q.pbuf) > 1<<20 {
		q.pbuf = nil // a large batch must not pin its buffer
	}
	if err != nil {
		if terr := q.f.Truncate(s.size); terr != nil {
			q.broken = true
		}
		return fmt.Errorf("appending to segment %s: %w", s.path, err)
	}
	return nil
}

func (q *Queue) wake() {
	if q.notify != nil {
		close(q.notify)
		q.notify = nil
	}
}

// Sync forces the appends so far to disk.
func (q *Queue) Sync() error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		target := q.next
		if q.synced >= target {
			q.mu.Unlock()
			return nil
		}
		f := q.f
		q.mu.Unlock()
		// Without the lock: appends go on while the disk works.
		err := f.Sync()
		q.mu.Lock()
		rolled := q.f != f // a roll syncs the segment it closes
		switch {
		case q.closed:
			q.mu.Unlock()
			return ErrClosed
		case err != nil && !rolled:
			q.mu.Unlock()
			return fmt.Errorf("syncing segment: %w", err)
		case !rolled:
			q.synced = max(q.synced, target)
			q.mu.Unlock()
			return nil
		}
		q.mu.Unlock()
	}
}

// planned is a record Read has chosen.
type planned struct {
	seq uint64
	e   entry
}

// span is a run of chosen records in one segment.
type span struct {
	path  string
	f     *os.File
	start int64
	end   int64
	recs  []planned
}

// Read returns up to max records (and about maxBytes: at least one record, then no more than
// maxBytes of frames) with Seq >= from and >= the oldest stored, in order, skipping the acked
// ones. max or maxBytes <= 0 is no limit. It does not consume: what is not acked is returned
// again. A record found damaged on disk is dropped (counted).
func (q *Queue) Read(from uint64, max int, maxBytes int) ([]Record, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, ErrClosed
	}
	if err := q.dropExpired(q.opts.Now()); err != nil {
		q.mu.Unlock()
		return nil, fmt.Errorf("reading: %w", err)
	}
	spans, count := q.plan(from, max, int64(maxBytes))
	// Open under the lock, so that no segment is removed in between; an open file stays
	// readable after its removal.
	for i := range spans {
		f, err := os.Open(spans[i].path)
		if err != nil {
			for _, sp := range spans[:i] {
				sp.f.Close()
			}
			q.mu.Unlock()
			return nil, fmt.Errorf("reading: %w", err)
		}
		spans[i].f = f
	}
	q.mu.Unlock()

	out := make([]Record, 0, count)
	var bad []planned
	var rerr error
	for _, sp := range spans {
		if rerr != nil {
			sp.f.Close()
			continue
		}
		buf := make([]byte, sp.end-sp.start)
		n, err := sp.f.ReadAt(buf, sp.start)
		sp.f.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			rerr = fmt.Errorf("reading segment %s: %w", sp.path, err)
			continue
		}
		buf = buf[:n]
		for _, p := range sp.recs {
			off := p.e.off - sp.start
			if off+frameSize(int(p.e.n)) > int64(len(buf)) {
				bad = append(bad, p) // the file was cut short under us
				continue
			}
			t, data, _, err := decodeFrame(buf[off:])
			if err != nil || t != p.e.t || len(data) != int(p.e.n) {
				bad = append(bad, p)
				continue
			}
			out = append(out, Record{Seq: p.seq, Time: time.Unix(0, t), Data: data[:len(data):len(data)]})
		}
	}
	if rerr != nil {
		return nil, rerr
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	for _, r := range out {
		if r.Seq >= q.cursor {
			if q.handed.has(r.Seq) {
				q.replayed++
			} else {
				q.handed.set(r.Seq)
			}
		}
		q.read = maxU64(q.read, r.Seq+1)
	}
	if len(bad) > 0 {
		for _, p := range bad {
			if p.seq >= q.cursor && p.seq < q.next && !q.acked.has(p.seq) {
				q.acked.set(p.seq)
				q.drop(p.seq, p.e)
			}
		}
		q.advance()
		if err := q.removeDead(); err != nil {
			return out, fmt.Errorf("reading: %w", err)
		}
	}
	return out, nil
}

func maxU64(a, b uint64) uint64 { return max(a, b) }

// plan chooses the records Read returns, grouped by segment.
func (q *Queue) plan(from uint64, max int, maxBytes int64) ([]span, int) {
	var spans []span
	var count int
	var total int64
	seq := maxU64(from, q.cursor)
	for seq < q.next {
		i, j := q.segIndex(seq)
		if i < 0 {
			if j >= len(q.segs) {
				break
			}
			seq = q.segs[j].first
			continue
		}
		s := q.segs[i]
		for ; seq < s.end(); seq++ {
			if max > 0 && count >= max {
				return spans, count
			}
			if q.acked.has(seq) {
				continue
			}
			e := s.ents[seq-s.first]
			n := frameSize(int(e.n))
			if maxBytes > 0 && count > 0 && total+n > maxBytes {
				return spans, count
			}
			if len(spans) == 0 || spans[len(spans)-1].path != s.path {
				spans = append(spans, span{path: s.path, start: e.off})
			}
			sp := &spans[len(spans)-1]
			sp.recs = append(sp.recs, planned{seq: seq, e: e})
			sp.end = e.off + n
			total += n
			count++
		}
	}
	return spans, count
}

// Ack marks records delivered. The cursor, the oldest unacked seq, advances over contiguous
// acked records; segments wholly below it are deleted. Unknown, dropped or already acked seqs
// are ignored, and so is Ack after Close. The cursor is persisted at most every SyncEvery and on
// Close, so after a crash some acked records may come back.
func (q *Queue) Ack(seqs ...uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	for _, seq := range seqs {
		if seq < q.cursor || seq >= q.next || q.acked.has(seq) {
			continue
		}
		e, ok := q.lookup(seq)
		if !ok {
			continue
		}
		q.acked.set(seq)
		q.ackedN++
		q.live--
		q.liveBytes -= frameSize(int(e.n))
	}
	q.advance()
	if err := q.removeDead(); err != nil && q.bgErr == nil {
		q.bgErr = err
	}
}

// Next returns the seq the next Append gets.
func (q *Queue) Next() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next
}

// Oldest returns the oldest unacked seq, Next when there is none.
func (q *Queue) Oldest() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cursor
}

// Wait blocks until a record with sequence number seq exists (Next() > seq), or ctx ends (it
// returns ctx.Err()), or the queue is closed (ErrClosed).
func (q *Queue) Wait(ctx context.Context, seq uint64) error {
	for {
		q.mu.Lock()
		if q.next > seq {
			q.mu.Unlock()
			return nil
		}
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if q.notify == nil {
			q.notify = make(chan struct{})
		}
		ch := q.notify
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := Stats{
		Records:  q.live,
		Bytes:    q.liveBytes,
		Appended: q.appended,
		Acked:    q.ackedN,
		Dropped:  q.dropped,
		Replayed: q.replayed,
	}
	if e, ok := q.lookup(q.cursor); ok && q.cursor < q.next {
		st.OldestTime = time.Unix(0, e.t)
	}
	return st
}

// Close syncs the appends, persists the cursor and stops the goroutine. It returns an error the
// goroutine met, if any. Later calls return ErrClosed.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.closed = true
	q.wake()
	q.mu.Unlock()
	close(q.stop)
	q.wg.Wait()

	q.mu.Lock()
	var errs []error
	errs = append(errs, q.bgErr)
	if err := q.f.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("closing queue: syncing segment: %w", err))
	}
	if err := q.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing queue: %w", err))
	}
	q.mu.Unlock()
	if err := q.persist(); err != nil {
		errs = append(errs, fmt.Errorf("closing queue: %w", err))
	}
	return errors.Join(errs...)
}

// persist writes the cursor file if the cursor or the read mark moved.
func (q *Queue) persist() error {
	q.persistMu.Lock()
	defer q.persistMu.Unlock()
	q.mu.Lock()
	st := cursorState{cursor: q.cursor, read: q.read}
	q.mu.Unlock()
	if st == q.persisted {
		return nil
	}
	if err := writeCursor(q.dir, st); err != nil {
		return err
	}
	q.persisted = st
	return nil
}

// run syncs appends, drops expired records and persists the cursor every SyncEvery until Close.
func (q *Queue) run() {
	defer q.wg.Done()
	t := time.NewTicker(q.opts.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			q.tick()
		}
	}
}

func (q *Queue) tick() {
	err := q.Sync()
	q.mu.Lock()
	if !q.closed {
		err = errors.Join(err, q.dropExpired(q.opts.Now()))
	}
	q.mu.Unlock()
	err = errors.Join(err, q.persist())
	if err != nil && !errors.Is(err, ErrClosed) {
		q.mu.Lock()
		if q.bgErr == nil {
			q.bgErr = fmt.Errorf("background sync: %w", err)
		}
		q.mu.Unlock()
	}
}
