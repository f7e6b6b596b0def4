package api

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/cells/planner"
)

const (
	plannerToken  = "planner-token-0000000001"
	operatorToken = "operator-token-000000001"
)

type testServer struct {
	*httptest.Server
	api     *Server
	book    *book.Book
	planner *planner.Planner
	floor   *fakeFloor
	store   booktest.Backend
	now     atomic.Pointer[time.Time]
}

func (ts *testServer) advance(d time.Duration) {
	t := ts.now.Load().Add(d)
	ts.now.Store(&t)
}

// newTestServer serves the API of testdata/factory.yaml; setup runs before it serves (to Mount
// pages, say).
func newTestServer(t *testing.T, setup ...func(*Server)) *testServer {
	t.Helper()
	return newTestServerConfig(t, nil, setup...)
}

// newTestServerConfig is newTestServer with configure changing the server's Config first.
func newTestServerConfig(t *testing.T, configure func(*Config), setup ...func(*Server)) *testServer {
	t.Helper()
	return newTestServerOf(t, "testdata/factory.yaml", configure, setup...)
}

// newTestServerOf is newTestServerConfig serving the factory of another file.
func newTestServerOf(t *testing.T, factory string, configure func(*Config), setup ...func(*Server)) *testServer {
	t.Helper()
	f := booktest.Factory(t, factory)
	st, _ := booktest.Store(t, "api.db")
	var err error
	// Sessions expire by the wall clock in the store, so the test clock starts now.
	ts := &testServer{store: st}
	start := time.Now().UTC().Truncate(time.Second)
	ts.now.Store(&start)
	clock := func() time.Time { return *ts.now.Load() }
	ts.book = book.New(book.Config{Store: st, Factory: f, Now: clock})
	// The planner plans only when a test asks it to (Replan): until then the book dispatches
	// by its baseline rule.
	ts.planner = planner.New(planner.Config{Book: ts.book, Factory: f, Now: clock, Search: 50 * time.Millisecond, Seed: 1})
	ts.book.UsePlan(ts.planner)
	ts.floor = newFakeFloor()
	cfg := Config{Book: ts.book, Sessions: st, Lockouts: st, BcryptCost: 4, Now: clock, Version: "test", Planner: ts.planner, Floor: ts.floor}
	if configure != nil {
		configure(&cfg)
	}
	ts.api, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range setup {
		fn(ts.api)
	}
	ts.Server = httptest.NewServer(ts.api.Handler())
	t.Cleanup(ts.Close)
	return ts
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var e errorBody
	r.json(t, &e)
	if e.Error.Message == "" {
		t.Errorf("error %s has no message", r.body)
	}
	return e.Error.Code
}

