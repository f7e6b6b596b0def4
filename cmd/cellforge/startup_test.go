package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// heldBook is the order book as the planner reads it, with its reads of the open work held
// until the test lets them go: a first plan that takes as long as the test wants.
type heldBook struct {
	*book.Book
	entered chan struct{} // closed when the planner first reads the open work
	once    sync.Once
	release chan struct{}
}

func (h *heldBook) OpenWork(ctx context.Context) ([]book.OpenWork, int64, error) {
	h.once.Do(func() { close(h.entered) })
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	return h.Book.OpenWork(ctx)
}

// TestServeAnswersWhileTheFirstPlanIsMade runs the daemon with its first plan held: it serves
// meanwhile, says that the plan is being made, queues new work earliest due date first, and
// shows the plan once it is made.
func TestServeAnswersWhileTheFirstPlanIsMade(t *testing.T) {
	held := &heldBook{entered: make(chan struct{}), release: make(chan struct{})}
	opts := serveOptions{plannerBook: func(b *book.Book) planner.Book { held.Book = b; return held }}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(held.release) }) }

	out, logs := &logBuffer{}, &logBuffer{}
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		served <- serveWith(ctx, []string{"--config", "testdata/crash.yaml", "--data", data,
			"--listen", "127.0.0.1:0", "--plan-search", "20ms"}, &env{stdout: out, stderr: logs}, opts)
	}()
	// However the test ends, the daemon stops and is waited for before the data directory goes.
	t.Cleanup(func() {
		cancel()
		release()
		<-exited
	})
	select {
	case <-held.entered:
	case err := <-served:
		t.Fatalf("serve exited: %v\n%s", err, logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("the planner never started its first plan:\n%s", logs)
	}
	// The first plan is under way, and held: the daemon serves all the same.
	out.waitFor(t, `serving .* on http://`)
	base := servingLine.FindStringSubmatch(out.String())[1]

	get := func(path string, out any) int {
		t.Helper()
		c, err := request(ctx, "GET", base+path, crashPlannerToken, "", nil, out)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return c
	}
	if c := get("/healthz", nil); c != http.StatusOK {
		t.Errorf("healthz: %d", c)
	}
	if c := get("/api/v1/plan", nil); c != http.StatusServiceUnavailable {
		t.Errorf("plan while it is being made: %d, want 503", c)
	}
	csv := []byte("order_id,sku,quantity\nH1,SCARF,1\nH2,SCARF,2\nH3,SCARF,3\n")
	if c, err := request(ctx, "POST", base+"/api/v1/drops/winter/orders", crashPlannerToken, "text/csv", csv, nil); err != nil || c != http.StatusCreated {
		t.Fatalf("import while the plan is being made: %d %v", c, err)
	}
	type queue struct {
		Queue []struct {
			OrderID string `json:"order_id"`
		} `json:"queue"`
		Planning bool `json:"planning"`
	}
	// The book queued the new work earliest due date first, at the least-loaded weaving cell.
	queued := 0
	for _, cell := range []string{"weave-1", "weave-2"} {
		var q queue
		if c := get("/api/v1/cells/"+cell+"/queue", &q); c != http.StatusOK || !q.Planning {
			t.Errorf("%s queue while the plan is being made: %d %+v, want planning", cell, c, q)
		}
		queued += len(q.Queue)
	}
	if queued != 3 {
		t.Errorf("%d operations queued at the weaving cells, want the batch's 3", queued)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if res, err := browser.PostForm(base+"/tablet/weave-1/signin", url.Values{"person": {"ana"}, "pin": {"1234"}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	page := func() string {
		res, err := browser.Get(base + "/tablet/weave-1/live")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if p := page(); !strings.Contains(p, `id="planning"`) {
		t.Errorf("the tablet does not say the plan is being made:\n%s", p)
	}

	release()
	deadline := time.Now().Add(60 * time.Second)
	for get("/api/v1/plan", nil) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("no plan after the first was let go:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var q queue
	if get("/api/v1/cells/weave-1/queue", &q); q.Planning {
		t.Error("the queue still says the plan is being made")
	}
	if p := page(); strings.Contains(p, `id="planning"`) {
		t.Error("the tablet still says the plan is being made")
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v\n%s", err, logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop:\n%s", logs)
	}
	if !strings.Contains(logs.String(), `msg="first plan made"`) {
		t.Errorf("no word of the first plan in the log:\n%s", logs)
	}
}
