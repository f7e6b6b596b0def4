package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

const (
	outagePlanner  = "outage-planner-token-001"
	outageOperator = "outage-operator-token-01"
	// outageLength is how long the database stays away, each time.
	outageLength = 30 * time.Second
	// outageOrderUnits is the quantity of every order the test imports.
	outageOrderUnits = 2
)

// outageLog is what the test's clients were told by the daemon.
type outageLog struct {
	mu sync.Mutex
	// orders are the orders of the batches the daemon acknowledged.
	orders map[string]bool
	// pauses and resumes count the operator's actions the daemon acknowledged, by operation.
	pauses, resumes map[int64]int
	// unavailable counts the answers 503 with a Retry-After; problems are the answers no client
	// expects (a 503 without a Retry-After, a 5xx other than it, a daemon that could not be
	// reached).
	unavailable int
	problems    []string
	// health is every /healthz answer: its status code and the store's check.
	health []healthSeen
	reads  map[int]int // the readers' answers by status code
}

type healthSeen struct {
	at    time.Time
	code  int
	store string
}

func (l *outageLog) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// send sends a write as the tablet does: with its Idempotency-Key, and again with the same key
// after the Retry-After of every 503, until the daemon answers otherwise or ctx ends. It
// returns the answer's status and body.
func (l *outageLog) send(ctx context.Context, method, url, token, contentType, key string, body []byte) (int, []byte) {
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				l.problem("%s %s: the daemon could not be reached: %v", method, url, err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable {
			if res.StatusCode >= 500 {
				l.problem("%s %s: %d %s", method, url, res.StatusCode, b)
			}
			return res.StatusCode, b
		}
		wait, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			l.problem("%s %s: 503 with Retry-After %q: %s", method, url, res.Header.Get("Retry-After"), b)
			wait = 1
		} else {
			l.mu.Lock()
			l.unavailable++
			l.mu.Unlock()
		}
		sleepCtx(ctx, time.Duration(wait)*time.Second)
	}
	return 0, nil
}

// sleepCtx waits for d or for ctx to end.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// importer sends a batch of two orders at a time until stop ends, each until the daemon takes
// it (resent after every 503), and records the orders of those it acknowledged. A batch under
// way when stop ends is sent until it is taken or give ends. Its orders' ids begin with name.
func (l *outageLog) importer(stop, give context.Context, url, name string) {
	for n := 0; stop.Err() == nil; n++ {
		ids := []string{fmt.Sprintf("%s%03d-A", name, n), fmt.Sprintf("%s%03d-B", name, n)}
		var csv strings.Builder
		csv.WriteString("order_id,sku,quantity\n")
		for _, id := range ids {
			fmt.Fprintf(&csv, "%s,SCARF,%d\n", id, outageOrderUnits)
		}
		code, body := l.send(give, "POST", url+"/api/v1/drops/winter/orders", outagePlanner, "text/csv",
			fmt.Sprintf("import-%s-%d", name, n), []byte(csv.String()))
		if code != http.StatusCreated && code != http.StatusOK {
			l.problem("batch %d answered %d %s, want it taken", n, code, body)
			continue
		}
		l.mu.Lock()
		for _, id := range ids {
			l.orders[id] = true
		}
		l.mu.Unlock()
		sleepCtx(stop, 500*time.Millisecond)
	}
}

// operator pauses the operation running at cell for a break and resumes it, once each, until
// stop ends: each action with its own key, sent until the daemon answers it. An operation that
// moved on first (a conflict) is left to the floor.
func (l *outageLog) operator(stop, give context.Context, url, cell string) {
	acted := map[int64]bool{}
	for stop.Err() == nil {
		var q struct {
			Queue []book.QueueEntry `json:"queue"`
		}
		code, err := request(stop, "GET", url+"/api/v1/cells/"+cell+"/queue?limit=1", outageOperator, "", nil, &q)
		if err != nil || code != http.StatusOK || len(q.Queue) == 0 || q.Queue[0].State != book.Running || acted[q.Queue[0].ID] {
			sleepCtx(stop, 50*time.Millisecond)
			continue
		}
		op := q.Queue[0].ID
		acted[op] = true
		path := fmt.Sprintf("%s/api/v1/operations/%d/", url, op)
		if code, _ := l.send(give, "POST", path+"pause", outageOperator, "application/json", fmt.Sprintf("pause-%d", op), []byte(`{"reason":"break"}`)); code != http.StatusOK {
			continue
		}
		l.mu.Lock()
		l.pauses[op]++
		l.mu.Unlock()
		code, body := l.send(give, "POST", path+"resume", outageOperator, "application/json", fmt.Sprintf("resume-%d", op), []byte(`{}`))
		if code != http.StatusOK {
			l.problem("resuming operation %d, paused by the operator: %d %s", op, code, body)
			continue
		}
		l.mu.Lock()
		l.resumes[op]++
		l.mu.Unlock()
	}
}

