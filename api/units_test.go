package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestSerialTakenIsAConflict: a completion whose units would take another unit's serial is
// refused with 409 serial_taken, naming the units and what to change, and changes nothing.
func TestSerialTakenIsAConflict(t *testing.T) {
	ts := newTestServer(t)
	b := ts.firstOp(t, "B")
	a := ts.firstOp(t, "A")
	// Fault injection: B's first unit holds the serial A's first unit is to get, as a pattern
	// that cannot tell orders apart would make it.
	op, err := ts.book.Operation(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.store.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertUnits([]book.Unit{{WorkOrder: op.WorkOrder, Number: 1, OrderUnit: 1, Serial: "A-1", Seq: 1, CreatedAt: time.Now()}})
	}); err != nil {
		t.Fatal(err)
	}
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(a)+"/start", operatorToken, "application/json", "{}"); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	r := ts.do(t, "POST", "/api/v1/operations/"+itoa(a)+"/complete", operatorToken, "application/json", "{}")
	if r.status != http.StatusConflict || r.errorCode(t) != codeSerialTaken ||
		!strings.Contains(string(r.body), `serial \"A-1\" is unit 1 of work order`) || !strings.Contains(string(r.body), "provenance.serial") {
		t.Errorf("complete = %d %s, want 409 serial_taken naming the serial and the pattern", r.status, r.body)
	}
	if got, _ := ts.book.Operation(context.Background(), a); got.State != book.Running {
		t.Errorf("the refused completion left the operation %s", got.State)
	}
}
