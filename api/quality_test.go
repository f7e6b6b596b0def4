package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

const (
	goodChecks   = `{"checks":[{"name":"Even edges","pass":true},{"name":"Width","value":30.5}]}`
	failedChecks = `{"checks":[{"name":"Even edges","pass":true},{"name":"Width","value":20}]}`
)

// qualityServer serves the test factory with a checklist on SCARF's weave step: a pass-or-fail
// item and a width of 30 ± 1 cm.
func qualityServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerConfig(t, func(cfg *Config) {
		f := cfg.Book.Factory()
		for i, p := range f.Products {
			if p.SKU == "SCARF" {
				f.Products[i].Routing[0].Checks = []configs.Check{
					{Name: "Even edges"}, {Name: "Width", Measure: true, Unit: "cm", Min: 29, Max: 31},
				}
			}
		}
	})
}

// startedWeave imports order id and starts its weave step, returning its id.
func startedWeave(t *testing.T, ts *testServer, id string) int64 {
	t.Helper()
	op := ts.firstOp(t, id)
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/start", operatorToken, "", ""); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	return op
}

// TestCompleteWithChecksAPI: a complete answers the checklist; bad answers are 422 naming the
// item and change nothing; a failed one answers the non-conformance it opened; the
// operation's record carries its checks.
func TestCompleteWithChecksAPI(t *testing.T) {
	ts := qualityServer(t)
	op := startedWeave(t, ts, "A")
	for _, tt := range []struct {
		name, body, field string
		status            int
	}{
		{"a value as a string", `{"checks":[{"name":"Even edges","pass":true},{"name":"Width","value":"abc"}]}`, "checks[1].value", 422},
		{"pass as a string", `{"checks":[{"name":"Even edges","pass":"yes"},{"name":"Width","value":30}]}`, "checks[0].pass", 422},
		{"an item missing", `{"checks":[{"name":"Even edges","pass":true}]}`, "checks", 422},
		{"none", ``, "checks", 422},
		{"a name not in the checklist", `{"checks":[{"name":"Even edges","pass":true},{"name":"Width","value":30},{"name":"Colour","pass":true}]}`, "checks[2].name", 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/complete", operatorToken, "application/json", tt.body)
			if r.status != tt.status || r.errorCode(t) != codeInvalid {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			var e errorBody
			r.json(t, &e)
			if e.Error.Field != tt.field {
				t.Errorf("field %q, want %q (%s)", e.Error.Field, tt.field, r.body)
			}
		})
	}
	var rec operationRecord
	ts.do(t, "GET", "/api/v1/operations/"+itoa(op), operatorToken, "", "").json(t, &rec)
	if rec.State != book.Running || len(rec.Checks) != 0 {
		t.Fatalf("after the refusals: %s with %d checks, want running with none", rec.State, len(rec.Checks))
	}

	r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/complete", operatorToken, "application/json", failedChecks)
	var res book.TransitionResult
	r.json(t, &res)
	if r.status != http.StatusOK || res.NonConformance == nil || res.Operation.State != book.Paused {
		t.Fatalf("a failed check: %d %s", r.status, r.body)
	}
	ts.do(t, "GET", "/api/v1/operations/"+itoa(op), operatorToken, "", "").json(t, &rec)
	if len(rec.Checks) != 1 || rec.Checks[0].Passed || *rec.Checks[0].Outcomes[1].Value != 20 {
		t.Errorf("the operation's checks = %+v", rec.Checks)
	}

	// The pack step has no checklist.
	op2 := startedWeave(t, ts, "B")
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op2)+"/complete", operatorToken, "application/json", goodChecks); r.status != http.StatusOK {
		t.Fatalf("complete B: %d %s", r.status, r.body)
	}
	var d book.WorkOrderDetail
	var got struct {
		WorkOrder book.WorkOrder `json:"work_order"`
	}
	ts.do(t, "GET", "/api/v1/orders/B", plannerToken, "", "").json(t, &got)
	ts.do(t, "GET", "/api/v1/work-orders/"+itoa(got.WorkOrder.ID), plannerToken, "", "").json(t, &d)
	pack := d.Operations[1].ID
	ts.do(t, "POST", "/api/v1/operations/"+itoa(pack)+"/start", operatorToken, "", "")
	r = ts.do(t, "POST", "/api/v1/operations/"+itoa(pack)+"/complete", operatorToken, "application/json", goodChecks)
	if r.status != 422 || !strings.Contains(string(r.body), "has no checklist") {
		t.Errorf("checks for the pack step: %d %s, want 422 saying it has no checklist", r.status, r.body)
	}
}

// TestDecideNonConformanceAPI: the decision route: lists, 403 for an operator accepting,
// rework with a retry under the same key, 409 decided for another decision.
func TestDecideNonConformanceAPI(t *testing.T) {
	ts := qualityServer(t)
	op := startedWeave(t, ts, "A")
	var res book.TransitionResult
	ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/complete", operatorToken, "application/json", failedChecks).json(t, &res)
	if res.NonConformance == nil {
		t.Fatal("no non-conformance")
	}
	nc := itoa(res.NonConformance.ID)
	var list struct {
		NonConformances []book.NonConformance `json:"nonconformances"`
	}
	ts.do(t, "GET", "/api/v1/nonconformances?state=open&cell=weave-1", plannerToken, "", "").json(t, &list)
	if len(list.NonConformances) != 1 || list.NonConformances[0].Failed[0] != "Width" {
		t.Errorf("open non-conformances = %+v", list.NonConformances)
	}
	path := "/api/v1/nonconformances/" + nc + "/decision"
	for _, tt := range []struct {
		name, token, body, code string
		status                  int
	}{
		{"an operator accepting", operatorToken, `{"decision":"accept","note":"fine"}`, codeForbidden, 403},
		{"a planner", plannerToken, `{"decision":"rework"}`, codeForbidden, 403},
		{"a manager accepting without a note", managerToken, `{"decision":"accept"}`, codeInvalid, 422},
		{"no such decision", operatorToken, `{"decision":"keep"}`, codeInvalid, 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, "POST", path, tt.token, "application/json", tt.body)
			if r.status != tt.status || r.errorCode(t) != tt.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	first := ts.do(t, "POST", path, operatorToken, "application/json", `{"decision":"rework"}`, "Idempotency-Key", "nc-1")
	again := ts.do(t, "POST", path, operatorToken, "application/json", `{"decision":"rework"}`, "Idempotency-Key", "nc-1")
	var a, b book.NonConformance
	first.json(t, &a)
	again.json(t, &b)
	if first.status != 200 || again.status != 200 || a.Rework == 0 || a.Rework != b.Rework {
		t.Fatalf("rework and its retry: %d %s, %d %s", first.status, first.body, again.status, again.body)
	}
	if r := ts.do(t, "POST", path, managerToken, "application/json", `{"decision":"accept","note":"fine"}`); r.status != 409 || r.errorCode(t) != codeDecided {
		t.Errorf("another decision: %d %s, want 409 decided", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/nonconformances/999", operatorToken, "", ""); r.status != 404 {
		t.Errorf("an unknown non-conformance: %d %s", r.status, r.body)
	}
}
