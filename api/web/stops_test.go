package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// stopsSite is a site whose book's clock runs shift behind the pages' (and the test's): a stop
// tracked while the shift is large started that long ago.
type stopsSite struct {
	*site
	shift atomic.Int64 // nanoseconds the book's clock is behind
}

func newStopsSite(t *testing.T) *stopsSite {
	t.Helper()
	s := &stopsSite{}
	f := booktest.Factory(t, "testdata/factory.yaml")
	s.site = newSiteClock(t, f, func() time.Time { return time.Now().Add(-time.Duration(s.shift.Load())) }, nil)
	return s
}

// stop records a stop of cell from ago until ago-lasted (the book's clock set back), the
// cell producing afterwards, and returns it.
func (s *stopsSite) stop(t *testing.T, cell string, c book.StopCondition, ago, lasted time.Duration) book.Stop {
	t.Helper()
	ctx := context.Background()
	s.shift.Store(int64(ago))
	st, err := s.book.TrackStop(ctx, cell, c)
	if err != nil {
		t.Fatal(err)
	}
	s.shift.Store(int64(ago - lasted))
	if _, err := s.book.TrackStop(ctx, cell, book.StopCondition{}); err != nil {
		t.Fatal(err)
	}
	s.shift.Store(0)
	return st
}

