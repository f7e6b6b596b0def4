package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

const (
	crashPlannerToken  = "crash-planner-token-0001"
	crashOperatorToken = "crash-operator-token-001"
	crashRounds        = 4
	crashBatchRows     = 400
	// crashLargeRows is the size of every other batch: large enough for the book to write it
	// in several transactions (its LargeBatch is 500), which a kill may interrupt.
	crashLargeRows = 2000
)

// crashLog is what the clients of the daemon were told, across rounds.
type crashLog struct {
	mu       sync.Mutex
	next     int
	batches  map[int][]string       // every batch sent: its order ids
	acked    map[int]bool           // batches the daemon acknowledged
	opStates map[int64][]book.State // operation -> states the daemon acknowledged, in order
	actions  int
	// refused notes the new batches the daemon answered with anything but 201.
	refused []string
	// large is true while a large batch is being sent.
	large atomic.Bool
}

func (l *crashLog) newBatch() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	l.next++
	rows := crashBatchRows
	if n%2 == 1 {
		rows = crashLargeRows
	}
	ids := make([]string, rows)
	for i := range ids {
		ids[i] = fmt.Sprintf("B%03d-%04d", n, i)
	}
	l.batches[n] = ids
	return n
}

// unacked returns the batches sent and not acknowledged, oldest first.
func (l *crashLog) unacked() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for n := range l.next {
		if !l.acked[n] {
			out = append(out, n)
		}
	}
	return out
}

func (l *crashLog) counts() (batches, actions int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), l.actions
}

// TestKill9LosesNothingAcknowledged runs a real daemon under imports and floor actions, kills it
// with SIGKILL at a random moment, restarts it on the same data, several times over, and then
// checks the book: every acknowledged batch and action is there, no batch is there in part, and
// the event log agrees with the operations' states. Every other batch is large, written in
// several transactions, and every other kill lands while one is being sent. After every restart
// the batches that were not acknowledged are sent again, as a client would, and each must be
// taken whole: created (201), or, when it was stored and only its answer lost, every row
// unchanged (200); a batch that a kill interrupted and that left anything in the way fails
// that. A restart that says it removed a batch a kill interrupted must be followed by a large
// batch sent again and created whole: the one it removed. It runs on both stores: SQLite in
// the data directory, and a PostgreSQL database.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts and kills a daemon several times")
	}
	for _, st := range crashStores {
		t.Run(st.name, func(t *testing.T) { testKill9LosesNothingAcknowledged(t, st) })
	}
}

