package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// ReprintSlip prints the slip of repair R-000001, the one repair the fake floor knows.
func (f *fakeFloor) ReprintSlip(ctx context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id != "R-000001" {
		return false, fmt.Errorf("repair %s: %w", id, book.ErrNotFound)
	}
	f.reprints = append(f.reprints, "slip "+id)
	if f.printerDown {
		return true, errors.New("slip of repair " + id + ": printer out of paper")
	}
	return false, nil
}

func TestReprintSlipOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	path := "/api/v1/repairs/R-000001/slip"

	var got slipResponse
	r := ts.do(t, "POST", path, operatorToken, "application/json", "")
	r.json(t, &got)
	if r.status != http.StatusOK || got != (slipResponse{Repair: "R-000001", Printed: true}) {
		t.Fatalf("reprint: %d %s", r.status, r.body)
	}
	a := ts.do(t, "POST", path, operatorToken, "application/json", "", "Idempotency-Key", "slip-1")
	b := ts.do(t, "POST", path, operatorToken, "application/json", "", "Idempotency-Key", "slip-1")
	if a.status != 200 || b.status != 200 || string(a.body) != string(b.body) || b.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried reprint: %d %s / %d %s", a.status, a.body, b.status, b.body)
	}
	if _, n := ts.floor.counts(); n != 2 {
		t.Errorf("%d slips printed, want 2 (the retry prints nothing)", n)
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"unknown repair", "/api/v1/repairs/R-999999/slip", operatorToken, 404, codeNotFound},
		{"a planner", path, roleTokens["planner"], 403, codeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", tc.path, tc.token, "application/json", "")
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	// The printer fails: the slip is owed, and a retry must not owe it twice.
	ts.floor.printerDown = true
	_, before := ts.floor.counts()
	a = ts.do(t, "POST", path, operatorToken, "application/json", "", "Idempotency-Key", "jammed")
	b = ts.do(t, "POST", path, operatorToken, "application/json", "", "Idempotency-Key", "jammed")
	a.json(t, &got)
	if a.status != http.StatusAccepted || got.Printed || !strings.Contains(got.Problem, "out of paper") {
		t.Errorf("reprint with the printer down: %d %s, want 202 with the problem", a.status, a.body)
	}
	if _, after := ts.floor.counts(); b.status != http.StatusAccepted || after != before+1 {
		t.Errorf("retry with the printer down: %d, %d slips owed; want the first answer and 1", b.status, after-before)
	}
}
