package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

const plannerToken = "planner-token-0000000001"

// site is the API with the pages mounted, over a real store, as the daemon serves them.
type site struct {
	*httptest.Server
	book    *book.Book
	planner *planner.Planner
	pages   *Pages
	keys    *provenance.KeyRing
	photos  *photos.Store
	// away makes the book's database unreachable, for the tests of an outage.
	away *booktest.Away
}

func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteWith(t, nil)
}

// newSiteWith is newSite with a change to the API's Config (nil for none).
func newSiteWith(t *testing.T, configure func(*api.Config)) *site {
	t.Helper()
	return newSiteOf(t, "testdata/factory.yaml", configure)
}

// newSiteOf is newSiteWith of the factory in another file.
func newSiteOf(t testing.TB, factory string, configure func(*api.Config)) *site {
	t.Helper()
	return newSiteClock(t, booktest.Factory(t, factory), nil, configure)
}

// newSiteClock is newSiteOf of a factory already read, whose book reads the time from now
// (time.Now when nil).
func newSiteClock(t testing.TB, f *configs.Factory, now func() time.Time, configure func(*api.Config)) *site {
	t.Helper()
	st, _ := booktest.Store(t, "web.db")
	s := &site{away: booktest.NewAway(st)}
	s.book = book.New(book.Config{Store: s.away, Factory: f, Now: now})
	s.planner = planner.New(planner.Config{Book: s.book, Factory: f, Search: 20 * time.Millisecond, Seed: 1})
	s.book.UsePlan(s.planner)
	cfg := api.Config{Book: s.book, Sessions: awaySessions{st, s.away}, Lockouts: st, BcryptCost: 4, Planner: s.planner}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.keys, err = provenance.OpenDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if s.photos, err = photos.New(t.TempDir(), photos.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	s.pages, err = New(Config{Book: s.book, Auth: srv, Planner: s.planner, Tick: 20 * time.Millisecond,
		Units: certify.New(certify.Config{Book: s.book, Factory: f, Keys: s.keys}), Photos: s.photos,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(s.pages.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.pages.Run(ctx) }()
	s.Server = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pages: %v", err)
		}
		s.Close()
	})
	return s
}

// importCSV imports a batch into the winter drop through the API and plans it.
func (s *site) importCSV(t testing.TB, csv string) {
	t.Helper()
	s.importUnplanned(t, csv)
	if err := s.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
}

// importUnplanned imports a batch into the winter drop through the API.
func (s *site) importUnplanned(t testing.TB, csv string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/drops/winter/orders", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+plannerToken)
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("import: %d %s", res.StatusCode, body)
	}
}

// browser is a client with its own cookies, as one browser is.
type browser struct {
	t *testing.T
	s *site
	c *http.Client
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

type page struct {
	status int
	url    string
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(body), header: res.Header}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest("GET", b.s.URL+path, nil)
	return b.do(req)
}

