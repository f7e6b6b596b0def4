package buffer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// payload is the data of the record with sequence number seq in these tests: its length and
// bytes depend on seq, so that a record read back can be checked whole.
func payload(seq uint64) []byte {
	n := 20 + int(seq*37%400)
	b := make([]byte, n)
	binary.LittleEndian.PutUint64(b, seq)
	for i := 8; i < n; i++ {
		b[i] = byte(seq*7 + uint64(i))
	}
	return b
}

// open opens a queue that the test closes at its end.
func open(t testing.TB, dir string, opts Options) *Queue {
	t.Helper()
	q, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

// appendN appends the payloads of the next n sequence numbers, one call each.
func appendN(t testing.TB, q *Queue, n int) {
	t.Helper()
	for range n {
		seq := q.Next()
		got, err := q.Append(payload(seq))
		if err != nil {
			t.Fatalf("Append(%d): %v", seq, err)
		}
		if got != seq {
			t.Fatalf("Append got seq %d, want %d", got, seq)
		}
	}
}

// readAll returns every record Read hands out from seq 0.
func readAll(t testing.TB, q *Queue) []Record {
	t.Helper()
	recs, err := q.Read(0, 0, 0)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

func seqsOf(recs []Record) []uint64 {
	var s []uint64
	for _, r := range recs {
		s = append(s, r.Seq)
	}
	return s
}

// checkPayloads fails the test for a record whose data is not the payload of its seq.
func checkPayloads(t testing.TB, recs []Record) {
	t.Helper()
	for _, r := range recs {
		if !bytes.Equal(r.Data, payload(r.Seq)) {
			t.Fatalf("record %d: data %x, want %x", r.Seq, r.Data, payload(r.Seq))
		}
	}
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for seq := from; seq <= to; seq++ {
		s = append(s, seq)
	}
	return s
}

// fakeClock is a clock the test moves; the queue's goroutine reads it too.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestReadAck(t *testing.T) {
	frame := func(seq uint64) int64 { return frameSize(len(payload(seq))) }
	tests := []struct {
		name       string
		acks       []uint64
		from       uint64
		max        int
		maxBytes   int
		want       []uint64
		wantOldest uint64
		wantAcked  uint64
	}{
		{name: "all", want: seqRange(1, 5), wantOldest: 1},
		{name: "from the middle", from: 3, want: seqRange(3, 5), wantOldest: 1},
		{name: "from past the end", from: 9, want: nil, wantOldest: 1},
		{name: "from below the oldest", acks: []uint64{1, 2}, from: 1, want: seqRange(3, 5), wantOldest: 3, wantAcked: 2},
		{name: "out of order acks hold the cursor", acks: []uint64{2, 4}, want: []uint64{1, 3, 5}, wantOldest: 1, wantAcked: 2},
		{name: "filling the gap moves the cursor", acks: []uint64{4, 2, 1}, want: []uint64{3, 5}, wantOldest: 3, wantAcked: 3},
		{name: "all acked", acks: []uint64{5, 4, 3, 2, 1}, want: nil, wantOldest: 6, wantAcked: 5},
		{name: "acked twice counts once", acks: []uint64{1, 1, 3, 3}, want: []uint64{2, 4, 5}, wantOldest: 2, wantAcked: 2},
		{name: "unknown seqs are ignored", acks: []uint64{0, 6, 99}, want: seqRange(1, 5), wantOldest: 1},
		{name: "max", max: 2, want: seqRange(1, 2), wantOldest: 1},
		{name: "max skips acked", acks: []uint64{2}, max: 2, want: []uint64{1, 3}, wantOldest: 1, wantAcked: 1},
		{name: "maxBytes", maxBytes: int(frame(1) + frame(2) + frame(3)/2), want: seqRange(1, 2), wantOldest: 1},
		{name: "maxBytes below one record still gives one", maxBytes: 1, want: seqRange(1, 1), wantOldest: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			q := open(t, t.TempDir(), Options{Now: clock.Now})
			appendN(t, q, 5)
			q.Ack(tt.acks...)
			recs, err := q.Read(tt.from, tt.max, tt.maxBytes)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := seqsOf(recs); !slices.Equal(got, tt.want) {
				t.Errorf("Read seqs = %v, want %v", got, tt.want)
			}
			checkPayloads(t, recs)
			for _, r := range recs {
				if !r.Time.Equal(clock.Now()) {
					t.Errorf("record %d: time %v, want %v", r.Seq, r.Time, clock.Now())
				}
			}
			if got := q.Oldest(); got != tt.wantOldest {
				t.Errorf("Oldest = %d, want %d", got, tt.wantOldest)
			}
			if got := q.Next(); got != 6 {
				t.Errorf("Next = %d, want 6", got)
			}
			st := q.Stats()
			if st.Acked != tt.wantAcked || st.Records != 5-int64(tt.wantAcked) || st.Appended != 5 {
				t.Errorf("Stats = %+v, want Acked %d, Records %d, Appended 5", st, tt.wantAcked, 5-tt.wantAcked)
			}
			var want int64
			for seq := uint64(1); seq <= 5; seq++ {
				if !slices.Contains(tt.acks, seq) {
					want += frame(seq)
				}
			}
			if st.Bytes != want {
				t.Errorf("Stats.Bytes = %d, want %d", st.Bytes, want)
			}
		})
	}
}