func (ts *testServer) do(t *testing.T, method, path, token, contentType, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (ts *testServer) importCSV(t *testing.T, csv string) response {
	t.Helper()
	return ts.do(t, "POST", "/api/v1/drops/winter/orders", plannerToken, "text/csv", csv)
}

// firstOp imports one order and returns its first operation's id.
func (ts *testServer) firstOp(t *testing.T, orderID string) int64 {
	t.Helper()
	if r := ts.importCSV(t, "order_id,sku,quantity\n"+orderID+",SCARF,2\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var got struct {
		WorkOrder book.WorkOrder `json:"work_order"`
	}
	ts.do(t, "GET", "/api/v1/orders/"+orderID, plannerToken, "", "").json(t, &got)
	var d book.WorkOrderDetail
	ts.do(t, "GET", "/api/v1/work-orders/"+itoa(got.WorkOrder.ID), plannerToken, "", "").json(t, &d)
	return d.Operations[0].ID
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestHealthz(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(t, "GET", "/healthz", "", "", "")
	var h struct {
		Status string `json:"status"`
		Site   string `json:"site"`
	}
	r.json(t, &h)
	if r.status != http.StatusOK || h.Status != "ok" || h.Site != "api-test" {
		t.Fatalf("healthz = %d %s", r.status, r.body)
	}
}

func TestImportOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		rows        int // bad rows reported
	}{
		{name: "csv", contentType: "text/csv", body: "order_id,sku,quantity\nA,SCARF,1\nB,SCARF,2\n", status: http.StatusCreated},
		{name: "same csv again", contentType: "text/csv; charset=utf-8", body: "order_id,sku,quantity\nA,SCARF,1\nB,SCARF,2\n", status: http.StatusOK},
		{name: "json", contentType: "application/json", body: `[{"order_id":"C","sku":"SCARF","quantity":3}]`, status: http.StatusCreated},
		{name: "missing column", contentType: "text/csv", body: "order_id,quantity\nD,1\n", status: http.StatusUnprocessableEntity, code: codeBatchRejected, rows: 1},
		{name: "bad rows", contentType: "text/csv", body: "order_id,sku,quantity\nD,SCARF,0\nE,HAT,1\nA,SCARF,9\n", status: http.StatusUnprocessableEntity, code: codeBatchRejected, rows: 3},
		{name: "window", contentType: "text/csv", body: "order_id,sku,quantity\nF,SCARF,95\n", status: http.StatusUnprocessableEntity, code: codeBatchRejected, rows: 1},
		{name: "not utf-8", contentType: "text/csv; charset=latin1", body: "order_id,sku,quantity\n", status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia},
		{name: "wrong media type", contentType: "application/xml", body: "<orders/>", status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/drops/winter/orders", plannerToken, tt.contentType, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code == "" {
				return
			}
			var e errorBody
			r.json(t, &e)
			if e.Error.Code != tt.code || len(e.Error.Rows) != tt.rows {
				t.Fatalf("error %s, want code %s with %d rows", r.body, tt.code, tt.rows)
			}
			for _, row := range e.Error.Rows {
				if row.Line < 1 || row.Reason == "" {
					t.Errorf("row error without line or reason: %+v", row)
				}
			}
		})
	}
	var wos struct {
		WorkOrders []book.WorkOrder `json:"work_orders"`
	}
	ts.do(t, "GET", "/api/v1/work-orders?drop=winter", plannerToken, "", "").json(t, &wos)
	if len(wos.WorkOrders) != 3 {
		t.Errorf("%d work orders, want 3 (A, B, C)", len(wos.WorkOrders))
	}
	if r := ts.do(t, "POST", "/api/v1/drops/summer/orders", plannerToken, "text/csv", "order_id,sku,quantity\n"); r.status != http.StatusNotFound {
		t.Errorf("unknown drop: %d", r.status)
	}
}

func TestRoles(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		ctype  string
		body   string
		status int
		code   string
	}{
		{"no token", "POST", "/api/v1/drops/winter/orders", "", "text/csv", "order_id,sku,quantity\nB,SCARF,1\n", 401, codeUnauthorized},
		{"unknown token", "POST", "/api/v1/drops/winter/orders", "nope-nope-nope-nope", "text/csv", "order_id,sku,quantity\nB,SCARF,1\n", 401, codeUnauthorized},
		{"operator cannot import", "POST", "/api/v1/drops/winter/orders", operatorToken, "text/csv", "order_id,sku,quantity\nB,SCARF,1\n", 403, codeForbidden},
		{"planner cannot start", "POST", "/api/v1/operations/" + itoa(op) + "/start", plannerToken, "", "", 403, codeForbidden},
		{"operator cannot dispatch", "POST", "/api/v1/dispatch", operatorToken, "", "", 403, codeForbidden},
		{"planner dispatches", "POST", "/api/v1/dispatch", plannerToken, "", "", 200, ""},
		{"manager by hashed token", "POST", "/api/v1/operations/" + itoa(op) + "/start", "manager-token-0000000001", "", "", 200, ""},
		{"reads need a token", "GET", "/api/v1/cells/weave-1/queue", "", "", "", 401, codeUnauthorized},
		{"an operator reads", "GET", "/api/v1/orders/A", operatorToken, "", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, tt.method, tt.path, tt.token, tt.ctype, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.errorCode(t) != tt.code {
				t.Errorf("code %s, want %s", r.body, tt.code)
			}
		})
	}
	// Only A was imported: the refused writes stored nothing.
	if r := ts.do(t, "GET", "/api/v1/orders/B", plannerToken, "", ""); r.status != http.StatusNotFound {
		t.Errorf("order B, refused three times, is stored: %d %s", r.status, r.body)
	}
}

