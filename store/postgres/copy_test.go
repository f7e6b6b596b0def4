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
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
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
// a certificate revision, a cell down, a cursor, a session and a failed sign-in, and what
// fillFloor adds: a row in every table.
func sqliteBook(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cellforge.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// the book's clock, moved by hand (book/booktest imports this package: its tests cannot use it)
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	catalogue, err := profiles.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	f, err := configs.Parse("factory.yaml", []byte(copyFactory), catalogue)
	if err != nil {
		t.Fatal(err)
	}
	b := book.New(book.Config{Store: st, Factory: f, Now: func() time.Time { return now }})
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
		now = now.Add(7*time.Minute + 123*time.Microsecond)
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
			Hash: strings.Repeat("0f", 32), IssuedAt: now}),
		func() error { _, err := b.CellDown(ctx, "pack-1", "belt torn", "person:ana"); return err }(),
		b.SetCursor(ctx, "telemetry", 42),
		st.PutSession(ctx, "token-hash", "ana", "operator", now.Add(8*time.Hour), time.Hour, now),
		st.AddSignInFailure(ctx, "ana", "10.0.0.7", now, now.Add(time.Hour)),
		func() error { _, err := b.Withdraw(ctx, "B", "moved to 'porto'", "hub"); return err }(),
	}
	if err := errors.Join(fill...); err != nil {
		t.Fatal(err)
	}
	fillFloor(t, st, ops[0], now)
	return path
}