func (b *browser) form(path string, values url.Values) page {
	req, _ := http.NewRequest("POST", b.s.URL+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// post sends JSON as the tablet's script does, with its header unless bare.
func (b *browser) post(path, body, key string, bare bool) page {
	req, _ := http.NewRequest("POST", b.s.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if !bare {
		req.Header.Set("X-CellForge-Request", "1")
	}
	return b.do(req)
}

// upload sends a batch file as the planner's form does (htmx).
func (b *browser) upload(path, name, content, key string) page {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("batch", name)
	fw.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequest("POST", b.s.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return b.do(req)
}

func (b *browser) signInPIN(cell, person, pin string) page {
	return b.form("/tablet/"+cell+"/signin", url.Values{"person": {person}, "pin": {pin}})
}

func (b *browser) signIn(person, password string) page {
	return b.form("/signin", url.Values{"person": {person}, "password": {password}})
}

// attr returns the value of attribute name of the first element matching the selector-ish
// pattern (a tag and an attribute that must be present).
func attr(t *testing.T, body, element, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<` + element + `[^>]*\b` + name + `="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no <%s %s=...> in\n%s", element, name, body)
	}
	return m[1]
}

func TestTabletSignInAndQueue(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,notes\nw-1,SCARF,3,Gift wrap please\nw-2,SCARF,2,\n")
	b := s.browser(t)

	cells := b.get("/tablet")
	if !strings.Contains(cells.body, `data-cell="dye-1"`) || !strings.Contains(cells.body, `data-cell="pack-1"`) {
		t.Fatalf("cell picker lacks the cells:\n%s", cells.body)
	}
	if p := b.get("/tablet/go?cell=DYE-1"); p.url != "/tablet/dye-1" {
		t.Errorf("scanning DYE-1 opened %s, want /tablet/dye-1", p.url)
	}
	if p := b.get("/tablet/go?cell=nope"); p.url != "/tablet" || !strings.Contains(p.body, `No cell &#34;nope&#34;`) {
		t.Errorf("scanning an unknown cell: %s\n%s", p.url, p.body)
	}

	pin := b.get("/tablet/dye-1")
	for _, want := range []string{`data-person="ana"`, `data-person="bo"`, `id="pin"`, `data-key="0"`, `id="pin-ok"`} {
		if !strings.Contains(pin.body, want) {
			t.Errorf("PIN screen lacks %s", want)
		}
	}
	if strings.Contains(pin.body, `data-person="pia"`) {
		t.Error("PIN screen offers a person without a PIN")
	}
	if p := b.signInPIN("dye-1", "ana", "9999"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `id="signin-error"`) {
		t.Fatalf("wrong PIN: %d\n%s", p.status, p.body)
	}
	p := b.signInPIN("dye-1", "ana", "1234")
	if p.status != http.StatusOK || p.url != "/tablet/dye-1" {
		t.Fatalf("sign-in: %d at %s", p.status, p.url)
	}
	for _, want := range []string{
		`<span id="who">Ana</span>`, `data-state="queued"`, `Silk scarf &amp; &#34;gauze&#34;`, `Stir gently; the silk bruises.`,
		`Gift wrap please`, `55 °C`, `Winter &lt;warm&gt; drop`, `data-action="start"`, `id="dialog-pause"`, `data-reason="break"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("tablet page lacks %s", want)
		}
	}
	if !regexp.MustCompile(`data-action="start"\s*>`).MatchString(p.body) {
		t.Error("start is disabled on a queued job")
	}
	if regexp.MustCompile(`data-action="complete"\s*>`).MatchString(p.body) {
		t.Error("complete is enabled on a queued job")
	}
	// The queue after the current job is in the plan's order.
	q, err := s.book.Queue(context.Background(), "dye-1", 0)
	if err != nil || len(q) != 2 {
		t.Fatalf("queue %v %v", q, err)
	}
	if got := attr(t, p.body, "article", "data-op"); got != fmt.Sprint(q[0].ID) {
		t.Errorf("current job %s, want the head of the planned queue %d", got, q[0].ID)
	}
	if got := attr(t, p.body, "li", "data-op"); got != fmt.Sprint(q[1].ID) {
		t.Errorf("first queued job %s, want %d", got, q[1].ID)
	}
}

func TestTabletActionsGoThroughTheAPI(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,3\n")
	b := s.browser(t)
	b.signInPIN("dye-1", "ana", "1234")
	live := b.get("/tablet/dye-1/live")
	op := attr(t, live.body, "article", "data-op")
	version := attr(t, live.body, "article", "data-version")

	if r := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "k1", true); r.status != http.StatusForbidden {
		t.Errorf("a cookie write without the page's header: %d, want 403\n%s", r.status, r.body)
	}
	if r := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	// The same action again (a retry after a lost answer) is applied once.
	if r := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "k1", false); r.status != http.StatusOK || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried start: %d replayed=%q", r.status, r.header.Get("Idempotent-Replayed"))
	}
	live = b.get("/tablet/dye-1/live")
	if got := attr(t, live.body, "article", "data-state"); got != "running" {
		t.Errorf("after start the job is %s", got)
	}
	if !regexp.MustCompile(`data-action="complete"\s*>`).MatchString(live.body) {
		t.Error("complete is not offered on a running job")
	}
	if r := b.post("/api/v1/operations/"+op+"/complete", `{}`, "k2", false); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	// A stale page (the version it showed) cannot start the job now done.
	if r := b.post("/api/v1/operations/"+op+"/start", `{"version":`+version+`}`, "k3", false); r.status != http.StatusConflict {
		t.Errorf("stale start of a done job: %d, want 409\n%s", r.status, r.body)
	}
	events, err := s.book.Events(context.Background(), book.EventFilter{Kinds: []string{book.EventOperation}})
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, e := range events {
		if fmt.Sprint(e.Operation) == op && e.To == book.Running {
			starts++
			if e.Actor != "person:ana" {
				t.Errorf("start by %q, want person:ana", e.Actor)
			}
		}
	}
	if starts != 1 {
		t.Errorf("%d starts logged, want 1", starts)
	}
}

// readEvent reads server-sent events until one named name arrives.
func readEvent(t *testing.T, r *bufio.Reader, name string) string {
	t.Helper()
	var event string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for event %q: %v", name, err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == name:
			return strings.TrimPrefix(line, "data: ")
		case line == "":
			event = ""
		}
	}
}

func TestTabletStreamTellsOfChanges(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,3\n")
	b := s.browser(t)
	b.signInPIN("dye-1", "ana", "1234")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/tablet/dye-1/events", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream content type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	var m machineView
	if err := json.Unmarshal([]byte(readEvent(t, r, "machine")), &m); err != nil || m.Cell != "dye-1" || !m.Manual {
		t.Fatalf("first machine event %+v %v", m, err)
	}
	q, _ := s.book.Queue(context.Background(), "dye-1", 1)
	// Another person starts the job: the page hears of it.
	if _, err := s.book.Transition(context.Background(), book.TransitionRequest{Operation: q[0].ID, Action: book.ActionStart, Actor: "person:bo"}); err != nil {
		t.Fatal(err)
	}
	readEvent(t, r, "queue")

	// A stream needs a sign-in.
	anon, err := http.Get(s.URL + "/tablet/dye-1/events")
	if err != nil {
		t.Fatal(err)
	}
	anon.Body.Close()
	if anon.StatusCode != http.StatusUnauthorized {
		t.Errorf("stream without a sign-in: %d, want 401", anon.StatusCode)
	}
}

// TestPagesSayThePlanIsBeingMade: until the first plan is made, the tablet shows the queue in
// due-date order and says why, the planner's pages say that the plan is being made rather than
// that the drop is not planned, and a batch check says the promise comes in a moment. When the
// plan comes, every open tablet is told to fetch its queue again, even one whose cell the plan
// leaves empty, and the word goes.
func TestPagesSayThePlanIsBeingMade(t *testing.T) {
	s := newSite(t)
	s.importUnplanned(t, "order_id,sku,quantity\nm-1,SCARF,1\nm-2,SCARF,2\n")
	op := s.browser(t)
	op.signInPIN("dye-1", "ana", "1234")
	live := op.get("/tablet/dye-1/live")
	if !strings.Contains(live.body, `id="planning"`) || strings.Count(live.body, `data-op=`) < 3 {
		t.Errorf("tablet while the plan is being made:\n%s", live.body)
	}
	pl := s.browser(t)
	pl.signIn("pia", "weft-and-warp")
	checks := []struct{ name, path, want string }{
		{name: "drops", path: "/planner", want: `data-status="planning"`},
		{name: "drop", path: "/planner/drops/winter", want: "Plan being made"},
		{name: "gantt", path: "/planner/gantt", want: `id="planning"`},
	}
	for _, c := range checks {
		if p := pl.get(c.path); p.status != http.StatusOK || !strings.Contains(p.body, c.want) {
			t.Errorf("%s while the plan is being made: %d, want %q in\n%.3000s", c.name, p.status, c.want, p.body)
		}
	}
	if p := pl.upload("/planner/drops/winter/check", "more.csv", "order_id,sku,quantity\nm-3,SCARF,1\n", ""); !strings.Contains(p.body, "The plan is being made") {
		t.Errorf("batch check while the plan is being made:\n%s", p.body)
	}

	if err := s.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if live := op.get("/tablet/dye-1/live"); strings.Contains(live.body, `id="planning"`) {
		t.Errorf("tablet still says the plan is being made:\n%s", live.body)
	}
	for _, c := range checks {
		if p := pl.get(c.path); strings.Contains(p.body, c.want) {
			t.Errorf("%s still says the plan is being made", c.name)
		}
	}

	// A tablet open on a cell the first plan leaves empty (here every cell: the book is empty)
	// is told too.
	empty := newSite(t)
	b := empty.browser(t)
	b.signInPIN("pack-1", "ana", "1234")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", empty.URL+"/tablet/pack-1/events", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	readEvent(t, r, "machine")
	if live := b.get("/tablet/pack-1/live"); !strings.Contains(live.body, `id="planning"`) {
		t.Errorf("empty tablet while the plan is being made:\n%s", live.body)
	}
	if err := empty.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	readEvent(t, r, "queue")
	if live := b.get("/tablet/pack-1/live"); strings.Contains(live.body, `id="planning"`) {
		t.Errorf("empty tablet still says the plan is being made:\n%s", live.body)
	}
}

// TestPageRenderedWhilePlanningHearsOfThePlan: a page rendered while the first plan was being
// made, whose stream connects only once the plan is made, is told to fetch its live part again,
// or it would go on saying that the plan is being made. The book is empty, so the plan changes
// no queue and nothing else tells it.
func TestPageRenderedWhilePlanningHearsOfThePlan(t *testing.T) {
	tests := []struct {
		name, page, marker, events string
		signIn                     func(b *browser) page
	}{
		{name: "tablet", page: "/tablet/pack-1", marker: `id="planning"`, events: "/tablet/pack-1/events",
			signIn: func(b *browser) page { return b.signInPIN("pack-1", "ana", "1234") }},
		{name: "dashboard", page: "/manager", marker: `data-status="planning"`, events: "/manager/events",
			signIn: func(b *browser) page { return b.signIn("max", "loom-and-lantern") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			b := s.browser(t)
			if p := tt.signIn(b); p.status != http.StatusOK {
				t.Fatalf("sign-in: %d", p.status)
			}
			if p := b.get(tt.page); !strings.Contains(p.body, tt.marker) {
				t.Fatalf("%s while the plan is being made lacks %s:\n%s", tt.page, tt.marker, p.body)
			}
			if err := s.planner.Replan(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+tt.events+"?planning=1", nil)
			res, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			readEvent(t, bufio.NewReader(res.Body), "queue")
			if p := b.get(tt.page); strings.Contains(p.body, tt.marker) {
				t.Errorf("%s still says the plan is being made", tt.page)
			}
		})
	}
}

func TestPlannerChecksThenStoresABatch(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nseed-1,SCARF,1\n")
	b := s.browser(t)
	if p := b.signIn("pia", "wrong"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `id="signin-error"`) {
		t.Fatalf("wrong password: %d", p.status)
	}
	if p := b.signIn("pia", "weft-and-warp"); p.url != "/planner" {
		t.Fatalf("planner sign-in landed on %s", p.url)
	}
	drop := b.get("/planner/drops/winter")
	if !strings.Contains(drop.body, `id="windows"`) || !strings.Contains(drop.body, `<tr data-sku="SCARF">`) || !strings.Contains(drop.body, `id="batch"`) {
		t.Fatalf("drop page:\n%s", drop.body)
	}

	bad := "order_id,sku,quantity\nb-1,SCARF,2\nb-2,NOPE,1\nb-3,SCARF,0\nb-4,SCARF,x\n"
	p := b.upload("/planner/drops/winter/check", "bad.csv", bad, "")
	lines := regexp.MustCompile(`<td class="line num">(\d+)</td>`).FindAllStringSubmatch(p.body, -1)
	var got []string
	for _, l := range lines {
		got = append(got, l[1])
	}
	if strings.Join(got, ",") != "3,4,5" || !strings.Contains(p.body, "Nothing was stored") {
		t.Errorf("bad batch: lines %v, want 3,4,5\n%s", got, p.body)
	}
	if _, _, err := s.book.Order(context.Background(), "b-1"); err == nil {
		t.Error("checking a bad batch stored its good row")
	}

	good := "order_id,sku,quantity\ng-1,SCARF,2\ng-2,SCARF,3\n"
	p = b.upload("/planner/drops/winter/check", "good.csv", good, "")
	if !strings.Contains(p.body, `id="batch-ok"`) || !strings.Contains(p.body, `data-on-time="true"`) || !strings.Contains(p.body, "2 orders, 5 units") {
		t.Fatalf("good batch check:\n%s", p.body)
	}
	if _, _, err := s.book.Order(context.Background(), "g-1"); err == nil {
		t.Fatal("checking stored the batch")
	}
	key := regexp.MustCompile(`"Idempotency-Key": "([^"]+)"`).FindStringSubmatch(p.body)
	if key == nil {
		t.Fatalf("no idempotency key to store with:\n%s", p.body)
	}
	p = b.upload("/planner/drops/winter/store", "good.csv", good, key[1])
	if !strings.Contains(p.body, `id="batch-stored"`) || !strings.Contains(p.body, "2 new orders") {
		t.Fatalf("store:\n%s", p.body)
	}
	p = b.upload("/planner/drops/winter/store", "good.csv", good, key[1])
	if !strings.Contains(p.body, "stored already") {
		t.Errorf("second store with the same key:\n%s", p.body)
	}
	if units, _ := s.book.DropUnits(context.Background(), "winter"); units["SCARF"] != 6 {
		t.Errorf("winter holds %d scarves, want 6", units["SCARF"])
	}

	if err := s.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	gantt := b.get("/planner/gantt")
	if !strings.Contains(gantt.body, `data-chart="gantt"`) || !strings.Contains(gantt.body, "<svg") || !strings.Contains(gantt.body, "g-1") {
		t.Errorf("gantt lacks the planned work:\n%.2000s", gantt.body)
	}
	if !strings.Contains(gantt.body, "Outside this window: Winter &lt;warm&gt; drop ships Sun 10 Jan 2027") {
		t.Errorf("the plan's window does not say the drop date lies beyond it")
	}
	if toDrops := b.get("/planner/gantt?days=drops"); strings.Contains(toDrops.body, "Outside this window") || !strings.Contains(toDrops.body, ">winter</text>") {
		t.Errorf("the window to the drop dates does not mark the drop:\n%.3000s", toDrops.body)
	}
	if p := b.get("/planner/gantt?days=2"); p.status != http.StatusBadRequest {
		t.Errorf("gantt days=2: %d, want 400", p.status)
	}
}

func TestPagesFollowTheRoles(t *testing.T) {
	s := newSite(t)
	anon := s.browser(t)
	if p := anon.get("/manager"); p.url != "/signin" {
		t.Errorf("the dashboard without a sign-in went to %s, want /signin", p.url)
	}
	op := s.browser(t)
	op.signInPIN("pack-1", "ana", "1234")
	if p := op.upload("/planner/drops/winter/store", "good.csv", "order_id,sku,quantity\nx-1,SCARF,1\n", ""); p.status != http.StatusForbidden {
		t.Errorf("an operator storing a batch: %d, want 403", p.status)
	}
	pl := s.browser(t)
	pl.signIn("pia", "weft-and-warp")
	// A planner may look at a tablet page but its buttons do not offer what the API refuses.
	s.importCSV(t, "order_id,sku,quantity\nr-1,SCARF,1\n")
	look := pl.get("/tablet/dye-1")
	if !strings.Contains(look.body, `data-state="queued"`) || regexp.MustCompile(`data-action="start"\s*>`).MatchString(look.body) ||
		!strings.Contains(look.body, "Signed in to look") {
		t.Errorf("a planner's tablet page offers the start button or does not say why not")
	}
	req, _ := http.NewRequest("POST", s.URL+"/planner/drops/winter/check", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	if p := pl.do(req); p.status != http.StatusForbidden {
		t.Errorf("a write without the page's header: %d, want 403", p.status)
	}
	// A form posted from another site does not sign anyone in or out.
	req, _ = http.NewRequest("POST", s.URL+"/signout", strings.NewReader(""))
	req.Header.Set("Origin", "http://evil.example")
	if p := pl.do(req); p.status != http.StatusForbidden {
		t.Errorf("a cross-site sign-out: %d, want 403", p.status)
	}
	if p := pl.form("/signout", url.Values{}); p.url != "/" {
		t.Errorf("sign-out went to %s", p.url)
	}
	if p := pl.get("/planner"); p.url != "/signin" {
		t.Errorf("after sign-out /planner went to %s, want /signin", p.url)
	}
}

func TestDashboardDrawsAndDownloads(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,2\nw-2,SCARF,1\n")
	ctx := context.Background()
	// Finish w-1 whole: both its operations.
	for range 2 {
		q, err := s.book.Queue(ctx, "dye-1", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 0 || q[0].OrderID != "w-1" {
			q, _ = s.book.Queue(ctx, "pack-1", 1)
		}
		for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
			if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: q[0].ID, Action: a, Actor: "person:ana"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.planner.Replan(ctx, true); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	if p := b.signIn("max", "loom-and-lantern"); p.url != "/manager" {
		t.Fatalf("manager sign-in landed on %s", p.url)
	}
	p := b.get("/manager")
	for _, name := range chartNames {
		fig := regexp.MustCompile(`(?s)<figure data-chart="` + name + `".*?</figure>`).FindString(p.body)
		if fig == "" || !strings.Contains(fig, "<svg") || !strings.Contains(fig, `href="/manager/charts/`+name+`.csv"`) {
			t.Errorf("chart %s missing or without its CSV link", name)
		}
	}
	if !regexp.MustCompile(`<tr data-drop="winter" data-status="(on-track|at-risk|late)">`).MatchString(p.body) {
		t.Errorf("drop row lacks a predicted status")
	}
	if !strings.Contains(p.body, `data-cell="dye-1"`) || !strings.Contains(p.body, `class="units-today">`) {
		t.Error("board lacks its cells")
	}
	csv := b.get("/manager/charts/throughput.csv")
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("CSV content type %q", ct)
	}
	rows := strings.Split(strings.TrimSpace(csv.body), "\n")
	if rows[0] != "cell,hour,good_units" || len(rows) != 1+2*24 {
		t.Errorf("throughput CSV: %d rows, header %q", len(rows), rows[0])
	}
	total := 0
	for _, r := range rows[1:] {
		var n int
		fmt.Sscan(r[strings.LastIndex(r, ",")+1:], &n)
		total += n
	}
	if total != 4 { // w-1's 2 units at each of its two cells
		t.Errorf("throughput CSV counts %d units, want 4", total)
	}
	hist := b.get("/manager/charts/turnaround-hist.csv")
	if !strings.Contains(hist.body, "winter,<1d,0,1,1") {
		t.Errorf("turnaround histogram CSV lacks w-1 in the first bin:\n%s", hist.body)
	}
	if p := b.get("/manager/charts/nope.csv"); p.status != http.StatusNotFound {
		t.Errorf("unknown chart: %d", p.status)
	}
}

// TestTabletListsTheHeadOfALongQueue: a tablet lists the current job and the next 50, and says
// how many more wait.
func TestTabletListsTheHeadOfALongQueue(t *testing.T) {
	s := newSite(t)
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity\n")
	for i := range 53 {
		fmt.Fprintf(&csv, "q-%02d,SCARF,1\n", i)
	}
	s.importCSV(t, csv.String())
	b := s.browser(t)
	b.signInPIN("dye-1", "ana", "1234")
	live := b.get("/tablet/dye-1/live")
	if n := strings.Count(live.body, "<li data-op="); n != queueShown {
		t.Errorf("the queue lists %d jobs, want %d", n, queueShown)
	}
	if !strings.Contains(live.body, `<p id="queue-more">and 2 more jobs</p>`) {
		t.Errorf("the page does not say that 2 more jobs wait:\n%s", live.body[strings.LastIndex(live.body, "</ol>"):])
	}
}

// A drop whose orders came in after the current plan was made is not "no orders yet" (nor
// "done"): the next plan will hold them.
func TestDropsNewerThanThePlanSayItIsBeingMade(t *testing.T) {
	s := newSite(t)
	if err := s.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	pl := s.browser(t)
	pl.signIn("pia", "weft-and-warp")
	if p := pl.get("/planner"); !strings.Contains(p.body, `data-status="no-orders"`) {
		t.Fatalf("drops before any order:\n%.3000s", p.body)
	}
	s.importUnplanned(t, "order_id,sku,quantity\nn-1,SCARF,1\n")
	if p := pl.get("/planner"); !strings.Contains(p.body, `data-status="planning"`) {
		t.Errorf("drops with an order the plan does not hold yet:\n%.3000s", p.body)
	}
	if err := s.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if p := pl.get("/planner"); !regexp.MustCompile(`data-status="(on-track|at-risk|late)"`).MatchString(p.body) {
		t.Errorf("drops once the plan holds the order:\n%.3000s", p.body)
	}
}

func TestTabletShowsAFaultByWhoReportedItAndOffersToClearIt(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,3\nw-2,SCARF,2\n")
	ctx := context.Background()
	if err := s.book.ReportFault(ctx, book.CellReport{Cell: "dye-1", Code: "jam", Reason: "fault reported by person:ana: jam", By: "person:ana"}); err != nil {
		t.Fatal(err)
	}

	// Signed out, the cell picker says the cell is out of service, not why nor what it works on.
	anon := s.browser(t).get("/tablet")
	tile := regexp.MustCompile(`(?s)<a class="cell-tile[^"]*" data-cell="dye-1" data-state="([a-z]+)".*?</a>`)
	m := tile.FindStringSubmatch(anon.body)
	if m == nil || m[1] != "down" {
		t.Fatalf("dye-1's tile signed out: %v\n%s", m, anon.body)
	}
	for _, secret := range []string{"Jam or tangle", "Ana", "Silk scarf", "waiting"} {
		if strings.Contains(m[0], secret) {
			t.Errorf("dye-1's tile shows %q to anyone:\n%s", secret, m[0])
		}
	}

	b := s.browser(t)
	if p := b.signInPIN("pack-1", "bo", "5678"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	m = tile.FindStringSubmatch(b.get("/tablet").body)
	if m == nil || !strings.Contains(m[0], "Out of service<span class=\"why\">: Jam or tangle, reported by Ana</span>") {
		t.Errorf("dye-1's tile signed in: %v", m)
	}

	p := b.get("/tablet/dye-1")
	for _, want := range []string{
		`data-state="down">Out of service`, `<strong class="reporter">Ana</strong>`, `<strong class="reason">Jam or tangle</strong>`,
		`<time datetime="`, `<strong>What to do:</strong>`, `id="dialog-clear"`, `data-action="clear">`, `data-idle-left="`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("tablet page of a cell with a reported fault lacks %s", want)
		}
	}
	if strings.Contains(p.body, "person:ana") {
		t.Error("the page names the reporter by principal id, not by name")
	}
	if strings.Contains(p.body, `data-action="fault"`) {
		t.Error("Report fault is offered while a fault holds the cell")
	}
	left, err := strconv.ParseInt(attr(t, p.body, "section", "data-idle-left"), 10, 64)
	if err != nil || left <= 0 || left > (15*time.Minute).Milliseconds() {
		t.Errorf("data-idle-left = %d, %v; want the 15 minutes of a PIN session at most", left, err)
	}
}

// TestTabletShowsTheSerialsOfTheUnitsInHand: the job in hand lists its work order's live units
// by serial once they are counted, the first and the last when they are many, in the tablet's
// language.
func TestTabletShowsTheSerialsOfTheUnitsInHand(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,12\n")
	b := s.browser(t)
	if p := b.signInPIN("dye-1", "ana", "1234"); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	_, wo, err := s.book.Order(ctx, "w-1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations[0].ID
	if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionStart, Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	units := regexp.MustCompile(`<p class="units" data-units="(\d+)">([^<]*) · <a class="story" href="/u/([^"]+)"`)
	shown := func(lang string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+"/tablet/dye-1", nil)
		req.Header.Set("Accept-Language", lang)
		p := b.do(req)
		if p.status != http.StatusOK {
			t.Fatalf("tablet: %d", p.status)
		}
		m := units.FindStringSubmatch(p.body)
		if m == nil {
			return ""
		}
		if !strings.HasPrefix(strings.TrimPrefix(m[2], "Units "), m[3]) && !strings.HasPrefix(strings.TrimPrefix(m[2], "Unidades "), m[3]) &&
			!strings.HasPrefix(strings.TrimPrefix(m[2], "Unit "), m[3]) && !strings.HasPrefix(strings.TrimPrefix(m[2], "Unidade "), m[3]) {
			t.Errorf("the story link leads to %s, not the first unit's page (%s)", m[3], m[2])
		}
		return m[1] + ": " + m[2]
	}
	for _, tc := range []struct {
		name string
		act  func() error
		want string
	}{
		{name: "none counted", act: func() error { return nil }, want: ""},
		{name: "one", act: func() error { _, err := s.book.Progress(ctx, op, 1, "cell"); return err }, want: "1: Unit w-1-1"},
		{name: "a few", act: func() error { _, err := s.book.Progress(ctx, op, 4, "cell"); return err },
			want: "4: Units w-1-1, w-1-2, w-1-3, w-1-4"},
		{name: "many", act: func() error { _, err := s.book.Progress(ctx, op, 12, "cell"); return err },
			want: "12: Units w-1-1 … w-1-12"},
		{name: "after a scrap, the live ones", act: func() error {
			_, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionScrap, Actor: "ana",
				Reason: "stain", Quantity: 2})
			return err
		}, want: "10: Units w-1-1 … w-1-10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.act(); err != nil {
				t.Fatal(err)
			}
			if got := shown("en"); got != tc.want {
				t.Errorf("units shown = %q, want %q", got, tc.want)
			}
		})
	}
	if got, want := shown("pt-PT,pt;q=0.9"), "10: Unidades w-1-1 … w-1-10"; got != want {
		t.Errorf("units shown in Portuguese = %q, want %q", got, want)
	}
}
