package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres/netstore"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// recLinks records what the hub sends, and answers its promise requests as the sites would,
// through Receive: each site promises every order at the hours after now that promiseIn says.
type recLinks struct {
	mu   sync.Mutex
	msgs []sentMsg
	env  *testEnv
	wg   sync.WaitGroup
}

type sentMsg struct {
	to, kind string
	body     []byte
}

func (l *recLinks) Send(to, kind string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.msgs = append(l.msgs, sentMsg{to, kind, b})
	l.mu.Unlock()
	if kind == network.KindPromiseRequest {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.env.promise(to, b)
		}()
	}
	return nil
}

// sent returns the messages of a kind sent to a site.
func (l *recLinks) sent(to, kind string) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]byte
	for _, m := range l.msgs {
		if m.to == to && m.kind == kind {
			out = append(out, m.body)
		}
	}
	return out
}

// Tokens of each role, in the hub's file.
var roleTokens = map[string]string{
	configs.RolePlanner: "planner-token-0000000001",
	configs.RoleManager: "manager-token-0000000001",
	configs.RoleAdmin:   "admin-token-000000000001",
}

var winter = network.Drop{ID: "winter", Date: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC), SKUs: []string{"RUG", "SCARF"}}

// testSites are the network's sites: porto and lisbon make both SKUs, madrid only rugs.
var testSites = []network.Site{
	{ID: "porto", Name: "Porto loom studio", Location: network.Point{Lat: 41.15, Lon: -8.61}},
	{ID: "lisbon", Name: "Lisbon dye kitchen", Location: network.Point{Lat: 38.72, Lon: -9.14}},
	{ID: "madrid", Name: "Madrid corner shop", Location: network.Point{Lat: 40.42, Lon: -3.70}},
}

var makes = map[string][]string{"porto": {"RUG", "SCARF"}, "lisbon": {"RUG", "SCARF"}, "madrid": {"RUG"}}

// testEnv is the hub's server over a real hub: network.New over netstore on a PostgreSQL of
// its own, recording links, a clock, and sites that speak through Receive.
type testEnv struct {
	t     *testing.T
	ctx   context.Context
	hub   *network.Rules
	store *netstore.Store
	url   string // the database of the network's book
	links *recLinks
	// bodyGrace and bodyRate are the server's pace of request bodies; its defaults when zero.
	bodyGrace time.Duration
	bodyRate  int64
	clock     *booktest.Clock
	srv       *httptest.Server
	// promiseIn is how long after now each site promises to finish an order.
	promiseIn map[string]time.Duration
	// logs has the server's log, as JSON lines, debug level and up.
	logs syncBuffer
}

// syncBuffer is a bytes.Buffer that the server's log may write while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, ctx: context.Background(), url: pgtest.URL(t), clock: booktest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		promiseIn: map[string]time.Duration{"porto": 48 * time.Hour, "lisbon": 24 * time.Hour, "madrid": 24 * time.Hour}}
	e.links = &recLinks{env: e}
	t.Cleanup(e.links.wg.Wait)
	e.start(nil)
	return e
}