// fillFloor writes through the store what the floor and the repair desk record around op: a
// stop, a check with its non-conformance, lots, readings, owed labels, a reported fault, an
// idempotency record, a fault's pause, a repair with its slip and a care plan's use.
func fillFloor(t *testing.T, st *sqlite.Store, op book.Operation, now time.Time) {
	t.Helper()
	end, half := now.Add(3*time.Minute), 0.5
	err := st.Write(context.Background(), func(tx book.Tx) error {
		stop := book.Stop{Cell: op.Cell, Kind: book.StopFault, Operation: op.ID, Detail: "jam", Start: now, End: &end,
			Reason: "belt", ReasonBy: "ana", ReasonAt: &end}
		check := book.CheckRecord{Operation: op.ID, WorkOrder: op.WorkOrder, Cell: op.Cell, SKU: "RUG", Units: 3, By: "ana", At: now,
			Outcomes: []book.CheckOutcome{{Name: "shade", Measure: true, Unit: "dE", Value: &half, Max: &half}}}
		seq, err := tx.NextRepairSeq()
		if err != nil {
			return err
		}
		if _, err := tx.NextLotSeq(); err != nil {
			return err
		}
		repair := book.Repair{ID: fmt.Sprintf("R-%d", seq), Seq: seq, Serial: "A-1", Kind: "rug", Customer: "Zoë",
			Checklist: map[string]string{"holes": "yes"}, Source: book.SourceCounter, State: book.RepairRequested, IntakeAt: now}
		holding := book.CarePlanHolding{Plan: "care", Serial: "A-1", Start: now, End: now.AddDate(1, 0, 0), Actor: "person:ana", AddedAt: now}
		return errors.Join(
			tx.InsertStop(&stop),
			tx.InsertCheck(&check),
			func() error {
				return tx.InsertNonConformance(&book.NonConformance{Check: check.ID, Operation: op.ID, WorkOrder: op.WorkOrder,
					Cell: op.Cell, SKU: "RUG", Failed: []string{"shade"}, State: book.NCOpen, OpenedAt: now, OpenedBy: "ana"})
			}(),
			tx.PutOperationLot(book.OperationLot{Operation: op.ID, Material: "wool", Lot: "W-7", Role: book.LotConsumed, RecordedAt: now, Actor: "ana"}),
			tx.PutReadings(op.ID, []book.ReadingSummary{{Quantity: "temperature", Unit: "°C", Samples: 12, Min: 59.5, Max: 61.25,
				Held: 60.125, HoldTime: time.Minute, HeldFrom: now, HoldSamples: 6, First: now, Last: end, Tolerance: 1.5}}),
			tx.OweLabels(book.LabelsOwed{Cell: op.Cell, Operation: op.ID, First: 1, Last: 3, At: now}),
			tx.OweLabels(book.LabelsOwed{Cell: op.Cell, Operation: op.ID, First: 2, Last: 2, Reprint: true, At: end}),
			tx.AddFaultPaused(op.Cell, op.ID),
			tx.PutCellReport(book.CellReport{Cell: "dye-1", Code: "E4", Reason: "pump", By: "ana", At: now}),
			tx.PutIdempotency(book.IdempotencyRecord{Principal: "ana", Key: "k1", RequestHash: "h", Status: 201, Response: []byte{0, 1, 0xfe}, CreatedAt: now}),
			tx.InsertRepair(repair, strings.Repeat("cd", 32)),
			tx.OweSlip(repair.ID, false, now),
			func() error {
				if err := tx.InsertCarePlanHolding(&holding); err != nil {
					return err
				}
				return tx.InsertCarePlanUses([]book.CarePlanUse{{Holding: holding.ID, Repair: repair.ID, Service: "wash", At: now}})
			}(),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
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
	// the newest owed label printed: SQLite's AUTOINCREMENT does not give its id again
	printed := errors.New("no owed label")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx book.Tx) error {
		for id := int64(10); id > 0; id-- {
			if ok, err := tx.DeleteOwedLabel(id); ok || err != nil {
				printed = err
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, printed, st.Close()); err != nil {
		t.Fatal(err)
	}
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
	for _, table := range tables {
		if rows[table.name] == 0 {
			t.Errorf("table %s: no rows copied: the test's book should have some in every table", table.name)
		}
	}
	for _, table := range []string{"events", "work_orders", "operations", "stops", "care_plan_holdings", "owed_labels"} {
		var largest, seq, next int64
		if err := src.QueryRow(`SELECT max(id) FROM ` + table).Scan(&largest); err != nil {
			t.Fatal(err)
		}
		// none for a table without AUTOINCREMENT
		if err := src.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
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

// bookRows counts the rows of orders and events in dst.
func bookRows(t *testing.T, dst *Store) int64 {
	t.Helper()
	var n int64
	if err := dst.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM events)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCopyFromChecksumFails changes the copy inside the copy's transaction, before the check:
// the check names the table, and nothing is committed.
func TestCopyFromChecksumFails(t *testing.T) {
	path := sqliteBook(t)
	tests := []struct {
		name   string
		change string
		want   string
	}{
		{"a text changed", `UPDATE notes SET text = text || '.'`, "table notes: the source has 1 rows"},
		{"a time a microsecond later", `UPDATE events SET at = at + 1 WHERE id = (SELECT max(id) FROM events)`, "table events:"},
		{"a blob's last byte", `UPDATE certificate_revisions SET form = substring(form from 1 for length(form) - 1) || '\x00'::bytea`, "table certificate_revisions:"},
		{"a NULL set", `UPDATE work_orders SET completed_at = NULL`, "table work_orders:"},
		{"a row gone", `DELETE FROM state_counts WHERE n = (SELECT min(n) FROM state_counts) AND entity = (SELECT min(entity) FROM state_counts)`, "the copy 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			src, dst := openSource(t, path), openTarget(t)
			_, err := dst.copyFrom(ctx, src, func(ctx context.Context, tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, tt.change)
				if err == nil && tag.RowsAffected() == 0 {
					err = errors.New("the change changed nothing")
				}
				return err
			})
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("copy: %v, want ErrMismatch naming %q", err, tt.want)
			}
			if n := bookRows(t, dst); n != 0 {
				t.Fatalf("a failed copy left %d rows", n)
			}
		})
	}
}

// TestCopyFromRefuses: a target that holds a book, or rows of any table, is refused naming
// the table; a source with a pending batch, a table the target lacks, or a value PostgreSQL
// would not hold the same is refused, and leaves the target empty, whichever table fails.
func TestCopyFromRefuses(t *testing.T) {
	tests := []struct {
		name   string
		source string // run on the SQLite book before the copy
		target string // run on the target before the copy
		want   string
		is     error
	}{
		{name: "a book", target: `INSERT INTO orders VALUES ('X', 'winter', 'RUG', 1, '', 0, 0, '', '', 0, '')`,
			want: "table orders has rows", is: ErrNotEmpty},
		{name: "a cursor", target: `INSERT INTO cursors (name, after) VALUES ('x', 1)`, want: "table cursors has rows", is: ErrNotEmpty},
		{name: "a pending batch", source: `INSERT INTO pending_batch VALUES (1, 'b', 1, 1, 1, 1, 1, 2)`,
			want: "pending_batch has a row: a batch import was interrupted"},
		{name: "a table more", source: `CREATE TABLE extra (id INTEGER PRIMARY KEY)`, want: "table extra has no place"},
		{name: "a column more", source: `ALTER TABLE notes ADD COLUMN extra TEXT`, want: "table notes: the source's columns"},
		{name: "text in an integer column", source: `UPDATE work_orders SET priority = 'high' WHERE id = (SELECT max(id) FROM work_orders)`,
			want: `copying table work_orders: row (id="2"): column priority: string value "high" in a integer column`},
		{name: "a NUL in text", source: `UPDATE units SET serial = serial || char(0) WHERE number = 2`,
			want: "copying table units: row (work_order=\"1\", number=\"2\"): column serial: text \"A-2\\x00\" holds a NUL byte at 3"},
		{name: "not UTF-8", source: `UPDATE sessions SET person = CAST(x'ff' AS TEXT)`, want: "copying table sessions: row (token_hash=\"token-hash\"): column person: text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := sqliteBook(t)
			if tt.source != "" {
				if _, err := rawSQLite(t, path).Exec(tt.source); err != nil {
					t.Fatal(err)
				}
			}
			dst := openTarget(t)
			if tt.target != "" {
				if _, err := dst.pool.Exec(ctx, tt.target); err != nil {
					t.Fatal(err)
				}
			}
			var src *sql.DB
			if tt.name == "a pending batch" {
				src = rawSQLite(t, path) // OpenSource would remove the batch, as the daemon does
			} else {
				src = openSource(t, path)
			}
			_, err := dst.CopyFrom(ctx, src)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("copy: %v, want an error with %q", err, tt.want)
			}
			var left int64
			if tt.target == "" {
				left = bookRows(t, dst)
			}
			if left != 0 {
				t.Fatalf("a failed copy left %d rows", left)
			}
		})
	}
}

// TestCopyFromCancelled: a copy whose context ends midway leaves the target empty.
func TestCopyFromCancelled(t *testing.T) {
	path := sqliteBook(t)
	src, dst := openSource(t, path), openTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := dst.copyFrom(ctx, src, func(context.Context, pgx.Tx) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("copy: %v, want context.Canceled", err)
	}
	if n := bookRows(t, dst); n != 0 {
		t.Fatalf("a cancelled copy left %d rows", n)
	}
	if _, err := dst.CopyFrom(context.Background(), src); err != nil {
		t.Fatalf("copying again after a cancelled copy: %v", err)
	}
	if n := bookRows(t, dst); n == 0 {
		t.Fatal("the copy after a cancelled one copied nothing")
	}
}

// TestEncodeValue: the canonical encoding tells apart values that print alike and rows whose
// values would run into each other.
func TestEncodeValue(t *testing.T) {
	enc := func(vals ...any) string {
		t.Helper()
		var b []byte
		for _, v := range vals {
			var err error
			if b, err = encodeValue(b, v); err != nil {
				t.Fatal(err)
			}
		}
		return string(b)
	}
	distinct := [][]any{{nil}, {int64(0)}, {""}, {[]byte{}}, {float64(0)}, {"a", "bc"}, {"ab", "c"}, {int64(1)}, {float64(1)}, {"1"}}
	seen := map[string]int{}
	for i, vals := range distinct {
		e := enc(vals...)
		if j, ok := seen[e]; ok {
			t.Errorf("%v and %v encode alike", distinct[j], vals)
		}
		seen[e] = i
	}
	if enc(int32(7)) != enc(int64(7)) {
		t.Error("an int32 and an int64 of one value encode differently")
	}
	if _, err := encodeValue(nil, time.Time{}); err == nil {
		t.Error("a time encoded: it has no canonical encoding here")
	}
}

// TestCopyFromReadsAsSQLite opens the copy as the daemon would and reads it through the book's
// store: orders, a unit by its serial, the events after 0, notes, photos, readings, a
// certificate's revisions, a cursor, a repair, stops, checks and lots answer as the SQLite
// store answers them.
func TestCopyFromReadsAsSQLite(t *testing.T) {
	ctx := context.Background()
	path := sqliteBook(t)
	url := pgtest.URL(t)
	dst, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dst.CopyFrom(ctx, openSource(t, path))
	dst.Close()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	lite, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	read := func(st book.Store) []any {
		var got []any
		err := st.Read(ctx, func(tx book.ReadTx) error {
			orders, err := tx.Orders([]string{"A", "B"})
			unit, uerr := tx.Unit("A-2")
			events, eerr := tx.Events(book.EventFilter{AfterID: 0, Limit: 1000})
			notes, nerr := tx.Notes(1)
			photos, perr := tx.Photos(1)
			readings, rerr := tx.Readings(1)
			revs, cerr := tx.CertificateRevisions("A-1")
			after, ok, kerr := tx.Cursor("telemetry")
			repair, perr2 := tx.Repair("R-1")
			stops, serr := tx.Stops(book.StopFilter{})
			checks, qerr := tx.Checks(1)
			lots, lerr := tx.OperationLots(1)
			got = []any{orders, unit, events, notes, photos, readings, revs, after, ok, repair, stops, checks, lots}
			return errors.Join(err, uerr, eerr, nerr, perr, rerr, cerr, kerr, perr2, serr, qerr, lerr)
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, got := read(lite), read(pg)
	names := []string{"orders", "unit", "events", "notes", "photos", "readings", "revisions", "cursor", "cursor found",
		"repair", "stops", "checks", "lots"}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s:\n got %+v\nwant %+v", names[i], got[i], want[i])
		}
	}
	if events := want[2].([]book.Event); len(events) < 10 {
		t.Errorf("SQLite answers %d events: the test's book should have more", len(events))
	}
	if len(want[3].([]book.Note)) == 0 || len(want[4].([]book.Photo)) == 0 || len(want[5].([]book.ReadingSummary)) == 0 ||
		len(want[6].([]book.CertificateRevision)) == 0 || want[1].(book.Unit).Serial != "A-2" || want[9].(book.Repair).ID != "R-1" ||
		len(want[10].([]book.Stop)) == 0 || len(want[11].([]book.CheckRecord)) == 0 || len(want[12].([]book.OperationLot)) == 0 {
		t.Errorf("SQLite answers nothing to compare: %+v", want)
	}
}