func TestSignInAndRateLimit(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")

	r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"1234"}`)
	var s Session
	r.json(t, &s)
	if r.status != 200 || s.Token == "" || s.Principal.Role != "operator" {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/start", s.Token, "", ""); r.status != 200 {
		t.Fatalf("operator session cannot start: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"pia","password":"weft-and-warp"}`); r.status != 200 {
		t.Fatalf("planner password sign in: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/auth/signout", s.Token, "", ""); r.status != 204 {
		t.Fatalf("sign out: %d", r.status)
	}
	if r := ts.do(t, "GET", "/api/v1/auth/whoami", s.Token, "", ""); r.status != 401 {
		t.Fatalf("a signed-out token still works: %d", r.status)
	}

	// Guessing: a few wrong PINs, then the person is locked out, even with the right PIN.
	for i := 0; i < addressFailures; i++ {
		if r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"000`+string(rune('0'+i))+`"}`); r.status != 401 {
			t.Fatalf("wrong pin %d: %d %s", i, r.status, r.body)
		}
	}
	r = ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"1234"}`)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.errorCode(t) != codeRateLimited {
		t.Fatalf("after %d failures: %d %s (Retry-After %q)", addressFailures, r.status, r.body, r.header.Get("Retry-After"))
	}
	ts.advance(firstLockout + time.Second)
	if r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"1234"}`); r.status != 200 {
		t.Fatalf("after the lockout: %d %s", r.status, r.body)
	}
}

func TestForwardedForDoesNotDodgeTheClientLimit(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < clientBurst; i++ {
		body := `{"person":"nobody-` + strconv.Itoa(i) + `","pin":"1111"}`
		if r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", body, "X-Forwarded-For", "10.9.9."+strconv.Itoa(i)); r.status != 401 {
			t.Fatalf("attempt %d: %d %s", i, r.status, r.body)
		}
	}
	r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"1234"}`, "X-Forwarded-For", "10.9.9.250")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("attempt past the burst with a fresh X-Forwarded-For: %d %s", r.status, r.body)
	}
}

func TestClientRateLimit(t *testing.T) {
	l := newLimiter(nil) // people who do not exist: no failures are stored
	now := time.Unix(0, 0)
	ctx := t.Context()
	take := func(person, client string, at time.Time) time.Duration {
		t.Helper()
		wait, err := l.reserve(ctx, person, client, false, at)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i := 0; i < clientBurst; i++ {
		if wait := take("p"+string(rune('a'+i)), "10.0.0.1", now); wait != 0 {
			t.Fatalf("attempt %d refused within the burst", i)
		}
	}
	if wait := take("someone", "10.0.0.1", now); wait <= 0 {
		t.Fatalf("attempt past the burst allowed")
	}
	if wait := take("someone", "10.0.0.2", now); wait != 0 {
		t.Fatalf("another client was refused")
	}
	if wait := take("someone", "10.0.0.1", now.Add(clientInterval)); wait != 0 {
		t.Fatalf("the bucket did not refill")
	}
}

func TestIdempotencyKeyOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	path := "/api/v1/operations/" + itoa(op) + "/start"
	first := ts.do(t, "POST", path, operatorToken, "application/json", `{}`, "Idempotency-Key", "tablet-7-001")
	second := ts.do(t, "POST", path, operatorToken, "application/json", `{}`, "Idempotency-Key", "tablet-7-001")
	if first.status != 200 || second.status != 200 || string(first.body) != string(second.body) {
		t.Fatalf("double tap: %d %s / %d %s", first.status, first.body, second.status, second.body)
	}
	if second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the replay is not marked")
	}
	var events struct {
		Events []book.Event `json:"events"`
	}
	ts.do(t, "GET", "/api/v1/events?operation="+itoa(op), plannerToken, "", "").json(t, &events)
	starts := 0
	for _, e := range events.Events {
		if e.To == book.Running {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("%d start events, want 1", starts)
	}
	r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/pause", operatorToken, "application/json", `{"reason":"x"}`, "Idempotency-Key", "tablet-7-001")
	if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != codeIdemMismatch {
		t.Errorf("reused key: %d %s", r.status, r.body)
	}
	// Without a key, the retry is an illegal transition, refused with a reason.
	r = ts.do(t, "POST", path, operatorToken, "", "")
	if r.status != http.StatusConflict || r.errorCode(t) != codeIllegal {
		t.Errorf("second start without a key: %d %s", r.status, r.body)
	}
	// An import retried with its key answers as the first time did.
	batch := "order_id,sku,quantity\nK1,SCARF,1\n"
	a := ts.do(t, "POST", "/api/v1/drops/winter/orders", plannerToken, "text/csv", batch, "Idempotency-Key", "batch-1")
	b := ts.do(t, "POST", "/api/v1/drops/winter/orders", plannerToken, "text/csv", batch, "Idempotency-Key", "batch-1")
	if a.status != 201 || b.status != 201 || string(a.body) != string(b.body) {
		t.Errorf("import retry: %d %s / %d %s", a.status, a.body, b.status, b.body)
	}
	other := ts.do(t, "POST", "/api/v1/drops/winter/orders", plannerToken, "text/csv", "order_id,sku,quantity\nK2,SCARF,1\n", "Idempotency-Key", "batch-1")
	if other.status != http.StatusUnprocessableEntity || other.errorCode(t) != codeIdemMismatch {
		t.Errorf("another batch under a used key: %d %s", other.status, other.body)
	}
}