// reader reads the floor and the book, and /healthz, until stop ends.
func (l *outageLog) reader(stop context.Context, url string) {
	for stop.Err() == nil {
		for _, path := range []string{"/api/v1/cells/weave-1", "/api/v1/work-orders?limit=20"} {
			code, _ := request(stop, "GET", url+path, outagePlanner, "", nil, nil)
			l.mu.Lock()
			l.reads[code]++
			l.mu.Unlock()
		}
		var h struct {
			Checks map[string]string `json:"checks"`
		}
		code, _ := requestAny(stop, url+"/healthz", &h)
		if stop.Err() == nil {
			l.mu.Lock()
			l.health = append(l.health, healthSeen{at: time.Now(), code: code, store: h.Checks["store"]})
			l.mu.Unlock()
		}
		sleepCtx(stop, 100*time.Millisecond)
	}
}

// requestAny GETs url and decodes its JSON body into out whatever the status.
func requestAny(ctx context.Context, url string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return res.StatusCode, json.NewDecoder(res.Body).Decode(out)
}

// TestDatabaseOutage runs a daemon on a PostgreSQL server of the test's own, its simulated floor
// at speed, under writes (batches of orders, an operator's pauses and resumes, each with an
// Idempotency-Key and sent again after every 503, as the tablet does) and reads, and takes the
// server away for 30 s twice: stopped cleanly, then killed (an immediate shutdown, recovered at
// the next start). Meanwhile writes are answered 503 with a Retry-After and /healthz says the
// store is down; after, /healthz says healthy, the floor goes on by itself, and in the end every
// acknowledged write is in the book once, every order is finished with its exact count, and the
// daemon never exited.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("takes a database away for a minute")
	}
	srv := pgtest.Start(t)
	d := startDaemon(t, "testdata/outage.yaml", t.TempDir(), "--store", srv.Database(t), "--sim-speed", "7200")
	d.reader = outagePlanner
	log := &outageLog{orders: map[string]bool{}, pauses: map[int64]int{}, resumes: map[int64]int{}, reads: map[int]int{}}
	stop, stopClients := context.WithCancel(context.Background())
	defer stopClients()
	give, giveUp := context.WithTimeout(context.Background(), 5*time.Minute)
	defer giveUp()
	var wg sync.WaitGroup
	for _, client := range []func(){
		func() { log.importer(stop, give, d.url, "P") },
		func() { log.importer(stop, give, d.url, "Q") },
		func() { log.operator(stop, give, d.url, "weave-2") },
		func() { log.reader(stop, d.url) },
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client()
		}()
	}
	takeAway(t, d, srv, log, "stopped cleanly", srv.Stop)
	takeAway(t, d, srv, log, "killed", srv.Kill)
	waitProgress(t, d, log, "after the outages")
	stopClients()
	wg.Wait()
	checkAfterOutage(t, d, log)
}

// takeAway takes the database away with away once the floor and the clients are under way,
// checks what the daemon says meanwhile, and starts the server again outageLength later.
func takeAway(t *testing.T, d *daemon, srv *pgtest.Server, log *outageLog, name string, away func()) {
	t.Helper()
	waitProgress(t, d, log, "before the database is "+name)
	log.mu.Lock()
	refused := log.unavailable
	log.mu.Unlock()
	began := time.Now()
	away()
	t.Logf("database %s", name)
	waitFor(t, outageLength, name+": /healthz to say the store is down", func() bool {
		return log.healthSince(began, func(h healthSeen) bool {
			return h.code == http.StatusServiceUnavailable && h.store != "ok" && h.store != ""
		})
	})
	waitFor(t, outageLength, name+": a write answered 503 with a Retry-After", func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		return log.unavailable > refused
	})
	// The outage lasts its length, whatever the test saw of it.
	sleepCtx(context.Background(), outageLength-time.Since(began))
	if err := srv.Start(); err != nil {
		t.Fatalf("starting the database again: %v\n%s", err, srv.Log())
	}
	back := time.Now()
	waitFor(t, time.Minute, name+": /healthz to say healthy again", func() bool {
		return log.healthSince(back, func(h healthSeen) bool { return h.code == http.StatusOK && h.store == "ok" })
	})
	daemonAlive(t, d)
}

// healthSince reports whether an answer of /healthz after from satisfies cond.
func (l *outageLog) healthSince(from time.Time, cond func(healthSeen) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.health {
		if h.at.After(from) && cond(h) {
			return true
		}
	}
	return false
}

