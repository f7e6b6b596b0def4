package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/sqlite"
)

const copyFactory = `site: north-loft
name: North Loft Weavers
cells:
  - id: dye-1
    capabilities: [dye]
  - id: pack-1
    capabilities: [pack]
products:
  - sku: RUG
    name: Kilim rug
    routing:
      - capability: dye
        unit_time: 10m
      - capability: pack
        unit_time: 5m
drops:
  - id: winter
    date: 2027-01-10
    windows: {RUG: 10}
people:
  - id: ana
    name: Ana Lopes
    role: operator
    pin: "1234"
`

// sqliteBook makes a SQLite book through the book and its store, closes it and returns its
// file: orders A (three rugs, one scrapped at packing) and B, with a note, a photo's record,
// a certificate revision, a cell down, a cursor, a session and a failed sign-in.
func sqliteBook(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cellforge.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := booktest.NewClock(booktest.Start)
	b := book.New(book.Config{Store: st, Factory: booktest.Parse(t, "factory.yaml", []byte(copyFactory)), Now: clock.Now})
	rows, err := intake.NewCSV(strings.NewReader("order_id,sku,quantity,customer\nA,RUG,3,Zoë Quist\nB,RUG,1,Zoë Quist\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, book.ImportRequest{Drop: "winter", Rows: rows, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	_, wo, err := b.Order(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	ops, two := d.Operations, 2
	for _, tr := range []book.TransitionRequest{
		{Operation: ops[0].ID, Action: book.ActionStart}, {Operation: ops[0].ID, Action: book.ActionComplete},
		{Operation: ops[1].ID, Action: book.ActionStart}, {Operation: ops[1].ID, Action: book.ActionComplete, Good: &two, Reason: "stain"},
	} {
		clock.Advance(7*time.Minute + 123*time.Microsecond)
		tr.Actor = "person:ana"
		if _, err := b.Transition(ctx, tr); err != nil {
			t.Fatalf("%s operation %d: %v", tr.Action, tr.Operation, err)
		}
	}
	fill := []error{
		func() error {
			_, _, err := b.AddNote(ctx, book.NoteRequest{Operation: ops[0].ID, Unit: 1, Text: "bath 7, 'ünïcode' \"quoted\"", Private: true, Actor: "person:ana"})
			return err
		}(),
		func() error {
			_, _, err := b.AddPhoto(ctx, book.PhotoRequest{Operation: ops[0].ID, Hash: strings.Repeat("ab", 32), MediaType: "image/jpeg",
				Width: 640, Height: 480, Caption: "the bath", Actor: "person:ana"})
			return err
		}(),
		b.AppendCertificateRevision(ctx, book.CertificateRevision{Serial: "A-1", Number: 1, Form: []byte("{\"revision\":{}}\x00\xff"),
			Hash: strings.Repeat("0f", 32), IssuedAt: clock.Now()}),
		func() error { _, err := b.CellDown(ctx, "pack-1", "belt torn", "person:ana"); return err }(),
		b.SetCursor(ctx, "telemetry", 42),
		st.PutSession(ctx, "token-hash", "ana", "operator", clock.Now().Add(8*time.Hour), time.Hour, clock.Now()),
		st.AddSignInFailure(ctx, "ana", "10.0.0.7", clock.Now(), clock.Now().Add(time.Hour)),
	}
	if err := errors.Join(fill...); err != nil {
		t.Fatal(err)
	}
	return path
}

// openSource opens the SQLite book at path as a source; t's cleanup closes it.
func openSource(t *testing.T, path string) *sql.DB {
	t.Helper()
	src, err := sqlite.OpenSource(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src.DB()
}

// openTarget opens a fresh PostgreSQL database; t's cleanup closes it.
func openTarget(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// rawSQLite opens the SQLite file at path directly, to change it behind the store's back.
func rawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCopyFromCopiesEveryTable copies a book and compares every table, row by row, value by
// value, with its source, independently of the checksums; the identity sequences go on from
// the source's ids.
func TestCopyFromCopiesEveryTable(t *testing.T) {
	ctx := context.Background()
	path := sqliteBook(t)
	src, dst := openSource(t, path), openTarget(t)
	copies, err := dst.CopyFrom(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	var tables []copyTable
	err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) (err error) { tables, err = targetTables(ctx, tx); return err })
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != len(tables) {
		t.Fatalf("copied %d tables, the schema has %d", len(copies), len(tables))
	}
	rows := map[string]int64{}
	for i, c := range copies {
		t.Logf("%-22s %4d %s", c.Table, c.Rows, c.Checksum)
		rows[c.Table] = c.Rows
		if c.Table != tables[i].name || len(c.Checksum) != 64 {
			t.Errorf("copy %d: %+v, want table %s with a SHA-256", i, c, tables[i].name)
		}
		compareTable(t, src, dst, tables[i])
	}
	for _, name := range []string{"orders", "work_orders", "operations", "events", "units", "notes", "photos", "certificate_revisions",
		"cells_down", "cursors", "sessions", "signin_failures", "state_counts", "drop_units"} {
		if rows[name] == 0 {
			t.Errorf("table %s: no rows copied: the test's book should have some", name)
		}
	}
	for _, table := range []string{"events", "work_orders", "operations"} {
		var largest, seq, next int64
		src.QueryRow(`SELECT max(id) FROM `+table).Scan(&largest)
		src.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq)
		if err := dst.pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id'))`, table).Scan(&next); err != nil {
			t.Fatal(err)
		}
		if want := max(largest, seq) + 1; next != want {
			t.Errorf("%s: the next id is %d, want %d", table, next, want)
		}
	}
}

// compareTable fails t unless table reads the same from src and dst, row by row in key order.
func compareTable(t *testing.T, src *sql.DB, dst *Store, table copyTable) {
	t.Helper()
	cols := strings.Join(table.names(), ", ")
	if table.name == "care_plan_holdings" {
		cols = strings.ReplaceAll(cols, "end", `"end"`)
	}
	key := strings.Join(table.key, ", ")
	srows, err := src.Query("SELECT " + cols + " FROM " + table.name + " ORDER BY " + key)
	if err != nil {
		t.Fatal(err)
	}
	defer srows.Close()
	var want [][]string
	for srows.Next() {
		vals := make([]any, len(table.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := srows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		want = append(want, show(vals))
	}
	prows, err := dst.pool.Query(context.Background(), "SELECT "+cols+" FROM "+table.name+" ORDER BY "+key)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for prows.Next() {
		vals, err := prows.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, show(vals))
	}
	if err := prows.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table %s differs:\n got %q\nwant %q", table.name, got, want)
	}
}

// show prints values the same whichever driver read them.
func show(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = fmt.Sprintf("%x", b)
		}
		out[i] = fmt.Sprint(v)
	}
	return out
}