func TestBadRequestsAreRefusedClearly(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	tests := []struct {
		name, method, path, token, ctype, body string
		status                                 int
		code                                   string
	}{
		{"unknown field", "POST", "/api/v1/operations/" + itoa(op) + "/pause", operatorToken, "application/json", `{"reson":"x"}`, 400, codeInvalid},
		{"wrong type", "POST", "/api/v1/operations/" + itoa(op) + "/scrap", operatorToken, "application/json", `{"reason":"x","quantity":"two"}`, 400, codeInvalid},
		{"pause without reason", "POST", "/api/v1/operations/" + itoa(op) + "/pause", operatorToken, "application/json", `{}`, 400, codeInvalid},
		{"unknown action", "POST", "/api/v1/operations/" + itoa(op) + "/explode", operatorToken, "", "", 404, codeNotFound},
		{"bad id", "GET", "/api/v1/operations/abc", plannerToken, "", "", 400, codeInvalid},
		{"unknown operation", "GET", "/api/v1/operations/424242", plannerToken, "", "", 404, codeNotFound},
		{"unknown cell", "GET", "/api/v1/cells/loom-9/queue", plannerToken, "", "", 404, codeNotFound},
		{"bad limit", "GET", "/api/v1/cells/weave-1/queue?limit=0", plannerToken, "", "", 400, codeInvalid},
		{"unknown route", "GET", "/api/v1/nothing", "", "", "", 404, codeNotFound},
		{"bad state filter", "GET", "/api/v1/work-orders?state=lost", plannerToken, "", "", 400, codeInvalid},
		{"sign in without secret", "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana"}`, 400, codeInvalid},
		// What another site's page can post without asking the browser first (CORS).
		{"sign in as text/plain", "POST", "/api/v1/auth/signin", "", "text/plain", `{"person":"ana","pin":"1234"}`, 415, codeUnsupportedMedia},
		{"sign in as a form", "POST", "/api/v1/auth/signin", "", "application/x-www-form-urlencoded", `{"person":"ana","pin":"1234"}`, 415, codeUnsupportedMedia},
		{"sign in without a type", "POST", "/api/v1/auth/signin", "", "", `{"person":"ana","pin":"1234"}`, 415, codeUnsupportedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, tt.method, tt.path, tt.token, tt.ctype, tt.body)
			if r.status != tt.status || r.errorCode(t) != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
}

// TestCompleteWithAQuantityOverHTTP: a complete takes the good units made; the units short
// need a reason and are scrapped with it; a quantity that cannot hold is refused naming it,
// and changes nothing.
func TestCompleteWithAQuantityOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A") // 2 units
	path := "/api/v1/operations/" + itoa(op) + "/"
	if r := ts.do(t, "POST", path+"start", operatorToken, "", ""); r.status != 200 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	for _, tc := range []struct{ name, action, body, says string }{
		{"more than left", "complete", `{"quantity":3,"reason":"stain"}`, "quantity 3 is more than the 2 units operation"},
		{"short without a reason", "complete", `{"quantity":1}`, "a reason is required for the 1 units short of the 2 left (quantity 1)"},
		{"no good unit", "complete", `{"quantity":0,"reason":"stain"}`, "quantity 0: a complete needs 1 good unit or more"},
		{"negative", "complete", `{"quantity":-2,"reason":"stain"}`, "quantity -2: a complete needs 1 good unit or more"},
		{"with a pause", "pause", `{"quantity":1,"reason":"break"}`, "quantity is only taken when scrapping or completing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", path+tc.action, operatorToken, "application/json", tc.body)
			var e errorBody
			r.json(t, &e)
			if r.status != http.StatusBadRequest || e.Error.Code != codeInvalid || !strings.Contains(e.Error.Message, tc.says) {
				t.Fatalf("%d %s, want 400 saying %q", r.status, r.body, tc.says)
			}
		})
	}
	var o book.Operation
	ts.do(t, "GET", "/api/v1/operations/"+itoa(op), plannerToken, "", "").json(t, &o)
	if o.State != book.Running || o.Scrapped != 0 {
		t.Fatalf("after the refusals the operation is %s with %d scrapped, want running with none", o.State, o.Scrapped)
	}

	r := ts.do(t, "POST", path+"complete", operatorToken, "application/json", `{"quantity":1,"reason":"stain"}`)
	var res book.TransitionResult
	r.json(t, &res)
	if r.status != 200 || res.Operation.State != book.Done || res.Operation.Scrapped != 1 {
		t.Fatalf("complete with 1 good of 2: %d %s", r.status, r.body)
	}
	var ev struct {
		Events []book.Event `json:"events"`
	}
	ts.do(t, "GET", "/api/v1/events?operation="+itoa(op), plannerToken, "", "").json(t, &ev)
	var got []string
	for _, e := range ev.Events[len(ev.Events)-2:] {
		got = append(got, fmt.Sprintf("%s %s %d %q", e.Kind, e.To, e.Quantity, e.Reason))
	}
	want := []string{`operation.scrapped_units running 1 "stain"`, `operation.changed done 0 ""`}
	if !slices.Equal(got, want) {
		t.Errorf("last events %q, want %q", got, want)
	}
}

func TestQueueAndTurnaroundOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	var q struct {
		Queue []book.QueueEntry `json:"queue"`
	}
	ts.do(t, "GET", "/api/v1/cells/weave-1/queue", plannerToken, "", "").json(t, &q)
	if len(q.Queue) != 1 || q.Queue[0].ID != op || q.Queue[0].OrderID != "A" || q.Queue[0].SKU != "SCARF" {
		t.Fatalf("queue = %+v", q.Queue)
	}
	for _, a := range []string{"start", "complete"} {
		if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/"+a, operatorToken, "", ""); r.status != 200 {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	ts.do(t, "GET", "/api/v1/cells/pack-1/queue", plannerToken, "", "").json(t, &q)
	if len(q.Queue) != 1 || q.Queue[0].Capability != "pack" {
		t.Fatalf("pack queue after weaving = %+v", q.Queue)
	}
	ts.advance(90 * time.Minute)
	for _, a := range []string{"start", "complete"} {
		if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(q.Queue[0].ID)+"/"+a, operatorToken, "", ""); r.status != 200 {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	var ta book.Turnaround
	ts.do(t, "GET", "/api/v1/drops/winter/turnaround", plannerToken, "", "").json(t, &ta)
	if ta.Count != 1 || ta.MedianSeconds != 5400 || ta.P90Seconds != 5400 {
		t.Fatalf("turnaround = %+v, want one of 5400 s", ta)
	}
	r := ts.do(t, "GET", "/metrics", "", "", "")
	for _, want := range []string{`cellforge_work_orders{state="done"} 1`, "cellforge_http_request_duration_seconds", `cellforge_operation_transitions_total{action="complete"} 2`,
		`cellforge_cell_load_seconds{cell="weave-1"} 0`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute keeps the served document and the routes in step.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Mount(http.NotFoundHandler()) })
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	r := ts.do(t, "GET", "/api/v1/openapi.yaml", "", "", "")
	if err := yaml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	routes := map[string]bool{}
	for _, rt := range ts.api.echo.Routes() {
		if rt.Path == "/" || rt.Path == "/*" {
			continue // the web pages of Mount, not the API
		}
		path := param.ReplaceAllString(rt.Path, "{$1}")
		key := strings.ToLower(rt.Method) + " " + path
		routes[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s is not in openapi.yaml", key)
		}
	}
	for path, methods := range doc.Paths {
		for m := range methods {
			if m == "parameters" {
				continue
			}
			if !routes[m+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which is not served", m, path)
			}
		}
	}
}

// TestOpenAPIListsEveryErrorCode keeps the error codes of openapi.yaml and those of errors.go
// in step: a client switching on the code learns of every one the daemon sends.
func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("errors.go: %s is not a string literal", name.Name)
				}
				code, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, code)
			}
		}
	}
	if len(codes) == 0 {
		t.Fatal("errors.go declares no error codes")
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	slices.Sort(codes)
	enum := slices.Sorted(slices.Values(doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum))
	for _, c := range codes {
		if _, found := slices.BinarySearch(enum, c); !found {
			t.Errorf("openapi.yaml's error codes lack %q", c)
		}
	}
	for _, c := range enum {
		if _, found := slices.BinarySearch(codes, c); !found {
			t.Errorf("openapi.yaml lists the error code %q, which errors.go does not declare", c)
		}
	}
}