func testKill9LosesNothingAcknowledged(t *testing.T, st crashStore) {
	data := t.TempDir()
	storeFlags := st.flags(t, data)
	log := &crashLog{batches: map[int][]string{}, acked: map[int]bool{}, opStates: map[int64][]book.State{}}
	rng := rand.New(rand.NewPCG(1, 2))
	interrupted := 0 // restarts that removed a large batch a kill interrupted
	// checkRestart checks, once d is gone and its log complete, what its start said it removed
	// against what was sent again after it.
	checkRestart := func(d *daemon, createdLarge int) {
		t.Helper()
		if !removedAtStart(d.logs()) {
			return
		}
		interrupted++
		if createdLarge == 0 {
			t.Errorf("a restart removed a batch that a kill interrupted, but no large batch sent again after it was created whole:\n%s", d.logs())
		}
	}
	for round := 0; round < crashRounds; round++ {
		d := startDaemon(t, "testdata/crash.yaml", data, storeFlags...)
		createdLarge := resendUnacked(t, d.url, log)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			importLoop(ctx, d.url, log)
		}()
		for _, cell := range []string{"weave-1", "weave-2", "pack-1"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				operateLoop(ctx, d.url, cell, log)
			}()
		}
		// Let work pile up, then kill at a random moment of it.
		b0, a0 := log.counts()
		waitFor(t, 60*time.Second, "progress before the kill", func() bool {
			b, a := log.counts()
			return b >= b0+2 && a >= a0+5
		})
		if round%2 == 1 {
			waitFor(t, 60*time.Second, "a large batch being sent", log.large.Load)
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		}
		d.kill()
		cancel()
		wg.Wait()
		checkRestart(d, createdLarge)
		log.mu.Lock()
		for _, r := range log.refused {
			t.Errorf("round %d: %s", round, r)
		}
		log.refused = nil
		log.mu.Unlock()
	}

	d := startDaemon(t, "testdata/crash.yaml", data, storeFlags...)
	createdLarge := resendUnacked(t, d.url, log)
	ctx := context.Background()
	stored := map[string]bool{}
	for after := int64(0); ; {
		var page struct {
			WorkOrders []book.WorkOrder `json:"work_orders"`
			NextAfter  int64            `json:"next_after"`
		}
		if code, err := request(ctx, "GET", d.url+"/api/v1/work-orders?limit=10000&after="+strconv.FormatInt(after, 10), crashPlannerToken, "", nil, &page); err != nil || code != 200 {
			t.Fatalf("listing work orders: %d %v", code, err)
		}
		for _, wo := range page.WorkOrders {
			stored[wo.OrderID] = true
		}
		if page.NextAfter == 0 {
			break
		}
		after = page.NextAfter
	}
	batches, actions := log.counts()

	for n, ids := range log.batches {
		present := 0
		for _, id := range ids {
			if stored[id] {
				present++
			}
		}
		switch {
		case log.acked[n] && present != len(ids):
			t.Errorf("batch %d was acknowledged but %d of its %d orders are stored", n, present, len(ids))
		case present != 0 && present != len(ids):
			t.Errorf("batch %d is stored in part: %d of %d orders", n, present, len(ids))
		}
	}

	// Every acknowledged action holds: the operation is in the state it was left in or later.
	rank := map[book.State]int{book.Queued: 1, book.Running: 2, book.Paused: 2, book.Done: 3}
	for id, states := range log.opStates {
		var op book.Operation
		if code, err := request(ctx, "GET", d.url+"/api/v1/operations/"+strconv.FormatInt(id, 10), crashPlannerToken, "", nil, &op); err != nil || code != 200 {
			t.Fatalf("reading operation %d: %d %v", id, code, err)
		}
		last := states[len(states)-1]
		if rank[op.State] < rank[last] {
			t.Errorf("operation %d was acknowledged %s but is %s after the crash", id, last, op.State)
		}
		var detail book.WorkOrderDetail
		if code, err := request(ctx, "GET", d.url+"/api/v1/work-orders/"+strconv.FormatInt(op.WorkOrder, 10), crashPlannerToken, "", nil, &detail); err != nil || code != 200 {
			t.Fatalf("reading work order %d: %d %v", op.WorkOrder, code, err)
		}
		checkWorkOrder(t, detail)
	}

	// Nothing of a batch that a kill interrupted is left in the file, visible or not: the
	// restart removed it.
	d.kill()
	checkRestart(d, createdLarge)
	t.Logf("%d rounds: %d batches acknowledged of %d sent (those not acknowledged sent again after each restart), "+
		"%d actions acknowledged, %d work orders stored; %d restarts removed a large batch that a kill interrupted",
		crashRounds, batches, len(log.batches), actions, len(stored), interrupted)
	pending, workOrders := st.count(t, storeFlags, data)
	if pending != 0 || workOrders != len(stored) {
		t.Errorf("the database holds %d pending batches and %d work orders, of which %d are visible", pending, workOrders, len(stored))
	}
}

// checkWorkOrder checks that a work order is whole: its operations follow each other, and its
// history ends, for each operation, in the state the operation is in.
func checkWorkOrder(t *testing.T, d book.WorkOrderDetail) {
	t.Helper()
	lastTo := map[int64]book.State{}
	for _, e := range d.History {
		if e.Kind == book.EventOperation {
			lastTo[e.Operation] = e.To
		}
	}
	for i, op := range d.Operations {
		if to, ok := lastTo[op.ID]; ok && to != op.State {
			t.Errorf("work order %d: operation %d is %s but its last event says %s", d.ID, op.ID, op.State, to)
		}
		if i > 0 && d.Operations[i-1].State == book.Done && (op.State == book.Pending || op.State == book.Ready) {
			t.Errorf("work order %d: operation %d is done but the next one is %s, not queued", d.ID, d.Operations[i-1].ID, op.State)
		}
		if i > 0 && d.Operations[i-1].State != book.Done && op.State != book.Pending {
			t.Errorf("work order %d: operation %d is %s before the one ahead of it is done", d.ID, op.ID, op.State)
		}
	}
	allDone := len(d.Operations) > 0 && d.Operations[len(d.Operations)-1].State == book.Done
	if allDone != (d.State == book.WorkDone) {
		t.Errorf("work order %d is %s with its last operation %s", d.ID, d.State, d.Operations[len(d.Operations)-1].State)
	}
}

