package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/drivers/health"
)

// fakeFloor records what the API asks of the floor. The cell controllers' own behaviour is
// tested in package cells against the simulated plant; here only the API's side is.
type fakeFloor struct {
	mu       sync.Mutex
	faults   []string // "cell code by"
	reprints []string // "cell op unit"
	resets   []string // "cell by: note"
	// labels are the units finished per operation at cells with a printer; printerDown makes
	// the printer fail.
	labels      map[int64]int
	printerDown bool
	// hold, when set, keeps a reprint printing until it is closed; entered hears of each
	// reprint that starts printing.
	hold, entered chan struct{}
	// elsewhere is the cell another daemon drives: every command to it fails.
	elsewhere string
}

func newFakeFloor() *fakeFloor { return &fakeFloor{labels: map[int64]int{}} }

func (f *fakeFloor) CellStatus(id string) (cells.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := cells.Status{Cell: id, Manual: true}
	for _, r := range f.faults {
		if fields := strings.Fields(r); fields[0] == id {
			st.Down = fmt.Sprintf("fault reported by %s: %s", fields[2], fields[1])
		}
	}
	return st, true
}

// ResetCell clears the faults reported at a cell, as a manual cell's controller does: with
// none there is nothing to reset.
func (f *fakeFloor) ResetCell(ctx context.Context, id, by, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == f.elsewhere {
		return fmt.Errorf("cell %s: %w", id, cells.ErrElsewhere)
	}
	kept := f.faults[:0]
	for _, r := range f.faults {
		if strings.Fields(r)[0] != id {
			kept = append(kept, r)
		}
	}
	if len(kept) == len(f.faults) {
		return cells.ErrManual
	}
	f.faults = kept
	f.resets = append(f.resets, id+" "+by+": "+note)
	return nil
}

func (f *fakeFloor) Devices() []health.Snapshot { return nil }
func (f *fakeFloor) Simulator() http.Handler    { return nil }

func (f *fakeFloor) ReportFault(ctx context.Context, cell, code, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cell == f.elsewhere {
		return fmt.Errorf("cell %s: %w", cell, cells.ErrElsewhere)
	}
	f.faults = append(f.faults, cell+" "+code+" "+by)
	return nil
}

func (f *fakeFloor) ReprintLabel(ctx context.Context, cell string, op int64, unit int) (string, error) {
	f.mu.Lock()
	hold, entered := f.hold, f.entered
	f.mu.Unlock()
	if hold != nil {
		entered <- struct{}{}
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cell == f.elsewhere {
		return "", fmt.Errorf("cell %s: %w", cell, cells.ErrElsewhere)
	}
	if cell != "pack-1" {
		return "", fmt.Errorf("cell %s: %w", cell, cells.ErrNoPrinter)
	}
	finished, ok := f.labels[op]
	if !ok {
		return "", fmt.Errorf("%w: %d", book.ErrUnknownOperation, op)
	}
	if unit == 0 {
		unit = finished
	}
	if unit == 0 || unit > finished {
		return "", fmt.Errorf("unit %d: %w", unit, cells.ErrNotFinished)
	}
	f.reprints = append(f.reprints, fmt.Sprintf("%s %d %d", cell, op, unit))
	serial := fmt.Sprintf("A-%d", unit)
	if f.printerDown {
		return serial, errors.New("label " + serial + ": printer out of paper")
	}
	return serial, nil
}

func (f *fakeFloor) counts() (faults, reprints int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.faults), len(f.reprints)
}

func TestReportFaultOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	path := "/api/v1/cells/weave-1/fault"

	r := ts.do(t, "POST", path, operatorToken, "application/json", `{"code":"coffee"}`)
	var e errorBody
	r.json(t, &e)
	if r.status != http.StatusBadRequest || e.Error.Code != codeInvalid ||
		!slices.Equal(e.Error.Valid, []string{"jam", "yarn-break", "heater", "leak", "sensor", "power", "other"}) ||
		!strings.Contains(e.Error.Message, "jam, yarn-break, heater") {
		t.Fatalf("unknown code: %d %s, want 400 listing the factory's fault codes", r.status, r.body)
	}
	if n, _ := ts.floor.counts(); n != 0 {
		t.Fatalf("a refused report reached the floor")
	}

	// A double tap with one key reports once, and answers the same both times.
	first := ts.do(t, "POST", path, operatorToken, "application/json", `{"code":"jam"}`, "Idempotency-Key", "tablet-3-017")
	second := ts.do(t, "POST", path, operatorToken, "application/json", `{"code":"jam"}`, "Idempotency-Key", "tablet-3-017")
	var st cells.Status
	first.json(t, &st)
	if first.status != http.StatusAccepted || st.Cell != "weave-1" || st.Down != "fault reported by token:operator-bot: jam" {
		t.Fatalf("report: %d %s", first.status, first.body)
	}
	if second.status != http.StatusAccepted || string(second.body) != string(first.body) || second.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s (replayed %q), want the first answer replayed", second.status, second.body, second.header.Get("Idempotent-Replayed"))
	}
	if n, _ := ts.floor.counts(); n != 1 {
		t.Errorf("%d reports reached the floor, want 1", n)
	}
	r = ts.do(t, "POST", path, operatorToken, "application/json", `{"code":"leak"}`, "Idempotency-Key", "tablet-3-017")
	if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != codeIdemMismatch {
		t.Errorf("another report under the key: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name, path, token, body string
		status                  int
		code                    string
	}{
		{"no token", path, "", `{"code":"jam"}`, 401, codeUnauthorized},
		{"planner may not", path, plannerToken, `{"code":"jam"}`, 403, codeForbidden},
		{"unknown cell", "/api/v1/cells/loom-9/fault", operatorToken, `{"code":"jam"}`, 404, codeNotFound},
		{"no code", path, operatorToken, `{}`, 400, codeInvalid},
		{"unknown field", path, operatorToken, `{"code":"jam","why":"x"}`, 400, codeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", tc.path, tc.token, "application/json", tc.body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	if n, _ := ts.floor.counts(); n != 1 {
		t.Errorf("%d reports reached the floor, want still 1", n)
	}
}

// TestCommandsToACellDrivenElsewhere: with two daemons on one database, a command to a cell the
// other daemon drives is refused with 409 driven_elsewhere, which tells the client to send it
// there, not as a device's or the server's failure.
func TestCommandsToACellDrivenElsewhere(t *testing.T) {
	ts := newTestServer(t)
	ts.floor.mu.Lock()
	ts.floor.elsewhere = "pack-1"
	ts.floor.labels[7] = 1
	ts.floor.mu.Unlock()
	for _, tc := range []struct{ name, path, token, body string }{
		{"fault", "/api/v1/cells/pack-1/fault", operatorToken, `{"code":"jam"}`},
		{"reset", "/api/v1/cells/pack-1/reset", operatorToken, `{}`},
		{"reprint", "/api/v1/cells/pack-1/labels", operatorToken, `{"operation":7,"unit":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", tc.path, tc.token, "application/json", tc.body)
			if r.status != http.StatusConflict || r.errorCode(t) != codeElsewhere {
				t.Fatalf("%d %s, want 409 %s", r.status, r.body, codeElsewhere)
			}
		})
	}
}

func TestReprintLabelOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	ts.floor.labels[7] = 2
	path := "/api/v1/cells/pack-1/labels"

	var got labelResponse
	r := ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7}`)
	r.json(t, &got)
	if r.status != http.StatusOK || got != (labelResponse{Serial: "A-2", Printed: true}) {
		t.Fatalf("reprint of the last unit: %d %s", r.status, r.body)
	}
	a := ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7,"unit":1}`, "Idempotency-Key", "reprint-1")
	b := ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7,"unit":1}`, "Idempotency-Key", "reprint-1")
	if a.status != 200 || b.status != 200 || string(a.body) != string(b.body) || b.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried reprint: %d %s / %d %s", a.status, a.body, b.status, b.body)
	}
	if _, n := ts.floor.counts(); n != 2 {
		t.Errorf("%d labels printed, want 2 (the retry prints nothing)", n)
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"unit not finished", path, `{"operation":7,"unit":3}`, 409, codeNotFinished},
		{"no printer", "/api/v1/cells/weave-1/labels", `{"operation":7}`, 409, codeNoPrinter},
		{"unknown operation", path, `{"operation":99}`, 404, codeNotFound},
		{"unknown cell", "/api/v1/cells/loom-9/labels", `{"operation":7}`, 404, codeNotFound},
		{"no operation", path, `{"unit":1}`, 400, codeInvalid},
		{"negative unit", path, `{"operation":7,"unit":-1}`, 400, codeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", tc.path, operatorToken, "application/json", tc.body, "Idempotency-Key", "k-"+tc.name)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	// A refusal is not remembered: once the unit is finished, the same key prints it.
	ts.floor.labels[7] = 3
	r = ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7,"unit":3}`, "Idempotency-Key", "k-unit not finished")
	if r.status != http.StatusOK || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("retry once the unit is finished: %d %s", r.status, r.body)
	}

	// The printer fails: the label is owed, and a retry must not owe it twice.
	ts.floor.printerDown = true
	_, before := ts.floor.counts()
	a = ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7,"unit":2}`, "Idempotency-Key", "jammed")
	b = ts.do(t, "POST", path, operatorToken, "application/json", `{"operation":7,"unit":2}`, "Idempotency-Key", "jammed")
	a.json(t, &got)
	if a.status != http.StatusAccepted || got.Serial != "A-2" || got.Printed || !strings.Contains(got.Problem, "out of paper") {
		t.Errorf("reprint with the printer down: %d %s, want 202 with the serial and the problem", a.status, a.body)
	}
	if _, after := ts.floor.counts(); b.status != http.StatusAccepted || after != before+1 {
		t.Errorf("retry with the printer down: %d, %d labels owed; want the first answer and 1", b.status, after-before)
	}
}