// stopReasonOf reads the reason of stop id from the book.
func (s *stopsSite) stopReasonOf(t *testing.T, id int64) string {
	t.Helper()
	stops, err := s.book.Stops(context.Background(), book.StopFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stops {
		if st.ID == id {
			return st.Reason
		}
	}
	t.Fatalf("no stop %d", id)
	return ""
}

var stopAskRe = regexp.MustCompile(`(?s)<section id="stop-ask"[^>]*data-stop="(\d+)".*?</section>`)

// stopAsked returns the id of the stop the tablet's page asks about and the question's HTML,
// 0 and "" when it asks nothing.
func stopAsked(body string) (int64, string) {
	m := stopAskRe.FindStringSubmatch(body)
	if m == nil {
		return 0, ""
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id, m[0]
}

// TestTabletAsksTheReasonOfAStop: an ended stop at least the prompt long, with no reason,
// makes the tablet ask for one, the newest first, with a button for every reason of the tree,
// planned and unplanned apart; a short stop is not asked about, a planner is asked nothing,
// and once a reason is given (through the page's cookie) the next stop's question follows.
func TestTabletAsksTheReasonOfAStop(t *testing.T) {
	s := newStopsSite(t)
	older := s.stop(t, "dye-1", book.StopCondition{Kind: book.StopPaused, Detail: "material"}, 40*time.Minute, 7*time.Minute)
	newer := s.stop(t, "dye-1", book.StopCondition{Kind: book.StopFault, Detail: "over-temperature"}, 20*time.Minute, 12*time.Minute)
	s.stop(t, "dye-1", book.StopCondition{Kind: book.StopIdle}, 5*time.Minute, 30*time.Second) // too short to ask
	s.stop(t, "pack-1", book.StopCondition{Kind: book.StopPaused, Detail: "break"}, 10*time.Minute, 5*time.Minute)

	ana := s.browser(t)
	if p := ana.signInPIN("dye-1", "ana", "1234"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	id, ask := stopAsked(ana.get("/tablet/dye-1").body)
	if id != newer.ID {
		t.Fatalf("the tablet asks about stop %d, want the newest, %d:\n%s", id, newer.ID, ask)
	}
	for _, want := range []string{"Machine fault", "over-temperature", "12 minutes", "1 more stop awaits its reason", `data-action="later"`,
		`<h3>Planned</h3>`, `<h3>Unplanned</h3>`} {
		if !strings.Contains(ask, want) {
			t.Errorf("the question does not say %q:\n%s", want, ask)
		}
	}
	for _, r := range s.book.Factory().Stops.Reasons {
		if !strings.Contains(ask, `data-action="stop-reason" data-reason="`+r.Code+`">`+r.Label+`</button>`) {
			t.Errorf("no button for reason %s:\n%s", r.Code, ask)
		}
	}
	if pia := s.browser(t); pia.signIn("pia", "weft-and-warp").status == http.StatusOK {
		if id, _ := stopAsked(pia.get("/tablet/dye-1/live").body); id != 0 {
			t.Errorf("a planner, who may give no reason, is asked about stop %d", id)
		}
	}
	if id, _ := stopAsked(ana.get("/tablet/pack-1/live").body); id == 0 {
		t.Errorf("pack-1's tablet does not ask about its own stop")
	}

	// One tap, as the page's script sends it; a double tap sends the same again.
	for range 2 {
		req, _ := http.NewRequest(http.MethodPut, s.URL+"/api/v1/stops/"+strconv.FormatInt(newer.ID, 10)+"/reason", strings.NewReader(`{"reason":"breakdown"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CellForge-Request", "1")
		if p := ana.do(req); p.status != http.StatusOK {
			t.Fatalf("giving the reason: %d %s", p.status, p.body)
		}
	}
	if got := s.stopReasonOf(t, newer.ID); got != "breakdown" {
		t.Fatalf("stop %d's reason = %q, want breakdown", newer.ID, got)
	}
	id, ask = stopAsked(ana.get("/tablet/dye-1/live").body)
	if id != older.ID || !strings.Contains(ask, "Paused") || !strings.Contains(ask, "7 minutes") || strings.Contains(ask, "more stop") {
		t.Fatalf("after the answer the tablet asks about stop %d, want %d, the last:\n%s", id, older.ID, ask)
	}
}

// TestManagerStopsPage: the managers' page lists the stops awaiting a reason, those given one
// in the last day and those whose window closed without one, by cell; a manager gives or fixes
// a reason there, a reason the factory does not have is refused with the book's words and
// nothing stored, a closed window is refused; a planner looks without the picker, an operator
// may not look.
func TestManagerStopsPage(t *testing.T) {
	s := newStopsSite(t)
	awaiting := s.stop(t, "dye-1", book.StopCondition{Kind: book.StopFault, Detail: "over-temperature"}, 30*time.Minute, 10*time.Minute)
	other := s.stop(t, "pack-1", book.StopCondition{Kind: book.StopPaused, Detail: "break"}, 20*time.Minute, 5*time.Minute)
	closed := s.stop(t, "dye-1", book.StopCondition{Kind: book.StopReported, Detail: "jam"}, 50*time.Hour, time.Hour)
	s.stop(t, "dye-1", book.StopCondition{Kind: book.StopNoWork}, 3*time.Hour, time.Hour)

	mgr := s.browser(t)
	if p := mgr.signIn("max", "loom-and-lantern"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	section := func(body, id string) string {
		m := regexp.MustCompile(`(?s)<table id="` + id + `".*?</table>`).FindString(body)
		return m
	}
	row := func(id int64) string { return `data-stop="` + strconv.FormatInt(id, 10) + `"` }

	p := mgr.get("/manager/stops")
	if p.status != http.StatusOK {
		t.Fatalf("/manager/stops: %d", p.status)
	}
	aw := section(p.body, "stops-awaiting")
	if !strings.Contains(aw, row(awaiting.ID)) || !strings.Contains(aw, row(other.ID)) || strings.Index(aw, row(other.ID)) > strings.Index(aw, row(awaiting.ID)) {
		t.Errorf("awaiting a reason, newest first, want stops %d then %d:\n%s", other.ID, awaiting.ID, aw)
	}
	if !strings.Contains(aw, `action="/manager/stops/`+strconv.FormatInt(awaiting.ID, 10)+`/reason"`) {
		t.Errorf("no reason picker for stop %d:\n%s", awaiting.ID, aw)
	}
	if ng := section(p.body, "stops-not-given"); !strings.Contains(ng, row(closed.ID)) || !strings.Contains(ng, "not given") || strings.Contains(ng, "<form") {
		t.Errorf("stop %d, its window closed, is not shown as not given (without a picker):\n%s", closed.ID, ng)
	}
	if strings.Count(p.body, "<tr data-stop=") != 3 {
		t.Errorf("want 3 stops listed, the no-work one left out:\n%s", p.body)
	}
	if f := mgr.get("/manager/stops?cell=pack-1").body; strings.Contains(f, row(awaiting.ID)) || !strings.Contains(f, row(other.ID)) {
		t.Errorf("?cell=pack-1 lists other cells' stops, or not its own")
	}
	if mgr.get("/manager/stops?cell=nope").status != http.StatusNotFound {
		t.Errorf("?cell=nope is no cell: want 404")
	}

	give := func(id int64, code string) page {
		return mgr.form("/manager/stops/"+strconv.FormatInt(id, 10)+"/reason", url.Values{"reason": {code}})
	}
	for _, tc := range []struct {
		name   string
		stop   int64
		code   string
		status int
		says   string
		reason string // the stop's reason afterwards
	}{
		{"a reason the factory does not have", awaiting.ID, "gremlins", http.StatusUnprocessableEntity, `reason: &#34;gremlins&#34; is not a stop reason of the factory`, ""},
		{"no reason at all", awaiting.ID, "", http.StatusUnprocessableEntity, `reason: &#34;&#34; is not a stop reason`, ""},
		{"a stop that does not exist", 9999, "breakdown", http.StatusNotFound, "There is no stop 9999.", ""},
		{"a closed window", closed.ID, "breakdown", http.StatusConflict, "reason window has closed", ""},
		{"a reason given", awaiting.ID, "breakdown", http.StatusOK, "Stop " + strconv.FormatInt(awaiting.ID, 10) + ": Breakdown.", "breakdown"},
		{"the same again", awaiting.ID, "breakdown", http.StatusOK, "Stop " + strconv.FormatInt(awaiting.ID, 10) + ": Breakdown.", "breakdown"},
		{"fixed", awaiting.ID, "material", http.StatusOK, "Stop " + strconv.FormatInt(awaiting.ID, 10) + ": Waiting for material.", "material"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := give(tc.stop, tc.code)
			if p.status != tc.status || !strings.Contains(p.body, tc.says) {
				t.Fatalf("%d, want %d saying %q:\n%s", p.status, tc.status, tc.says, p.body)
			}
			if tc.stop != 9999 {
				if got := s.stopReasonOf(t, tc.stop); got != tc.reason {
					t.Errorf("stop %d's reason = %q, want %q", tc.stop, got, tc.reason)
				}
			}
		})
	}
	p = mgr.get("/manager/stops")
	if g := section(p.body, "stops-given"); !strings.Contains(g, row(awaiting.ID)) || !strings.Contains(g, "Waiting for material") || !strings.Contains(g, ">Fix<") {
		t.Errorf("stop %d, given a reason, is not in the last day's with a picker to fix it:\n%s", awaiting.ID, g)
	}
	if strings.Contains(section(p.body, "stops-awaiting"), row(awaiting.ID)) {
		t.Errorf("stop %d still awaits a reason", awaiting.ID)
	}

	pia := s.browser(t)
	pia.signIn("pia", "weft-and-warp")
	if p := pia.get("/manager/stops"); p.status != http.StatusOK || strings.Contains(p.body, `<form class="stop-reason"`) {
		t.Errorf("a planner: %d, or offered the picker", p.status)
	}
	ana := s.browser(t)
	ana.signInPIN("dye-1", "ana", "1234")
	if p := ana.get("/manager/stops"); p.status != http.StatusForbidden {
		t.Errorf("an operator: %d, want 403", p.status)
	}
	// The page's form, whose answer is the page, is not the operator's way either: the tablet is.
	if p := ana.form("/manager/stops/"+strconv.FormatInt(other.ID, 10)+"/reason", url.Values{"reason": {"gremlins"}}); p.status != http.StatusForbidden || strings.Contains(p.body, "stops-awaiting") {
		t.Errorf("an operator posting the page's form: %d, or shown the page", p.status)
	}
}
