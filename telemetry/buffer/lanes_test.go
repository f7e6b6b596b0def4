package buffer

import (
	"context"
	"testing"
	"time"
)

// TestLanes: records stored before the lanes start are the backlog; records appended after are
// live and come first; Reset reads again what was not acked.
func TestLanes(t *testing.T) {
	q, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	data := func(s string) []byte { return []byte(s) }
	if _, err := q.Append(data("old-1"), data("old-2"), data("old-3")); err != nil {
		t.Fatal(err)
	}
	q.Ack(1) // delivered before: not in the backlog
	l := NewLanes(q)
	if _, err := q.Append(data("new-1")); err != nil {
		t.Fatal(err)
	}
	next := func(wantReplayed bool, want ...string) {
		t.Helper()
		recs, replayed, err := l.Next(2, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, string(r.Data))
		}
		if len(got) != len(want) || (len(want) > 0 && replayed != wantReplayed) {
			t.Fatalf("Next = %v (replayed %v), want %v (replayed %v)", got, replayed, want, wantReplayed)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("Next = %v, want %v", got, want)
			}
		}
	}
	next(false, "new-1")
	next(true, "old-2", "old-3")
	next(false)
	// A live record that arrives while the consumer waits wakes it.
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.Append(data("new-2"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	next(false, "new-2")
	// Nothing was acked but old-1: after a failed delivery everything else comes again.
	l.Reset()
	next(true, "old-2", "old-3")
	next(true, "new-1", "new-2")
	next(false)
}