// TestReprintLabelDoubleTap: a tablet sends a reprint again with its key while the first is
// still printing (a double tap, a retry after a lost answer): the second request waits for the
// first answer and gets it, no error, and the label prints once.
func TestReprintLabelDoubleTap(t *testing.T) {
	ts := newTestServer(t)
	ts.floor.labels[7] = 2
	hold := make(chan struct{})
	ts.floor.hold, ts.floor.entered = hold, make(chan struct{}, 2)
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	// Before the server stops, which waits for the requests under way.
	t.Cleanup(release)
	type answer struct {
		status   int
		body     string
		replayed string
		err      error
	}
	send := func() <-chan answer {
		out := make(chan answer, 1)
		go func() {
			req, err := http.NewRequest("POST", ts.URL+"/api/v1/cells/pack-1/labels", strings.NewReader(`{"operation":7}`))
			if err != nil {
				out <- answer{err: err}
				return
			}
			req.Header.Set("Authorization", "Bearer "+operatorToken)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "tap-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				out <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out <- answer{resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed"), err}
		}()
		return out
	}
	first := send()
	<-ts.floor.entered
	second := send()
	// The second must not answer while the first prints: give it a moment to show that it
	// does not, then let the first finish.
	select {
	case a := <-second:
		t.Fatalf("the second tap answered while the first printed: %+v", a)
	case <-ts.floor.entered:
		t.Fatal("the second tap printed too")
	case <-time.After(300 * time.Millisecond):
	}
	release()
	a, b := <-first, <-second
	want := `{"serial":"A-2","printed":true}`
	if a.err != nil || a.status != http.StatusOK || strings.TrimSpace(a.body) != want {
		t.Errorf("first tap: %+v, want 200 %s", a, want)
	}
	if b.err != nil || b.status != http.StatusOK || strings.TrimSpace(b.body) != want || b.replayed != "true" {
		t.Errorf("second tap: %+v, want the first answer replayed", b)
	}
	if _, n := ts.floor.counts(); n != 1 {
		t.Errorf("%d labels printed, want 1", n)
	}
}

func TestCookieSession(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	session, err := ts.api.SignIn(context.Background(), SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.0.9"})
	if err != nil {
		t.Fatal(err)
	}
	cookie := SessionCookie + "=" + session.Token
	for _, tc := range []struct {
		name, method, path string
		header             []string
		status             int
		code               string
	}{
		{"read", "GET", "/api/v1/auth/whoami", []string{"Cookie", cookie}, 200, ""},
		{"write without the header", "POST", "/api/v1/operations/" + itoa(op) + "/start", []string{"Cookie", cookie}, 403, codeCSRF},
		{"write with a wrong header", "POST", "/api/v1/operations/" + itoa(op) + "/start", []string{"Cookie", cookie, RequestHeader, "yes"}, 403, codeCSRF},
		{"write with the header", "POST", "/api/v1/operations/" + itoa(op) + "/start", []string{"Cookie", cookie, RequestHeader, "1"}, 200, ""},
		{"unknown cookie", "GET", "/api/v1/auth/whoami", []string{"Cookie", SessionCookie + "=nope"}, 401, codeUnauthorized},
		{"bearer wins over the cookie", "GET", "/api/v1/auth/whoami", []string{"Cookie", SessionCookie + "=nope", "Authorization", "Bearer " + session.Token}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, "", "", "", tc.header...)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.code != "" && r.errorCode(t) != tc.code {
				t.Errorf("code %s, want %s", r.body, tc.code)
			}
		})
	}
	if got := ts.do(t, "GET", "/api/v1/operations/"+itoa(op), plannerToken, "", ""); !strings.Contains(string(got.body), `"state":"running"`) {
		t.Errorf("operation after the cookie writes: %s, want started once", got.body)
	}
	// Signing out over the cookie ends the session.
	if r := ts.do(t, "POST", "/api/v1/auth/signout", "", "", "", "Cookie", cookie, RequestHeader, "1"); r.status != 204 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	if _, err := ts.api.Authenticate(context.Background(), session.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate after sign-out = %v, want ErrUnauthenticated", err)
	}
}

