package buffer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// helperEnv carries the work of TestHelperProcess: "dir n segmentBytes ackFirst".
const helperEnv = "CELLFORGE_BUFFER_HELPER"

// TestHelperProcess is the child of TestKill: it appends n records to the queue in dir, syncs,
// acks the first ackFirst, prints "synced" and appends until it is killed.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		return
	}
	var dir string
	var n, segBytes, ackFirst int
	if _, err := fmt.Sscan(spec, &dir, &n, &segBytes, &ackFirst); err != nil {
		fmt.Fprintln(os.Stderr, "bad helper spec:", err)
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	q, err := Open(dir, Options{SegmentBytes: int64(segBytes), SyncEvery: 0})
	if err != nil {
		fail(err)
	}
	seq := uint64(1)
	appendBatch := func(k int) {
		batch := make([][]byte, k)
		for i := range batch {
			batch[i] = payload(seq + uint64(i))
		}
		if _, err := q.Append(batch...); err != nil {
			fail(err)
		}
		seq += uint64(k)
	}
	for seq <= uint64(n) {
		appendBatch(min(int(seq%5)+1, n+1-int(seq)))
	}
	if err := q.Sync(); err != nil {
		fail(err)
	}
	for s := uint64(1); s <= uint64(ackFirst); s++ {
		q.Ack(s)
	}
	fmt.Println("synced")
	for {
		appendBatch(int(seq%7) + 1)
	}
}

func TestKill(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no processes to kill on " + runtime.GOOS)
	}
	const n = 500
	tests := []struct {
		name     string
		segBytes int
		ackFirst int
	}{
		{name: "one segment", segBytes: 0},
		{name: "small segments", segBytes: 8 << 10},
		{name: "acked half", segBytes: 8 << 10, ackFirst: n / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %d", helperEnv, dir, n, tt.segBytes, tt.ackFirst))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			synced := false
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "synced" {
					synced = true
					break
				}
			}
			if !synced {
				cmd.Wait()
				t.Fatalf("the child ended before syncing: %s", stderr.String())
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			var exit *exec.ExitError
			if err := cmd.Wait(); !errors.As(err, &exit) {
				t.Fatalf("child: %v, want killed", err)
			}

			q := open(t, dir, Options{SegmentBytes: int64(tt.segBytes)})
			oldest := q.Oldest()
			if oldest < 1 || oldest > uint64(tt.ackFirst)+1 {
				t.Errorf("Oldest = %d, want 1..%d", oldest, tt.ackFirst+1)
			}
			recs := readAll(t, q)
			if len(recs) == 0 || recs[0].Seq != oldest {
				t.Fatalf("first record read = %v, want %d", seqsOf(recs[:min(len(recs), 1)]), oldest)
			}
			last := recs[len(recs)-1].Seq
			if last < n {
				t.Fatalf("records up to %d survived, want at least the %d synced", last, n)
			}
			if got := seqsOf(recs); !slices.Equal(got, seqRange(oldest, last)) {
				t.Fatalf("records %d..%d have gaps", oldest, last)
			}
			checkPayloads(t, recs)
			if q.Next() != last+1 {
				t.Errorf("Next = %d, want %d", q.Next(), last+1)
			}
			if got, err := q.Append(payload(last + 1)); err != nil || got != last+1 {
				t.Fatalf("Append after the crash = %d, %v; want %d", got, err, last+1)
			}
			t.Logf("%d records after the kill, the first %d synced", last, n)
		})
	}
}

// lastSegment returns the path of the last segment file of dir.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	segs := segmentFiles(t, dir)
	if len(segs) == 0 {
		t.Fatal("no segment")
	}
	return segs[len(segs)-1]
}