// start opens the network's book at e.url and serves the hub over it, as the hub's process
// does at its start; st, when not nil, stands between the rules and the book.
func (e *testEnv) start(st func(network.Store) network.Store) {
	t := e.t
	t.Helper()
	store, err := netstore.Open(e.ctx, e.url)
	if err != nil {
		t.Fatalf("opening the network's book: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	e.store = store
	var rulesStore network.Store = store
	if st != nil {
		rulesStore = st(store)
	}
	e.hub = network.New(network.Config{Drops: map[string]network.Drop{winter.ID: winter}, AckTimeout: 2 * time.Minute,
		PromiseTimeout: 5 * time.Second, OnlineWithin: 90 * time.Second, Now: e.clock.Now}, rulesStore, e.links)
	if err := e.hub.SyncSites(e.ctx, testSites); err != nil {
		t.Fatal(err)
	}
	var tokens []configs.Token
	for role, tok := range roleTokens {
		tokens = append(tokens, configs.Token{Name: role + "-bot", Role: role, Token: tok})
	}
	h, err := New(Config{Hub: e.hub, Tokens: tokens, OnlineWithin: 90 * time.Second, Now: e.clock.Now,
		BodyGrace: e.bodyGrace, MinBodyRate: e.bodyRate,
		Logger: slog.New(slog.NewJSONHandler(&e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
}

// restart stops the hub's server and closes its book, as a kill would, and starts them again
// on the same database; st is as start's.
func (e *testEnv) restart(st func(network.Store) network.Store) {
	e.t.Helper()
	e.srv.Close()
	e.store.Close()
	e.start(st)
}

// say gives the hub a site's message, as the site's link would.
func (e *testEnv) say(site, kind string, body any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.hub.Receive(e.ctx, site, kind, b); err != nil {
		e.t.Fatalf("%s from %s: %v", kind, site, err)
	}
}

// hello makes every site but those left out say what it makes.
func (e *testEnv) hello(except ...string) {
	e.t.Helper()
	for _, s := range testSites {
		if !contains(except, s.ID) {
			e.say(s.ID, network.KindHello, network.Hello{Makes: map[string][]string{"winter": makes[s.ID]}, Cells: 2})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// promise answers a promise request as site.
func (e *testEnv) promise(site string, body []byte) {
	var req network.PromiseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		e.t.Errorf("promise request to %s: %v", site, err)
		return
	}
	p := network.Promises{ID: req.ID, Load: network.Load{Hours: 4, Cells: 2}}
	for _, o := range req.Orders {
		p.Orders = append(p.Orders, network.Promise{OrderID: o.OrderID, End: e.clock.Now().Add(e.promiseIn[site])})
	}
	for _, r := range req.Repairs {
		p.Repairs = append(p.Repairs, network.Promise{OrderID: r.RepairID, End: e.clock.Now().Add(e.promiseIn[site])})
	}
	b, _ := json.Marshal(p)
	if err := e.hub.Receive(e.ctx, site, network.KindPromise, b); err != nil {
		e.t.Errorf("promises of %s: %v", site, err)
	}
}

// route runs a routing round and returns how many orders it routed.
func (e *testEnv) route() int {
	e.t.Helper()
	n, err := e.hub.RouteWaiting(e.ctx)
	if err != nil {
		e.t.Fatalf("RouteWaiting: %v", err)
	}
	return n
}

// answer is an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with a bearer token (none when ""), and headers as key, value pairs.
func (e *testEnv) do(method, path, token, contentType, body string, headers ...string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode decodes a JSON answer, failing the test unless its status is want.
func (a answer) decode(t *testing.T, want int, v any) {
	t.Helper()
	if a.status != want {
		t.Fatalf("status %d, want %d: %s", a.status, want, a.body)
	}
	if v != nil {
		if err := json.Unmarshal(a.body, v); err != nil {
			t.Fatalf("answer %s: %v", a.body, err)
		}
	}
}

// errorBody is the API's error shape as a client reads it.
type errorBody struct {
	Error struct {
		Code     string `json:"code"`
		Message  string `json:"message"`
		Problems int    `json:"problems"`
		BadRows  int    `json:"bad_rows"`
		// Truncated says the rows listed leave some problems out.
		Truncated bool `json:"truncated"`
		Rows      []struct {
			Line   int    `json:"line"`
			Column string `json:"column"`
			Reason string `json:"reason"`
		} `json:"rows"`
	} `json:"error"`
}

// refusal checks that an answer is the API's error of status and code, and returns it.
func (a answer) refusal(t *testing.T, status int, code string) errorBody {
	t.Helper()
	var b errorBody
	a.decode(t, status, &b)
	if b.Error.Code != code {
		t.Fatalf("error code %q, want %q: %s", b.Error.Code, code, a.body)
	}
	return b
}

const goodCSV = "order_id,sku,quantity,customer,due,lat,lon\n" +
	"N-1,RUG,2,Ana Braga,2026-12-02T12:00:00Z,41.55,-8.42\n" +
	"N-2,SCARF,1,Rui Faro,2026-12-12,37.02,-7.93\n" +
	"N-3,RUG,1,Eva Prado,2026-12-12,40.41,-3.71\n"

// importGood imports goodCSV as a planner.
func (e *testEnv) importGood() {
	e.t.Helper()
	e.do("POST", "/api/v1/network/drops/winter/orders", roleTokens[configs.RolePlanner], "text/csv", goodCSV).decode(e.t, 201, nil)
}