// waitProgress waits until the daemon acknowledged another batch and finished another work
// order.
func waitProgress(t *testing.T, d *daemon, log *outageLog, when string) {
	t.Helper()
	count := func() (orders, done int) {
		log.mu.Lock()
		orders = len(log.orders)
		log.mu.Unlock()
		for _, wo := range listWorkOrders(t, d) {
			if wo.State == book.WorkDone {
				done++
			}
		}
		return orders, done
	}
	orders, done := count()
	waitFor(t, 2*time.Minute, "the clients and the floor to go on "+when, func() bool {
		o, dn := count()
		return o > orders && dn > done
	})
	daemonAlive(t, d)
}

// listWorkOrders lists every work order of the book.
func listWorkOrders(t *testing.T, d *daemon) []book.WorkOrder {
	t.Helper()
	var out []book.WorkOrder
	for after := int64(0); ; {
		var page struct {
			WorkOrders []book.WorkOrder `json:"work_orders"`
			NextAfter  int64            `json:"next_after"`
		}
		d.get(t, "/api/v1/work-orders?limit=10000&after="+strconv.FormatInt(after, 10), &page)
		out = append(out, page.WorkOrders...)
		if page.NextAfter == 0 {
			return out
		}
		after = page.NextAfter
	}
}

// daemonAlive fails the test if the daemon exited.
func daemonAlive(t *testing.T, d *daemon) {
	t.Helper()
	select {
	case err := <-d.done:
		d.done <- err
		t.Fatalf("the daemon exited: %v\n%s", err, tail(d.logs(), 4000))
	default:
	}
}

// checkAfterOutage waits for the floor to finish every order acknowledged, then checks the book
// against what the clients were told: every acknowledged order stored once and finished with
// its exact count (progress recorded once per unit), every acknowledged pause and resume applied
// once, and nothing answered that a client could not act on.
func checkAfterOutage(t *testing.T, d *daemon, log *outageLog) {
	t.Helper()
	var wos []book.WorkOrder
	waitFor(t, 3*time.Minute, "the floor to finish every order", func() bool {
		wos = listWorkOrders(t, d)
		for _, wo := range wos {
			if wo.State != book.WorkDone {
				return false
			}
		}
		return len(wos) >= len(log.orders)
	})
	daemonAlive(t, d)
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, p := range log.problems {
		t.Error(p)
	}
	stored := map[string]int{}
	for _, wo := range wos {
		stored[wo.OrderID]++
		if !log.orders[wo.OrderID] {
			t.Errorf("order %s is stored but was never acknowledged", wo.OrderID)
		}
		var detail book.WorkOrderDetail
		d.get(t, "/api/v1/work-orders/"+strconv.FormatInt(wo.ID, 10), &detail)
		checkFinished(t, detail, log.pauses, log.resumes)
	}
	for id := range log.orders {
		if stored[id] != 1 {
			t.Errorf("order %s was acknowledged and is stored %d times, want once", id, stored[id])
		}
	}
	if log.reads[http.StatusOK] == 0 || log.reads[http.StatusInternalServerError] != 0 {
		t.Errorf("reads answered %v: want answers, and no 500", log.reads)
	}
	t.Logf("%d orders acknowledged and finished, %d pauses; %d answers 503 with a Retry-After; reads %v",
		len(log.orders), len(log.pauses), log.unavailable, log.reads)
}

// checkFinished checks that a finished work order's operations made its quantity, recorded once
// unit by unit, and that the operator's pauses and resumes of them are in its history as many
// times as they were acknowledged.
func checkFinished(t *testing.T, d book.WorkOrderDetail, pauses, resumes map[int64]int) {
	t.Helper()
	units := map[int64]int{}
	paused, resumed := map[int64]int{}, map[int64]int{}
	for _, e := range d.History {
		switch {
		case e.Kind == book.EventOperationProgress:
			units[e.Operation] += e.Quantity
		case e.Kind == book.EventOperation && e.Actor == "token:operator" && e.To == book.Paused:
			paused[e.Operation]++
		case e.Kind == book.EventOperation && e.Actor == "token:operator" && e.From == book.Paused:
			resumed[e.Operation]++
		}
	}
	for _, op := range d.Operations {
		if op.State != book.Done || op.UnitsDone != d.Quantity || units[op.ID] != d.Quantity {
			t.Errorf("order %s: operation %d is %s with %d units done and %d recorded as progress, want done with %d",
				d.OrderID, op.ID, op.State, op.UnitsDone, units[op.ID], d.Quantity)
		}
		if paused[op.ID] != pauses[op.ID] || resumed[op.ID] != resumes[op.ID] {
			t.Errorf("order %s: operation %d paused %d and resumed %d times by the operator, acknowledged %d and %d",
				d.OrderID, op.ID, paused[op.ID], resumed[op.ID], pauses[op.ID], resumes[op.ID])
		}
	}
}
