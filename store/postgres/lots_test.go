package postgres

import (
	"slices"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestNextLotSeqConcurrent: writes of two stores on one database (two daemons) take every
// number of the lot sequence once.
func TestNextLotSeqConcurrent(t *testing.T) {
	s, url := openTest(t)
	s2, err := Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const each = 20
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for _, st := range []*Store{s, s, s2, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := st.Write(t.Context(), func(tx book.Tx) error {
					n, err := tx.NextLotSeq()
					if err == nil {
						mu.Lock()
						got = append(got, n)
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	want := make([]int64, 4*each)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("numbers taken = %v, want 1 to %d once each", got, 4*each)
	}
}