func TestAppendBatch(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	first, err := q.Append(payload(1), payload(2), payload(3))
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if first != 1 || q.Next() != 4 {
		t.Fatalf("Append = %d, Next = %d; want 1, 4", first, q.Next())
	}
	if first, err := q.Append(); err != nil || first != 4 {
		t.Fatalf("empty Append = %d, %v; want 4, nil", first, err)
	}
	recs := readAll(t, q)
	if got := seqsOf(recs); !slices.Equal(got, seqRange(1, 3)) {
		t.Fatalf("Read seqs = %v, want 1..3", got)
	}
	checkPayloads(t, recs)
}

func TestAppendRefusesLargeRecords(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		size int
	}{
		{name: "over 16 MiB", size: maxRecordBytes + 1},
		{name: "over MaxBytes", opts: Options{MaxBytes: 1000}, size: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := open(t, t.TempDir(), tt.opts)
			if _, err := q.Append([]byte("small"), make([]byte, tt.size)); !errors.Is(err, errTooLarge) {
				t.Fatalf("Append err = %v, want errTooLarge", err)
			}
			if q.Next() != 1 {
				t.Errorf("Next = %d after a refused batch, want 1", q.Next())
			}
		})
	}
}

func TestWait(t *testing.T) {
	t.Run("wakes on append", func(t *testing.T) {
		q := open(t, t.TempDir(), Options{})
		appendN(t, q, 2)
		type result struct {
			err  error
			next uint64
		}
		done := make(chan result)
		go func() {
			err := q.Wait(context.Background(), 3)
			done <- result{err, q.Next()}
		}()
		appendN(t, q, 1)
		r := <-done
		if r.err != nil || r.next <= 3 {
			t.Fatalf("Wait = %v with Next %d, want nil with Next > 3", r.err, r.next)
		}
	})
	t.Run("returns at once for a stored seq", func(t *testing.T) {
		q := open(t, t.TempDir(), Options{})
		appendN(t, q, 2)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := q.Wait(ctx, 2); err != nil {
			t.Fatalf("Wait = %v, want nil", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		q := open(t, t.TempDir(), Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- q.Wait(ctx, 1) }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		q := open(t, t.TempDir(), Options{})
		done := make(chan error)
		go func() { done <- q.Wait(context.Background(), 1) }()
		if err := q.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("Wait = %v, want ErrClosed", err)
		}
	})
}

func TestClosed(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	appendN(t, q, 1)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := q.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := q.Read(0, 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v, want ErrClosed", err)
	}
	if err := q.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
	if err := q.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	q.Ack(1) // no effect, no panic
	if q.Oldest() != 1 {
		t.Errorf("Oldest = %d after Ack on a closed queue, want 1", q.Oldest())
	}
}

func TestReplayedCountsReadsTwice(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	appendN(t, q, 4)
	if _, err := q.Read(0, 2, 0); err != nil {
		t.Fatal(err)
	}
	if got := q.Stats().Replayed; got != 0 {
		t.Fatalf("Replayed = %d after a first read, want 0", got)
	}
	q.Ack(1)
	readAll(t, q) // 2 again, 3 and 4 for the first time
	if got := q.Stats().Replayed; got != 1 {
		t.Fatalf("Replayed = %d, want 1", got)
	}
}

func TestReopen(t *testing.T) {
	tests := []struct {
		name         string
		opts         Options
		n            int
		readFirst    int // records read (handed out) before the acks
		acks         []uint64
		want         []uint64
		wantReplayed uint64
	}{
		{
			name: "unacked come back", n: 6, readFirst: 6, acks: []uint64{1, 2},
			want: seqRange(3, 6), wantReplayed: 4,
		},
		{
			// Only the cursor is persisted: an ack past it is forgotten.
			name: "acks past the cursor are delivered again", n: 6, readFirst: 6, acks: []uint64{1, 2, 4},
			want: seqRange(3, 6), wantReplayed: 4,
		},
		{name: "not read before is not a replay", n: 6, readFirst: 3, acks: []uint64{1}, want: seqRange(2, 6), wantReplayed: 2},
		{name: "all acked", n: 6, acks: seqRange(1, 6), want: nil},
		{name: "nothing acked", n: 3, want: seqRange(1, 3)},
		{name: "empty", n: 0, want: nil},
		{
			name: "many segments", opts: Options{SegmentBytes: 1024}, n: 100, readFirst: 30, acks: seqRange(1, 50),
			want: seqRange(51, 100),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, tt.opts)
			appendN(t, q, tt.n)
			if tt.readFirst > 0 {
				if _, err := q.Read(0, tt.readFirst, 0); err != nil {
					t.Fatal(err)
				}
			}
			q.Ack(tt.acks...)
			if err := q.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			q = open(t, dir, tt.opts)
			if got := q.Next(); got != uint64(tt.n)+1 {
				t.Errorf("Next after reopen = %d, want %d", got, tt.n+1)
			}
			recs := readAll(t, q)
			if got := seqsOf(recs); !slices.Equal(got, tt.want) {
				t.Errorf("Read after reopen = %v, want %v", got, tt.want)
			}
			checkPayloads(t, recs)
			st := q.Stats()
			if st.Replayed != tt.wantReplayed {
				t.Errorf("Replayed = %d, want %d", st.Replayed, tt.wantReplayed)
			}
			if st.Records != int64(len(tt.want)) {
				t.Errorf("Records = %d, want %d", st.Records, len(tt.want))
			}
			if got, err := q.Append(payload(uint64(tt.n) + 1)); err != nil || got != uint64(tt.n)+1 {
				t.Errorf("Append after reopen = %d, %v; want %d", got, err, tt.n+1)
			}
		})
	}
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func diskBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	for _, p := range segmentFiles(t, dir) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestAckedSegmentsAreDeleted(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{SegmentBytes: 1024})
	appendN(t, q, 100)
	if n := len(segmentFiles(t, dir)); n < 10 {
		t.Fatalf("%d segment files for 100 records in 1 KiB segments, want at least 10", n)
	}
	q.Ack(seqRange(1, 100)...)
	if got := segmentFiles(t, dir); len(got) != 1 {
		t.Fatalf("segment files after acking all = %v, want only the last", got)
	}
}