func TestTornTail(t *testing.T) {
	const n = 10
	lastFrame := frameSize(len(payload(n)))
	tests := []struct {
		name   string
		damage func(b []byte) []byte // the last segment's bytes after the damage
		want   uint64                // the records before the damage
	}{
		{name: "cut in the header", damage: func(b []byte) []byte { return b[:int64(len(b))-lastFrame+5] }, want: n - 1},
		{name: "cut after the header", damage: func(b []byte) []byte { return b[:int64(len(b))-lastFrame+headerSize] }, want: n - 1},
		{name: "cut in the data", damage: func(b []byte) []byte { return b[:len(b)-3] }, want: n - 1},
		{name: "garbage after", damage: func(b []byte) []byte { return append(b, "\x07\x00\x00\x00garbage!garbage!"...) }, want: n},
		{name: "zeros after", damage: func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, want: n},
		{name: "huge length after", damage: func(b []byte) []byte { return append(b, "\xff\xff\xff\x7f"...) }, want: n},
		{name: "cut then garbage", damage: func(b []byte) []byte { return append(b[:len(b)-7], "garbage"...) }, want: n - 1},
		{
			name: "flipped bit in the last record",
			damage: func(b []byte) []byte {
				b[len(b)-1] ^= 1
				return b
			},
			want: n - 1,
		},
		{
			name: "flipped bit in an earlier record",
			damage: func(b []byte) []byte {
				b[headerSize+frameSize(len(payload(1)))+2] ^= 0x10 // in record 2's data
				return b
			},
			want: 1,
		},
		{name: "everything cut", damage: func(b []byte) []byte { return b[:3] }, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, Options{})
			appendN(t, q, n)
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			path := lastSegment(t, dir)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}

			q = open(t, dir, Options{})
			recs := readAll(t, q)
			if got := seqsOf(recs); !slices.Equal(got, seqRange(1, tt.want)) {
				t.Fatalf("Read after the damage = %v, want 1..%d", got, tt.want)
			}
			checkPayloads(t, recs)
			appendN(t, q, 3)
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}

			q = open(t, dir, Options{})
			recs = readAll(t, q)
			if got := seqsOf(recs); !slices.Equal(got, seqRange(1, tt.want+3)) {
				t.Fatalf("Read after appending to the repaired queue = %v, want 1..%d", got, tt.want+3)
			}
			checkPayloads(t, recs)
		})
	}
}

func TestCorruptOlderSegment(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 2048}
	q := open(t, dir, opts)
	appendN(t, q, 60)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segmentFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments, want at least 3", len(segs))
	}
	// Damage the second record of the first segment: the rest of that segment is lost.
	var secondFirst uint64
	if _, err := fmt.Sscanf(filepath.Base(segs[1]), "%d.seg", &secondFirst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[frameSize(len(payload(1)))+4] ^= 0xff // record 2's CRC
	if err := os.WriteFile(segs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}

	q = open(t, dir, opts)
	recs := readAll(t, q)
	want := append([]uint64{1}, seqRange(secondFirst, 60)...)
	if got := seqsOf(recs); !slices.Equal(got, want) {
		t.Fatalf("Read = %v, want %v", got, want)
	}
	checkPayloads(t, recs)
	if got, want := q.Stats().Dropped, secondFirst-2; got != want {
		t.Errorf("Dropped = %d, want %d", got, want)
	}
	q.Ack(recs[0].Seq)
	if q.Oldest() != secondFirst {
		t.Errorf("Oldest after acking record 1 = %d, want %d", q.Oldest(), secondFirst)
	}
}

func TestDamageFoundByRead(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{})
	appendN(t, q, 3)
	// Flip a bit of record 2 under the open queue, as a failing disk would.
	path := lastSegment(t, dir)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	off := frameSize(len(payload(1))) + headerSize
	if _, err := f.WriteAt([]byte{^payload(2)[0]}, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	recs := readAll(t, q)
	if got := seqsOf(recs); !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("Read = %v, want [1 3]", got)
	}
	checkPayloads(t, recs)
	if st := q.Stats(); st.Dropped != 1 || st.Records != 2 {
		t.Errorf("Stats = %+v, want Dropped 1, Records 2", st)
	}
}