// removedAtStart reports whether a daemon's log says that its store, as it opened, removed a
// batch that a kill interrupted (before the daemon said it serves).
func removedAtStart(logs string) bool {
	removed := strings.Index(logs, "never published")
	serving := strings.Index(logs, "msg=serving")
	return removed >= 0 && (serving < 0 || removed < serving)
}

// resendUnacked sends the batches the daemon did not acknowledge again, as a client would after
// a crash, and checks that each is taken whole: created, or every row unchanged when the batch
// was stored and only its answer lost. It returns how many large batches were created whole.
func resendUnacked(t *testing.T, url string, log *crashLog) (createdLarge int) {
	t.Helper()
	for _, n := range log.unacked() {
		log.mu.Lock()
		rows := len(log.batches[n])
		log.mu.Unlock()
		var res book.ImportResult
		code, err := sendCrashBatch(context.Background(), url, log, n, &res)
		if err != nil {
			t.Fatalf("sending batch %d again: %v", n, err)
		}
		switch {
		case code == 201 && res.Created == rows && res.Unchanged == 0:
			if rows > crashBatchRows {
				createdLarge++
			}
		case code == 200 && res.Unchanged == rows && res.Created == 0:
		default:
			t.Errorf("batch %d of %d rows, not acknowledged before a kill, sent again: %d %+v; want it taken whole, "+
				"201 with every row created or 200 with every row unchanged", n, rows, code, res)
		}
	}
	return createdLarge
}

// importLoop sends new batches until ctx ends or the daemon is gone.
func importLoop(ctx context.Context, url string, log *crashLog) {
	for ctx.Err() == nil {
		n := log.newBatch()
		code, err := sendCrashBatch(ctx, url, log, n, nil)
		if err != nil {
			return
		}
		if code != 201 {
			log.mu.Lock()
			log.refused = append(log.refused, fmt.Sprintf("new batch %d answered %d, want 201", n, code))
			log.mu.Unlock()
		}
	}
}

// sendCrashBatch sends batch n, decodes a 2xx answer into res unless it is nil, and records
// whether the daemon acknowledged the batch (200 or 201: every row is stored). The error says
// that the daemon could not be reached or its answer read.
func sendCrashBatch(ctx context.Context, url string, log *crashLog, n int, res *book.ImportResult) (int, error) {
	log.mu.Lock()
	ids := log.batches[n]
	log.mu.Unlock()
	var b bytes.Buffer
	b.WriteString("order_id,sku,quantity,customer\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s,SCARF,1,crash test\n", id)
	}
	if len(ids) > crashBatchRows {
		log.large.Store(true)
		defer log.large.Store(false)
	}
	var out any
	if res != nil {
		out = res
	}
	code, err := request(ctx, "POST", url+"/api/v1/drops/winter/orders", crashPlannerToken, "text/csv", b.Bytes(), out)
	if err != nil {
		return code, err
	}
	if code == 200 || code == 201 {
		log.mu.Lock()
		log.acked[n] = true
		log.mu.Unlock()
	}
	return code, nil
}

// operateLoop works a cell's queue like an operator: start the head, complete it, again.
func operateLoop(ctx context.Context, url, cell string, log *crashLog) {
	for ctx.Err() == nil {
		var q struct {
			Queue []book.QueueEntry `json:"queue"`
		}
		code, err := request(ctx, "GET", url+"/api/v1/cells/"+cell+"/queue?limit=1", crashPlannerToken, "", nil, &q)
		if err != nil || code != 200 || len(q.Queue) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		op := q.Queue[0]
		action := "start"
		switch op.State {
		case book.Running:
			action = "complete"
		case book.Paused:
			action = "resume"
		}
		var res book.TransitionResult
		code, err = request(ctx, "POST", url+"/api/v1/operations/"+strconv.FormatInt(op.ID, 10)+"/"+action, crashOperatorToken, "", nil, &res)
		if err == nil && code == 200 {
			log.mu.Lock()
			log.opStates[op.ID] = append(log.opStates[op.ID], res.Operation.State)
			log.actions++
			log.mu.Unlock()
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
