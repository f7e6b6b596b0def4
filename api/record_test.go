package api

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestOperationRecord: an operation's read carries what its machine read and who acted on it.
func TestOperationRecord(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")

	r := ts.do(t, "POST", "/api/v1/auth/signin", "", "application/json", `{"person":"ana","pin":"1234"}`)
	var s Session
	r.json(t, &s)
	if r.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/start", s.Token, "", ""); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	ts.advance(time.Minute)
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/pause", operatorToken, "application/json", `{"reason":"knot"}`); r.status != http.StatusOK {
		t.Fatalf("pause: %d %s", r.status, r.body)
	}
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	speed := book.ReadingSummary{Quantity: "speed", Unit: "picks/min"}
	for i, v := range []float64{100, 120, 120, 121} {
		speed.Add(at.Add(time.Duration(i)*10*time.Second), v)
	}
	if err := ts.book.RecordReadings(context.Background(), op, []book.ReadingSummary{speed}); err != nil {
		t.Fatal(err)
	}

	var got struct {
		ID       int64 `json:"id"`
		State    string
		Readings []struct {
			Quantity    string    `json:"quantity"`
			Unit        string    `json:"unit"`
			Samples     int       `json:"samples"`
			Min         float64   `json:"min"`
			Max         float64   `json:"max"`
			Held        float64   `json:"held"`
			HeldSeconds float64   `json:"held_seconds"`
			HeldFrom    time.Time `json:"held_from"`
		} `json:"readings"`
		People []book.Act `json:"people"`
	}
	r = ts.do(t, "GET", "/api/v1/operations/"+itoa(op), operatorToken, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	r.json(t, &got)
	if got.ID != op || got.State != "paused" {
		t.Errorf("operation %d %s, want %d paused", got.ID, got.State, op)
	}
	if len(got.Readings) != 1 {
		t.Fatalf("readings %+v, want the speed", got.Readings)
	}
	if g := got.Readings[0]; g.Quantity != "speed" || g.Unit != "picks/min" || g.Samples != 4 || g.Min != 100 || g.Max != 121 ||
		g.Held != (120+120+121)/3.0 || g.HeldSeconds != 20 || !g.HeldFrom.Equal(at.Add(10*time.Second)) {
		t.Errorf("speed read as %+v", g)
	}
	if len(got.People) != 2 {
		t.Fatalf("people %+v, want who started and who paused", got.People)
	}
	if p := got.People[0]; p.Action != book.ActionStart || p.Kind != book.ActorPerson || p.Person != "ana" || p.Name != "Ana" {
		t.Errorf("first act %+v, want ana's start", p)
	}
	if p := got.People[1]; p.Action != book.ActionPause || p.Kind != book.ActorClient || p.Name != "operator-bot" || p.Reason != "knot" {
		t.Errorf("second act %+v, want operator-bot's pause for a knot", p)
	}

	// An operation not started yet has an empty record, not a missing one.
	next := ts.firstOp(t, "B")
	r = ts.do(t, "GET", "/api/v1/operations/"+itoa(next), operatorToken, "", "")
	if r.status != http.StatusOK || !jsonHas(t, r.body, `"readings":[]`) || !jsonHas(t, r.body, `"people":[]`) {
		t.Errorf("a queued operation reads %d %s, want empty readings and people", r.status, r.body)
	}
}

func jsonHas(t *testing.T, body []byte, s string) bool {
	t.Helper()
	return bytes.Contains(body, []byte(s))
}
