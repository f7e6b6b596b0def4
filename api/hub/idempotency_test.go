package hub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

// replayed fails the test unless the answer says whether it is the one remembered of its key.
func (a answer) replayed(t *testing.T, want bool) {
	t.Helper()
	if got := a.header.Get("Idempotent-Replayed") == "true"; got != want {
		t.Errorf("Idempotent-Replayed: %q, want it set %v (%s)", a.header.Get("Idempotent-Replayed"), want, a.body)
	}
}

// same fails the test unless the answer is first again, status and body.
func (a answer) same(t *testing.T, what string, first answer) {
	t.Helper()
	if a.status != first.status || string(a.body) != string(first.body) {
		t.Errorf("%s: %d %s, want the first answer %d %s", what, a.status, a.body, first.status, first.body)
	}
}

// TestBatchKeySurvivesRestart: a batch sent again with its key after the hub was stopped and
// started on the same book gets the first answer again, marked replayed, and nothing is stored
// twice; the same rows as JSON are the same request; another batch with the key is refused; the
// key is its principal's own; a refused batch leaves no key; a key is forgotten after a day.
func TestBatchKeySurvivesRestart(t *testing.T) {
	e := newEnv(t)
	planner, admin := roleTokens[configs.RolePlanner], roleTokens[configs.RoleAdmin]
	first := e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1")
	first.decode(t, 201, nil)
	first.replayed(t, false)

	e.clock.Advance(time.Minute) // a batch stored again would be named after another time
	e.restart(nil)
	again := e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1")
	again.same(t, "the same batch with its key after a restart", first)
	again.replayed(t, true)
	asJSON := `[{"order_id":"N-1","sku":"RUG","quantity":2,"customer":"Ana Braga","due":"2026-12-02T12:00:00Z","lat":41.55,"lon":-8.42},` +
		`{"order_id":"N-2","sku":"SCARF","quantity":1,"customer":"Rui Faro","due":"2026-12-12","lat":37.02,"lon":-7.93},` +
		`{"order_id":"N-3","sku":"RUG","quantity":1,"customer":"Eva Prado","due":"2026-12-12","lat":40.41,"lon":-3.71}]`
	e.do("POST", batchPath, planner, "application/json", asJSON, "Idempotency-Key", "k-1").same(t, "the same rows as JSON", first)
	if n := len(e.orders(t, "")); n != 3 {
		t.Fatalf("the book holds %d orders, want 3", n)
	}
	batches := map[string]bool{}
	for _, o := range e.orders(t, "") {
		batches[o.Batch] = true
	}
	if len(batches) != 1 {
		t.Errorf("the orders are of the batches %v, want one", batches)
	}

	more := goodCSV + "N-4,RUG,1,Zé,2026-12-12,40,-3\n"
	e.do("POST", batchPath, planner, "text/csv", more, "Idempotency-Key", "k-1").refusal(t, 422, "idempotency_key_reused")
	if n := len(e.orders(t, "")); n != 3 {
		t.Fatalf("a batch refused for its key stored orders: the book holds %d, want 3", n)
	}
	// Another principal's k-1 is another key.
	var res network.ImportResult
	e.do("POST", batchPath, admin, "text/csv", more, "Idempotency-Key", "k-1").decode(t, 201, &res)
	if res.Created != 1 || res.Unchanged != 3 {
		t.Errorf("the admin's batch with the planner's key: %+v, want 1 created, 3 unchanged", res)
	}

	// A refused batch leaves no key: mended, it is taken under the same key.
	bad := goodCSV + "N-5,LAMP,1,Zé,2026-12-12,40,-3\n"
	e.do("POST", batchPath, planner, "text/csv", bad, "Idempotency-Key", "k-2").refusal(t, 422, "batch_rejected")
	mended := goodCSV + "N-5,SCARF,1,Zé,2026-12-12,40,-3\n"
	e.do("POST", batchPath, planner, "text/csv", mended, "Idempotency-Key", "k-2").decode(t, 201, &res)
	if res.Created != 1 {
		t.Errorf("the mended batch under the refused one's key: %+v, want 1 created", res)
	}

	// After a day the key is forgotten, kept or expired: the batch is a new request.
	e.clock.Advance(book.IdempotencyTTL)
	late := e.do("POST", batchPath, planner, "text/csv", more, "Idempotency-Key", "k-1")
	late.decode(t, 201, &res)
	late.replayed(t, false)
	if res.Created != 0 || res.Unchanged != 4 {
		t.Errorf("a batch with a key of a day ago: %+v, want 4 unchanged", res)
	}
	if err := e.hub.ExpireIdempotency(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-2").decode(t, 201, &res)
	if res.Unchanged != 3 {
		t.Errorf("a batch with an expired key: %+v, want 3 unchanged", res)
	}

	long := strings.Repeat("k", 201)
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", long).refusal(t, 400, "invalid_request")
}

// TestRepairKeySurvivesRestart: a repair request sent again with its key after a restart gets
// the first answer (201, the repair as it was then) though the repair was routed meanwhile;
// without the key the same request is 200; another request with the key is refused.
func TestRepairKeySurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.repairHello()
	planner := roleTokens[configs.RolePlanner]
	first := e.do("POST", repairsPath, planner, "application/json", goodRepair, "Idempotency-Key", "r-1")
	first.decode(t, 201, nil)
	if n, err := e.hub.RouteWaitingRepairs(e.ctx); err != nil || n != 1 {
		t.Fatalf("routed %d repairs, %v; want the repair", n, err)
	}

	e.restart(nil)
	again := e.do("POST", repairsPath, planner, "application/json", goodRepair, "Idempotency-Key", "r-1")
	again.same(t, "the same repair request with its key after a restart", first)
	again.replayed(t, true)
	var r network.Repair
	e.do("POST", repairsPath, planner, "application/json", goodRepair).decode(t, 200, &r)
	if r.State != network.Routed {
		t.Errorf("the repair without the key: %+v, want it routed", r)
	}
	other := strings.Replace(goodRepair, `"NR-1"`, `"NR-2"`, 1)
	e.do("POST", repairsPath, planner, "application/json", other, "Idempotency-Key", "r-1").refusal(t, 422, "idempotency_key_reused")
	var page repairsPage
	e.do("GET", repairsPath, planner, "", "").decode(t, 200, &page)
	if len(page.Repairs) != 1 {
		t.Errorf("the hub holds %d repairs, want 1", len(page.Repairs))
	}
	// A batch's key is not a repair's.
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "r-1").refusal(t, 422, "idempotency_key_reused")
}

