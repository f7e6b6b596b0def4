package hub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

// bigBatch is a good batch of n orders, ids prefixed.
func bigBatch(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("order_id,sku,quantity,customer,lat,lon\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%06d,RUG,1,Customer %d,41.1,-8.6\n", prefix, i, i)
	}
	return b.String()
}

// storedOrders counts the orders of the network's book, asking its database directly.
func (e *testEnv) storedOrders(t *testing.T) int {
	t.Helper()
	conn, err := pgx.Connect(e.ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(e.ctx)
	var n int
	if err := conn.QueryRow(e.ctx, "SELECT count(*) FROM network.orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// stillAnswers checks that the hub answers its health and its orders.
func (e *testEnv) stillAnswers(t *testing.T) {
	t.Helper()
	e.do("GET", "/healthz", "", "", "").decode(t, http.StatusOK, nil)
	e.do("GET", "/api/v1/network/orders?limit=1", roleTokens[configs.RoleManager], "", "").decode(t, http.StatusOK, nil)
}

// TestBatchCutOffMidFlight sends half of a large batch on a raw connection and closes it:
// nothing of the batch is stored, the hub goes on answering, and the same batch sent again
// whole is taken.
func TestBatchCutOffMidFlight(t *testing.T) {
	e := newEnv(t)
	const n = 20000
	body := bigBatch("CUT", n)
	if got := e.storedOrders(t); got != 0 {
		t.Fatalf("the book holds %d orders before the batch", got)
	}
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n",
		batchPath, roleTokens[configs.RolePlanner], len(body))
	if _, err := conn.Write([]byte(body[:len(body)/2])); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	e.stillAnswers(t)
	if got := e.storedOrders(t); got != 0 {
		t.Fatalf("half a batch, cut off, stored %d orders", got)
	}
	var res network.ImportResult
	e.do("POST", batchPath, roleTokens[configs.RolePlanner], "text/csv", body).decode(t, http.StatusCreated, &res)
	if res.Created != n || res.Unchanged != 0 {
		t.Fatalf("the whole batch after the cut one: %+v, want %d created", res, n)
	}
	if got := e.storedOrders(t); got != n {
		t.Fatalf("the book holds %d orders, want %d", got, n)
	}
}

// TestBatchCancelledWhileStoring cancels a client's request while the hub is storing its batch:
// another connection holds the orders table against writes (SHARE), so that the hub's write waits in the middle of
// its transaction until the client has gone. Nothing of the batch is stored, the hub goes on
// answering, and the same batch sent again is taken whole.
func TestBatchCancelledWhileStoring(t *testing.T) {
	e := newEnv(t)
	const n = 5000
	body := bigBatch("CXL", n)
	if got := e.storedOrders(t); got != 0 {
		t.Fatalf("the book holds %d orders before the batch", got)
	}
	holder, err := pgx.Connect(e.ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(e.ctx)
	lock, err := holder.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(e.ctx, "LOCK TABLE network.orders IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}

	// Activity is read on a connection of its own: within the lock's transaction it would be
	// the same snapshot each time.
	watch, err := pgx.Connect(e.ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(e.ctx)
	copyWaiting := func() int {
		var n int
		if err := watch.QueryRow(e.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query ILIKE 'copy%orders%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", e.srv.URL+batchPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+roleTokens[configs.RolePlanner])
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Idempotency-Key", "cancelled")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		done <- err
	}()
	waitFor(t, "the hub's insert to wait for the table", func() bool { return copyWaiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled request: %v", err)
	}
	// The hub lets the batch go once its client is gone, though the table is still held: the
	// next batch is answered (a bad one, refused without a write, after the rules' import lock).
	refused := make(chan answer, 1)
	go func() {
		refused <- e.do("POST", batchPath, roleTokens[configs.RolePlanner], "text/csv", "order_id,sku,quantity,lat,lon\nB-1,HAT,1,41,-8\n")
	}()
	select {
	case a := <-refused:
		a.refusal(t, http.StatusUnprocessableEntity, "batch_rejected")
	case <-time.After(30 * time.Second):
		t.Fatal("30 s after its client went away, the hub still holds the cancelled batch: the next one is not answered")
	}
	if err := lock.Rollback(e.ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cancelled insert to end", func() bool { return copyWaiting() == 0 })

	e.stillAnswers(t)
	if got := e.storedOrders(t); got != 0 {
		t.Fatalf("a batch whose client went away while it was stored left %d orders", got)
	}
	// Sent again, with the same key: the hub kept no answer of the cancelled one, and stores it.
	var res network.ImportResult
	e.do("POST", batchPath, roleTokens[configs.RolePlanner], "text/csv", body, "Idempotency-Key", "cancelled").
		decode(t, http.StatusCreated, &res)
	if res.Created != n || res.Unchanged != 0 {
		t.Fatalf("the batch sent again: %+v, want %d created", res, n)
	}
	if got := e.storedOrders(t); got != n {
		t.Fatalf("the book holds %d orders, want %d", got, n)
	}
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
