package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// TestWriteAfterALostCommit: the server goes while a write's COMMIT is under way, so that its
// answer is lost and the write waits for the server to say whether it committed. A second
// write meanwhile is refused with ErrUnavailable while the server is still away, rather than
// waiting behind the first; once the server is back, the first learns that it committed.
func TestWriteAfterALostCommit(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	s := openAt(t, srv.Database(t))
	ctx := context.Background()
	// a COMMIT waits for a synchronous standby there is not: the test takes the server away
	// while it waits, after the commit record is on disk
	adminSQL(t, srv, `ALTER SYSTEM SET synchronous_standby_names = 'nobody'`, `SELECT pg_reload_conf()`)

	admin, err := pgx.Connect(ctx, srv.AdminURL())
	if err != nil {
		t.Fatalf("connecting to %s: %v", srv.AdminURL(), err)
	}
	// the connections see the setting some time after the reload: a write that committed
	// before is followed by another
	type result struct {
		id  int64
		err error
	}
	var first chan result
	waitFor(t, "a write's COMMIT to wait for the standby", func() bool {
		select {
		case r := <-first:
			if r.err != nil {
				t.Fatalf("a write before the server went: %v", r.err)
			}
			first = nil
		default:
		}
		if first == nil {
			first = make(chan result, 1)
			go func(out chan<- result) {
				id, err := floorEvent(ctx, s)
				out <- result{id, err}
			}(first)
		}
		var n int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'`).Scan(&n)
		return err == nil && n == 1
	})
	admin.Close(ctx)
	srv.Kill()

	// well under pgutil.CommitCheck: a write still held behind the first ends with its context
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = floorEvent(wctx, s)
	if !errors.Is(err, book.ErrUnavailable) {
		t.Fatalf("a write with the server away, while another's COMMIT is unsettled: %v, want ErrUnavailable", err)
	}
	select {
	case r := <-first:
		t.Fatalf("the first write returned %v before the server was back", r.err)
	default:
	}

	if err := srv.Start(); err != nil {
		t.Fatalf("starting the server again: %v\n%s", err, srv.Log())
	}
	r := <-first
	if r.err != nil {
		t.Fatalf("the first write, committed before the server went: %v", r.err)
	}
	adminSQL(t, srv, `ALTER SYSTEM RESET synchronous_standby_names`, `SELECT pg_reload_conf()`)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE id = $1`, r.id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("event %d of the first write: %d rows (%v), want 1", r.id, n, err)
	}
}

// adminSQL runs statements on srv's postgres database as its superuser.
func adminSQL(tb testing.TB, srv *pgtest.Server, statements ...string) {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), srv.AdminURL())
	if err != nil {
		tb.Fatalf("connecting to %s: %v", srv.AdminURL(), err)
	}
	defer conn.Close(context.Background())
	for _, sql := range statements {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
}