// keyFails is the network's book whose every PutIdempotency fails, as a database that goes
// away after the batch's rows are written would.
type keyFails struct{ network.Store }

var errKeyLost = errors.New("the key could not be written")

func (s keyFails) Write(ctx context.Context, fn func(network.Tx) error) error {
	return s.Store.Write(ctx, func(tx network.Tx) error { return fn(keyFailsTx{tx}) })
}

type keyFailsTx struct{ network.Tx }

func (keyFailsTx) PutIdempotency(book.IdempotencyRecord) error { return errKeyLost }

// TestBatchAndKeyTogether: when the key cannot be written, the batch is not stored either; the
// retry, once the book takes keys again, stores it once.
func TestBatchAndKeyTogether(t *testing.T) {
	e := newEnv(t)
	planner := roleTokens[configs.RolePlanner]
	e.restart(func(st network.Store) network.Store { return keyFails{st} })
	if a := e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1"); a.status != 500 {
		t.Fatalf("a batch whose key could not be written: %d %s, want 500", a.status, a.body)
	}
	if n := len(e.orders(t, "")); n != 0 {
		t.Fatalf("the book holds %d orders of a batch whose key was not written, want none", n)
	}
	e.restart(nil)
	var res network.ImportResult
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1").decode(t, 201, &res)
	if res.Created != 3 {
		t.Errorf("the retry: %+v, want 3 created", res)
	}
}
