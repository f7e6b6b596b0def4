package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cellforge.db")
	ctx := context.Background()

	type applied struct {
		version int
		at      int64
	}
	openAndList := func() ([]applied, string) {
		var log bytes.Buffer
		s, err := Open(ctx, path, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		rows, err := s.reader.Query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var as []applied
		for rows.Next() {
			var a applied
			if err := rows.Scan(&a.version, &a.at); err != nil {
				t.Fatal(err)
			}
			as = append(as, a)
		}
		return as, log.String()
	}

	first, log := openAndList()
	if len(first) != len(ms) {
		t.Fatalf("fresh database has %d migrations, want %d", len(first), len(ms))
	}
	for i, a := range first {
		if a.version != i+1 {
			t.Errorf("migration %d has version %d", i, a.version)
		}
	}
	if got := strings.Count(log, "applied schema migration"); got != len(ms) {
		t.Errorf("first open logged %d migrations, want %d:\n%s", got, len(ms), log)
	}

	second, log := openAndList()
	if len(second) != len(first) {
		t.Fatalf("reopened database has %d migrations, want %d", len(second), len(first))
	}
	for i := range first {
		if second[i] != first[i] {
			t.Errorf("migration %d: reopened %+v, first %+v: applied again", i, second[i], first[i])
		}
	}
	if strings.Contains(log, "applied schema migration") {
		t.Errorf("reopen applied migrations:\n%s", log)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTest(t)
	ms, _ := loadMigrations()
	newer := len(ms) + 1
	if _, err := s.writer.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", newer); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(context.Background(), path, nil)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open: %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	var v int
	if err := s.reader.QueryRow("SELECT max(version) FROM schema_migrations").Scan(&v); err != nil || v != newer {
		t.Errorf("schema version after refusal = %d, %v; want %d", v, err, newer)
	}
}

func TestOpenRejectsNonFiles(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"empty", ""},
		{"memory", ":memory:"},
		{"uri", "file:x.db?mode=memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.path, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%")
	path := filepath.Join(dir, "cell forge.db")
	if err := mkdir(dir); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if !fileExists(path) {
		t.Errorf("no database at %s", path)
	}
}

// TestPragmas checks the settings the store's promises rest on, on writer and reader
// connections alike.
func TestPragmas(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	// hold two reader connections at once, so that both are checked
	r1, err := s.reader.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := s.reader.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	w, err := s.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	for _, tc := range []struct {
		name   string
		conn   *sql.Conn
		pragma string
		want   string
	}{
		{"writer journal", w, "journal_mode", "wal"},
		{"writer synchronous", w, "synchronous", "2"}, // FULL
		{"writer foreign keys", w, "foreign_keys", "1"},
		{"writer busy timeout", w, "busy_timeout", "5000"},
		{"writer writes", w, "query_only", "0"},
		{"reader 1 journal", r1, "journal_mode", "wal"},
		{"reader 1 query only", r1, "query_only", "1"},
		{"reader 1 busy timeout", r1, "busy_timeout", "5000"},
		{"reader 2 query only", r2, "query_only", "1"},
		{"reader 2 busy timeout", r2, "busy_timeout", "5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := tc.conn.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s = %s, want %s", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cellforge.db")
	ctx := context.Background()
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	written := storetest.ImportOrders(t, s, "drop-1", 0, 3)
	var ev book.Event
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		op := written[1].Ops[0]
		op.State, op.Cell = book.Queued, "cell-1"
		if err := tx.UpdateOperation(&op); err != nil {
			return err
		}
		ev = book.Event{At: t0, Actor: "dispatcher", Kind: book.EventOperation, Cell: "cell-1",
			WorkOrder: op.WorkOrder, Operation: op.ID, From: book.Ready, To: book.Queued}
		return tx.AppendEvent(&ev)
	})
	if err := s.PutSession(ctx, "token-hash", "ada", "planner", t0.Add(time.Hour), 0, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.now = func() time.Time { return t0 }
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		orders, err := tx.Orders([]string{written[0].WO.OrderID, written[2].WO.OrderID})
		if err != nil {
			return err
		}
		if len(orders) != 2 {
			t.Errorf("Orders after reopen: %d, want 2", len(orders))
		}
		q, err := tx.Queue("cell-1", 0)
		if err != nil {
			return err
		}
		if len(q) != 1 || q[0].ID != written[1].Ops[0].ID || q[0].Version != 1 {
			t.Errorf("queue after reopen = %+v", q)
		}
		evs, err := tx.Events(book.EventFilter{Cell: "cell-1"})
		if err != nil {
			return err
		}
		if len(evs) != 1 || evs[0] != ev {
			t.Errorf("events after reopen = %+v, want %+v", evs, ev)
		}
		return nil
	})
	if person, _, _, err := s.Session(ctx, "token-hash"); err != nil || person != "ada" {
		t.Errorf("session after reopen: %q, %v", person, err)
	}
}