func TestSeqsAreNotReused(t *testing.T) {
	tests := []struct {
		name   string
		remove bool // remove every segment file, leaving the cursor file
	}{
		{name: "acked queue"},
		{name: "segments removed", remove: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, Options{SegmentBytes: 1024})
			appendN(t, q, 40)
			q.Ack(seqRange(1, 40)...)
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.remove {
				for _, p := range segmentFiles(t, dir) {
					if err := os.Remove(p); err != nil {
						t.Fatal(err)
					}
				}
			}
			q = open(t, dir, Options{SegmentBytes: 1024})
			if got, err := q.Append([]byte("x")); err != nil || got != 41 {
				t.Fatalf("Append after reopen = %d, %v; want 41", got, err)
			}
		})
	}
}

func TestMaxBytes(t *testing.T) {
	const maxBytes, n = 4096, 200
	tests := []struct {
		name     string
		opts     Options
		ackFirst int // acked before the bound is hit: dropping them is not counted
	}{
		{name: "small segments", opts: Options{MaxBytes: maxBytes, SegmentBytes: 512}},
		{name: "segments as large as the bound", opts: Options{MaxBytes: maxBytes, SegmentBytes: 1 << 20}},
		{name: "acked records are not counted", opts: Options{MaxBytes: maxBytes, SegmentBytes: 512}, ackFirst: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, tt.opts)
			appendN(t, q, tt.ackFirst)
			q.Ack(seqRange(1, uint64(tt.ackFirst))...)
			for range n - tt.ackFirst {
				appendN(t, q, 1)
				if got := diskBytes(t, dir); got > maxBytes {
					t.Fatalf("%d bytes on disk, bound %d", got, maxBytes)
				}
			}
			recs := readAll(t, q)
			checkPayloads(t, recs)
			if len(recs) == 0 || recs[len(recs)-1].Seq != n {
				t.Fatalf("Read = %v, want the newest records up to %d", seqsOf(recs), n)
			}
			first := recs[0].Seq
			if got := seqsOf(recs); !slices.Equal(got, seqRange(first, n)) {
				t.Fatalf("Read = %v, want %d..%d without gaps", got, first, n)
			}
			st := q.Stats()
			if want := first - 1 - uint64(tt.ackFirst); st.Dropped != want {
				t.Errorf("Dropped = %d, want %d", st.Dropped, want)
			}
			if st.Records != int64(len(recs)) || q.Oldest() != first {
				t.Errorf("Records = %d, Oldest = %d; want %d, %d", st.Records, q.Oldest(), len(recs), first)
			}
		})
	}
}

