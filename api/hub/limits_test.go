package hub

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// badBatchOf returns a CSV batch of exactly size bytes whose every row is bad (a SKU the drop
// does not sell), and its rows.
func badBatchOf(size int) (string, int) {
	const header = "order_id,sku,quantity,lat,lon\n"
	const rowLen = len("B0000000,HAT,1,41,-8\n")
	var b strings.Builder
	b.Grow(size)
	b.WriteString(header)
	rows := (size - len(header)) / rowLen
	pad := (size - len(header)) % rowLen
	for i := range rows - 1 {
		fmt.Fprintf(&b, "B%07d,HAT,1,41,-8\n", i)
	}
	fmt.Fprintf(&b, "B%07d%s,HAT,1,41,-8\n", rows-1, strings.Repeat("x", pad))
	return b.String(), rows
}

// heapObjects is the runtime's metric of the heap in use: the bytes of its objects, live or not
// yet swept (MemStats.HeapAlloc).
const heapObjects = "/memory/classes/heap/objects:bytes"

// heapInUse reads heapObjects. Unlike runtime.ReadMemStats it does not stop the world: read
// every 2 ms, ReadMemStats made the test of the largest batch take 155 s as a 32-bit program
// under emulation, against 46 s this way.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap samples the heap in use until stop is closed, and returns the most it saw.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, heapInUse())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestLargestBadBatch sends the largest batch the hub's limits take, every row of it bad: it
// is refused 422 with its first problems by line and column, as many as the hub lists, the
// count of them all, and nothing is stored; the heap it takes is bounded by a few times the
// batch. One byte more is refused 413, saying the limit.
func TestLargestBadBatch(t *testing.T) {
	if raceDetector {
		t.Skip("32 MiB of bad rows, parsed in one goroutine, race nothing: checked in the pass without the race detector")
	}
	e := newEnv(t)
	planner := roleTokens[configs.RolePlanner]
	body, rows := badBatchOf(api.DefaultMaxBatchBytes)
	if len(body) != api.DefaultMaxBatchBytes || rows <= book.DefaultMaxRows {
		t.Fatalf("the batch is %d bytes of %d rows, want %d bytes of more than %d rows", len(body), rows, api.DefaultMaxBatchBytes, book.DefaultMaxRows)
	}

	runtime.GC()
	before := heapInUse()
	stop := make(chan struct{})
	peak := peakHeap(stop)
	a := e.do("POST", batchPath, planner, "text/csv", body)
	close(stop)
	grew := int64(<-peak) - int64(before)

	b := a.refusal(t, http.StatusUnprocessableEntity, "batch_rejected")
	d := b.Error
	// Every row is bad for its SKU, and the first row past the most a batch may have for that too.
	if d.BadRows != rows || d.Problems != rows+1 || len(d.Rows) != book.DefaultMaxErrors || !d.Truncated {
		t.Fatalf("%d rows listed of %d problems in %d bad rows (truncated %v); want %d listed of %d problems in %d rows",
			len(d.Rows), d.Problems, d.BadRows, d.Truncated, book.DefaultMaxErrors, rows+1, rows)
	}
	for i, r := range d.Rows {
		if r.Line != i+2 || r.Column != "sku" || !strings.Contains(r.Reason, `"HAT"`) {
			t.Fatalf("problem %d: %+v, want line %d, column sku", i, r, i+2)
		}
	}
	if want := fmt.Sprintf("%d problem(s) in %d row(s)", rows+1, rows); !strings.Contains(d.Message, want) {
		t.Errorf("the message %q does not say %q", d.Message, want)
	}
	if len(a.body) > 1<<20 {
		t.Errorf("the refusal is %d bytes: its list is not bounded", len(a.body))
	}
	if n := e.storedOrders(t); n != 0 {
		t.Fatalf("a refused batch stored %d orders", n)
	}
	t.Logf("the heap grew by %d MiB for a batch of %d MiB", grew>>20, len(body)>>20)
	// The batch is held whole, and its rows' ids while it is checked (for ids twice): bounded by
	// the batch's limits. The list of every problem, unbounded, would go well past this.
	if limit := int64(16 * api.DefaultMaxBatchBytes); grew > limit {
		t.Errorf("the heap grew by %d MiB for a batch of %d MiB, more than %d MiB", grew>>20, len(body)>>20, limit>>20)
	}

	over := body + "\n"
	a = e.do("POST", batchPath, planner, "text/csv", over)
	tooBig := a.refusal(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	if !strings.Contains(tooBig.Error.Message, "larger than 32 MiB") || !strings.Contains(tooBig.Error.Message, "Split it") {
		t.Errorf("the refusal of a batch one byte over the limit does not say the limit: %q", tooBig.Error.Message)
	}
	// The same without a Content-Length (chunked): refused as it is read past the limit.
	req, err := http.NewRequest("POST", e.srv.URL+batchPath, io.MultiReader(strings.NewReader(over)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+planner)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Errorf("a chunked batch one byte over the limit: %d (sent with length %d)", resp.StatusCode, req.ContentLength)
	}
	e.stillAnswers(t)
	if n := e.storedOrders(t); n != 0 {
		t.Fatalf("a batch over the limit stored %d orders", n)
	}
}