func TestSignInMethod(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	s, err := ts.api.SignIn(ctx, SignInRequest{Person: "pia", Password: "weft-and-warp", Client: "10.0.0.1"})
	if err != nil || s.Token == "" || s.Principal != (Principal{ID: "person:pia", Name: "Pia", Role: "planner"}) || !s.ExpiresAt.After(*ts.now.Load()) {
		t.Fatalf("SignIn = %+v, %v", s, err)
	}
	if p, err := ts.api.Authenticate(ctx, s.Token); err != nil || p != s.Principal {
		t.Errorf("Authenticate = %+v, %v; want %+v", p, err, s.Principal)
	}
	if !Allowed(s.Principal.Role, PermImport) || Allowed(s.Principal.Role, PermOperate) {
		t.Errorf("a planner may import and may not operate")
	}
	if err := ts.api.SignOut(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.api.Authenticate(ctx, s.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate after SignOut = %v, want ErrUnauthenticated", err)
	}

	// The lockout of a person at an address: a few wrong PINs, then even the right one waits
	// there; another address may still sign the person in.
	for i := range addressFailures {
		_, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: fmt.Sprintf("000%d", i), Client: "10.0.1.1"})
		if !errors.Is(err, ErrWrongCredentials) {
			t.Fatalf("wrong pin %d: %v, want ErrWrongCredentials", i, err)
		}
	}
	_, err = ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.1.1"})
	var limited *RateLimitedError
	if !errors.As(err, &limited) || limited.Wait <= 0 || limited.Wait > firstLockout {
		t.Fatalf("after %d failures: %v, want a *RateLimitedError of up to %s", addressFailures, err, firstLockout)
	}
	if _, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.2.1"}); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	ts.advance(limited.Wait)
	if _, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.1.1"}); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}

	// The per-client limit: one address cannot try many people.
	for i := range clientBurst {
		if _, err := ts.api.SignIn(ctx, SignInRequest{Person: fmt.Sprintf("nobody-%d", i), PIN: "1111", Client: "10.0.3.1"}); !errors.Is(err, ErrWrongCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.3.1"}); !errors.As(err, &limited) {
		t.Errorf("attempt past the client's burst: %v, want a *RateLimitedError", err)
	}
	if _, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.3.2"}); err != nil {
		t.Errorf("another client: %v", err)
	}
}

func TestMount(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "page %s %s", r.Method, r.URL.Path)
	})
	ts := newTestServer(t, func(s *Server) { s.Mount(page) })
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/", 200, "page GET /"},
		{"GET", "/tablet/weave-1", 200, "page GET /tablet/weave-1"},
		{"POST", "/signin", 200, "page POST /signin"},
		{"GET", "/api/v1/cells/weave-1", 401, codeUnauthorized},
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/api/v1/nothing", 404, codeNotFound},
		{"GET", "/api/v1/dispatch", 405, codeMethod},
	} {
		r := ts.do(t, tc.method, tc.path, "", "", "")
		if r.status != tc.status || !strings.Contains(string(r.body), tc.body) {
			t.Errorf("%s %s = %d %s, want %d with %q", tc.method, tc.path, r.status, r.body, tc.status, tc.body)
		}
	}
}