func TestMaxAge(t *testing.T) {
	const day = 24 * time.Hour
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		acks        []uint64
		later       time.Duration // clock moved before a read, after the appends
		want        []uint64
		wantDropped uint64
		wantOldest  time.Time
	}{
		{name: "none old yet", later: 5 * day, want: seqRange(1, 5), wantOldest: t0},
		{name: "old ones dropped", later: 8 * day, want: seqRange(4, 5), wantDropped: 3, wantOldest: t0.Add(2 * day)},
		{name: "acked old ones not counted", acks: []uint64{2}, later: 8 * day, want: seqRange(4, 5), wantDropped: 2, wantOldest: t0.Add(2 * day)},
		{name: "all old", later: 20 * day, want: nil, wantDropped: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			q := open(t, t.TempDir(), Options{MaxAge: 7 * day, Now: clock.Now})
			appendN(t, q, 3)
			clock.Add(2 * day)
			appendN(t, q, 2)
			q.Ack(tt.acks...)
			clock.Add(tt.later - 2*day)
			recs := readAll(t, q)
			if got := seqsOf(recs); !slices.Equal(got, tt.want) {
				t.Errorf("Read = %v, want %v", got, tt.want)
			}
			st := q.Stats()
			if st.Dropped != tt.wantDropped {
				t.Errorf("Dropped = %d, want %d", st.Dropped, tt.wantDropped)
			}
			if !st.OldestTime.Equal(tt.wantOldest) {
				t.Errorf("OldestTime = %v, want %v", st.OldestTime, tt.wantOldest)
			}
			if got, err := q.Append([]byte("new")); err != nil || got != 6 {
				t.Errorf("Append = %d, %v; want 6", got, err)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	const writers, perWriter = 4, 300
	dir := t.TempDir()
	q := open(t, dir, Options{SegmentBytes: 4096, SyncEvery: time.Millisecond})
	record := func(w, i int) []byte { return fmt.Appendf(nil, "writer %d record %d", w, i) }

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; {
				batch := [][]byte{record(w, i)}
				if i%3 == 0 && i+1 < perWriter {
					batch = append(batch, record(w, i+1))
				}
				if _, err := q.Append(batch...); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				i += len(batch)
			}
		}()
	}
	stopStats := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopStats:
				return
			default:
			}
			_ = q.Stats()
			if err := q.Sync(); err != nil {
				t.Errorf("Sync: %v", err)
				return
			}
		}
	}()

	// The consumer acks each batch backwards, so the cursor moves only when a batch is done.
	next := make([]int, writers)
	var from uint64 = 1
	for got := 0; got < writers*perWriter; {
		if err := q.Wait(context.Background(), from); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		recs, err := q.Read(from, 50, 0)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for _, r := range recs {
			var w, i int
			if _, err := fmt.Sscanf(string(r.Data), "writer %d record %d", &w, &i); err != nil {
				t.Fatalf("record %d: %q: %v", r.Seq, r.Data, err)
			}
			if i != next[w] {
				t.Fatalf("record %d: writer %d record %d, want record %d", r.Seq, w, i, next[w])
			}
			next[w]++
			got++
			from = r.Seq + 1
		}
		for k := len(recs) - 1; k >= 0; k-- {
			q.Ack(recs[k].Seq)
		}
	}
	close(stopStats)
	wg.Wait()
	if q.Oldest() != q.Next() || q.Next() != writers*perWriter+1 {
		t.Errorf("Oldest = %d, Next = %d; want both %d", q.Oldest(), q.Next(), writers*perWriter+1)
	}
	if st := q.Stats(); st.Records != 0 || st.Acked != writers*perWriter || st.Dropped != 0 || st.Replayed != 0 {
		t.Errorf("Stats = %+v", st)
	}
	if got := segmentFiles(t, dir); len(got) != 1 {
		t.Errorf("segment files = %v, want the last only", got)
	}
}

func writeFile(dir, name string, data []byte) error {
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}