func TestResetCellRecordsWhoAndTheirNote(t *testing.T) {
	ts := newTestServer(t)
	path := "/api/v1/cells/weave-1/reset"
	report := func() {
		t.Helper()
		if r := ts.do(t, "POST", "/api/v1/cells/weave-1/fault", operatorToken, "application/json", `{"code":"jam"}`); r.status != http.StatusAccepted {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
	}
	resets := func() []string {
		ts.floor.mu.Lock()
		defer ts.floor.mu.Unlock()
		return slices.Clone(ts.floor.resets)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		want       []string // the resets the floor saw after the request
	}{
		{"a note is refused when too long", `{"note":"` + strings.Repeat("é", 501) + `"}`, 400, codeInvalid, nil},
		{"a body with another field is refused", `{"note":"x","why":"y"}`, 400, codeInvalid, nil},
		{"a note that is not a string is refused", `{"note":3}`, 400, codeInvalid, nil},
		{"the note goes with the reset, trimmed", `{"note":"  rethreaded the warp "}`, 202, "",
			[]string{"weave-1 token:operator-bot: rethreaded the warp"}},
		{"the body may be empty", ``, 202, "",
			[]string{"weave-1 token:operator-bot: rethreaded the warp", "weave-1 token:operator-bot: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report()
			r := ts.do(t, "POST", path, operatorToken, "application/json", tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.code != "" && r.errorCode(t) != tc.code {
				t.Errorf("code of %s, want %s", r.body, tc.code)
			}
			if got := resets(); !slices.Equal(got, tc.want) {
				t.Errorf("resets seen by the floor: %q, want %q", got, tc.want)
			}
		})
	}
	if r := ts.do(t, "POST", path, plannerToken, "application/json", `{"note":"x"}`); r.status != http.StatusForbidden {
		t.Errorf("a planner's reset: %d %s, want 403", r.status, r.body)
	}
}

func TestPINSessionsEndWhenIdle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	idle := ts.book.Factory().Tablet.IdleSignOut
	if idle != 15*time.Minute {
		t.Fatalf("the test factory's idle sign-out is %s, want the default 15m", idle)
	}
	pin, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	password, err := ts.api.SignIn(ctx, SignInRequest{Person: "pia", Password: "weft-and-warp", Client: "10.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	start := *ts.now.Load()
	if _, ends, err := ts.api.CheckSession(ctx, pin.Token, false); err != nil || !ends.Equal(start.Add(idle)) {
		t.Fatalf("CheckSession after a PIN sign-in = %v, %v; want it to end %s after", ends.Sub(start), err, idle)
	}

	// Reads (a page's live updates) do not keep the session; an action does.
	ts.advance(10 * time.Minute)
	if _, err := ts.api.Authenticate(ctx, pin.Token); err != nil {
		t.Fatalf("10 minutes idle: %v", err)
	}
	r := ts.do(t, "GET", "/api/v1/auth/whoami", pin.Token, "", "")
	if r.status != 200 {
		t.Fatalf("whoami: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/cells/weave-1/fault", pin.Token, "application/json", `{"code":"jam"}`); r.status != http.StatusAccepted {
		t.Fatalf("an action: %d %s", r.status, r.body)
	}
	if _, ends, err := ts.api.CheckSession(ctx, pin.Token, false); err != nil || !ends.Equal(start.Add(10*time.Minute+idle)) {
		t.Fatalf("after an action at 10m the session ends at %v, %v; want 10m + %s", ends.Sub(start), err, idle)
	}
	// A page opened is activity too.
	ts.advance(10 * time.Minute)
	if _, ends, err := ts.api.CheckSession(ctx, pin.Token, true); err != nil || !ends.Equal(start.Add(20*time.Minute+idle)) {
		t.Fatalf("active at 20m: the session ends at %v, %v; want 20m + %s", ends.Sub(start), err, idle)
	}
	// Idle for the whole idle time: the session is ended, for reads and writes alike, and gone
	// from the store.
	ts.advance(idle)
	if _, err := ts.api.Authenticate(ctx, pin.Token); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("idle for %s: Authenticate = %v, want ErrUnauthenticated", idle, err)
	}
	if r := ts.do(t, "POST", "/api/v1/cells/weave-1/fault", pin.Token, "application/json", `{"code":"jam"}`); r.status != http.StatusUnauthorized {
		t.Errorf("an action after the idle sign-out: %d %s, want 401", r.status, r.body)
	}
	if _, _, _, err := ts.store.Session(ctx, sha256Hex(pin.Token)); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("the idle session is still stored: %v", err)
	}
	// A session started with a password (a desk, not a shared tablet) does not idle out.
	if _, err := ts.api.Authenticate(ctx, password.Token); err != nil {
		t.Errorf("a password session after %s idle: %v", 20*time.Minute+idle, err)
	}
}
