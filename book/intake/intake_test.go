package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// batch is everything a reader yields.
type batch struct {
	rows  []Row
	errs  []RowError // the problems of bad rows, in order
	bad   int        // bad rows, each one RowErrors
	lines []int      // the line of each row and bad row, in the order read
	fatal error      // the error that ended the batch early, if any
}

// maxCalls stops a reader that never ends.
const maxCalls = 1_000_000

func readAll(t testing.TB, r Reader) batch {
	t.Helper()
	var b batch
	for range maxCalls {
		row, err := r.Next()
		var errs RowErrors
		switch {
		case err == nil:
			b.rows = append(b.rows, row)
			b.lines = append(b.lines, row.Line)
		case errors.Is(err, io.EOF):
			return b
		case errors.As(err, &errs):
			if row != (Row{}) {
				t.Errorf("bad row came with a non-zero Row %+v", row)
			}
			if len(errs) == 0 {
				t.Fatalf("empty RowErrors")
			}
			b.errs = append(b.errs, errs...)
			b.bad++
			b.lines = append(b.lines, errs[0].Line)
		default:
			b.fatal = err
			return b
		}
	}
	t.Fatalf("Next did not return io.EOF after %d calls", maxCalls)
	return b
}

func open(t *testing.T, file string) (Reader, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	switch filepath.Ext(file) {
	case ".csv":
		return New("text/csv; charset=utf-8", bytes.NewReader(data))
	case ".json":
		return New("application/json", bytes.NewReader(data))
	}
	t.Fatalf("%s: no reader for this extension", file)
	return nil, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// rowString shows every field of a row, the due time with its zone, for comparing rows.
func rowString(r Row) string {
	due := "-"
	if !r.Due.IsZero() {
		due = r.Due.Format(time.RFC3339Nano) + " " + r.Due.Location().String()
	}
	return fmt.Sprintf("line %d: order_id=%q sku=%q quantity=%d customer=%q priority=%d due=%s notes=%q",
		r.Line, r.OrderID, r.SKU, r.Quantity, r.Customer, r.Priority, due, r.Notes)
}

func checkRows(t *testing.T, got, want []Row) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing row %s", rowString(want[i]))
		case i >= len(want):
			t.Errorf("unexpected row %s", rowString(got[i]))
		case rowString(got[i]) != rowString(want[i]):
			t.Errorf("row %d:\n got %s\nwant %s", i, rowString(got[i]), rowString(want[i]))
		}
	}
}

func checkErrors(t *testing.T, got, want []RowError) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing error %+v", want[i])
		case i >= len(want):
			t.Errorf("unexpected error %+v", got[i])
		case got[i] != want[i]:
			t.Errorf("error %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestFiles reads every fixture in testdata and checks every row and every problem it yields.
func TestFiles(t *testing.T) {
	const (
		dueReason = " is not a date (YYYY-MM-DD) or an RFC 3339 time (2006-01-02T15:04:05Z07:00)"
		fieldList = "; the fields are order_id, sku, quantity, customer, priority, due, notes"
	)
	tests := []struct {
		name     string
		file     string
		wantOpen RowErrors // the constructor's error
		rows     []Row
		errs     []RowError
		bad      int // bad rows; 0 means len(errs)
	}{
		// CSV that is fine.
		{
			name: "all columns, trimmed values, both due forms",
			file: "good.csv",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3, Customer: "Ada Lovelace", Priority: 10, Due: date(2025, 6, 1)},
				{Line: 3, OrderID: "ord-2", SKU: "tee-white-s", Quantity: 1},
				{Line: 4, OrderID: "ord-3", SKU: "tote-natural", Quantity: 12, Customer: "Grace Hopper", Priority: -5,
					Due: time.Date(2025, 6, 2, 15, 30, 0, 0, time.UTC), Notes: "leave at the door"},
			},
		},
		{
			name: "header in any order and case, optional columns left out",
			file: "columns_any_order.csv",
			rows: []Row{{Line: 2, OrderID: "ord-9", SKU: "mug-blue", Quantity: 2, Notes: "rush"}},
		},
		{
			name: "byte order mark and CRLF",
			file: "bom_crlf.csv",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3},
				{Line: 3, OrderID: "ord-2", SKU: "tee-white-s", Quantity: 4},
			},
		},
		{
			name: "quoted commas, quotes and newlines keep the lines where records start",
			file: "quoted.csv",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 1, Customer: "Lovelace, Ada", Notes: `she said "hi"`},
				{Line: 3, OrderID: "ord-2", SKU: "tee-black-m", Quantity: 2, Customer: "Hopper", Notes: "line one\nline two\nline three"},
				{Line: 6, OrderID: "ord-3", SKU: "tee-black-m", Quantity: 3, Customer: "Babbage,\nCharles"},
				{Line: 8, OrderID: "ord-4", SKU: "tee-black-m", Quantity: 4},
			},
			errs: []RowError{{9, "quantity", `quantity "x" is not a positive integer`}},
		},
		{
			name: "blank lines are skipped but counted",
			file: "blank_lines.csv",
			rows: []Row{
				{Line: 4, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3},
				{Line: 7, OrderID: "ord-2", SKU: "tee-black-m", Quantity: 4},
			},
		},

		// CSV headers that are refused.
		{
			name:     "empty batch",
			file:     "empty.bad.csv",
			wantOpen: RowErrors{{1, "", "the batch is empty: a header row naming the columns is required"}},
		},
		{
			name:     "only a byte order mark and a line end",
			file:     "bom_only.bad.csv",
			wantOpen: RowErrors{{1, "", "the batch is empty: a header row naming the columns is required"}},
		},
		{
			name:     "missing required column",
			file:     "header_missing.bad.csv",
			wantOpen: RowErrors{{1, "quantity", `header: required column "quantity" is missing`}},
		},
		{
			name: "unknown column",
			file: "header_unknown.bad.csv",
			wantOpen: RowErrors{{1, "qty",
				`header: unknown column "qty"; the columns are order_id, sku, quantity, customer, priority, due, notes`}},
		},
		{
			name:     "duplicate column, whatever its case",
			file:     "header_duplicate.bad.csv",
			wantOpen: RowErrors{{1, "sku", `header: column "sku" appears twice`}},
		},
		{
			name:     "column without a name",
			file:     "header_empty_name.bad.csv",
			wantOpen: RowErrors{{1, "", "header: column 4 has no name"}},
		},

		// CSV rows that are refused.
		{
			name: "good, bad, good goes on past the bad row",
			file: "mixed.bad.csv",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3},
				{Line: 4, OrderID: "ord-3", SKU: "tee-black-m", Quantity: 5},
			},
			errs: []RowError{{3, "quantity", `quantity "-3" is not a positive integer`}},
		},
		{
			name: "quantity not a positive integer",
			file: "quantity.bad.csv",
			rows: []Row{{Line: 10, OrderID: "ord-9", SKU: "tee", Quantity: 1_000_000}},
			errs: []RowError{
				{2, "quantity", `quantity "0" is not a positive integer`},
				{3, "quantity", `quantity "-1" is not a positive integer`},
				{4, "quantity", `quantity "1.5" is not a positive integer`},
				{5, "quantity", `quantity "abc" is not a positive integer`},
				{6, "quantity", `quantity is missing`},
				{7, "quantity", `quantity "1000001" is more than 1000000`},
				{8, "quantity", `quantity "99999999999999999999999" is more than 1000000`},
				{9, "quantity", `quantity "+3" is not a positive integer`},
			},
		},
		{
			name: "order_id missing, blank, too long, with a control character",
			file: "order_id.bad.csv",
			rows: []Row{{Line: 6, OrderID: strings.Repeat("é", 64), SKU: "tee", Quantity: 1}},
			errs: []RowError{
				{2, "order_id", "order_id is missing"},
				{3, "order_id", "order_id is missing"},
				{4, "order_id", "order_id is 65 characters long, at most 64 are allowed"},
				{5, "order_id", `order_id "ord\x01x" contains a control character (U+0001)`},
			},
		},
		{
			name: "wrong number of fields",
			file: "fields.bad.csv",
			rows: []Row{{Line: 4, OrderID: "ord-3", SKU: "tee", Quantity: 3}},
			errs: []RowError{
				{2, "", "the row has 2 fields, the header has 3"},
				{3, "", "the row has 4 fields, the header has 3"},
			},
		},
		{
			name: "bad quotes are reported and reading goes on",
			file: "quote.bad.csv",
			rows: []Row{
				{Line: 3, OrderID: "ord-2", SKU: "tee", Quantity: 2, Notes: "fine"},
				{Line: 6, OrderID: "ord-4", SKU: "tee", Quantity: 4, Notes: "ok"},
			},
			errs: []RowError{
				{2, "", `CSV syntax error at line 2, byte 17: a " in an unquoted field; quote the whole field and double the " inside it`},
				{4, "", `CSV syntax error at line 5, byte 6: a quoted field has a stray " or no closing "`},
			},
		},
		{
			name: "a quote never closed takes the rest of the batch",
			file: "unterminated.bad.csv",
			rows: []Row{{Line: 2, OrderID: "ord-1", SKU: "tee", Quantity: 1, Notes: "ok"}},
			errs: []RowError{{3, "", `CSV syntax error at line 4, byte 23: a quoted field has a stray " or no closing "`}},
		},
		{
			name: "bad due",
			file: "due.bad.csv",
			rows: []Row{{Line: 6, OrderID: "ord-5", SKU: "tee", Quantity: 1, Due: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}},
			errs: []RowError{
				{2, "due", `due "2025-13-01"` + dueReason},
				{3, "due", `due "2025-02-30"` + dueReason},
				{4, "due", `due "01/06/2025"` + dueReason},
				{5, "due", `due "2025-06-01T10:00:00"` + dueReason},
			},
		},
		{
			name: "invalid UTF-8",
			file: "utf8.bad.csv",
			rows: []Row{{Line: 3, OrderID: "ord-2", SKU: "tee", Quantity: 1, Customer: "José"}},
			errs: []RowError{{2, "customer", "customer is not valid UTF-8"}},
		},
		{
			name: "notes too long",
			file: "notes.bad.csv",
			rows: []Row{{Line: 3, OrderID: "ord-2", SKU: "tee", Quantity: 1, Notes: strings.Repeat("n", 2000)}},
			errs: []RowError{{2, "notes", "notes is 2001 characters long, at most 2000 are allowed"}},
		},
		{
			name: "several problems in one row, each its own error",
			file: "several.bad.csv",
			errs: []RowError{
				{2, "order_id", "order_id is missing"},
				{2, "quantity", `quantity "abc" is not a positive integer`},
				{2, "priority", `priority "5000" is outside -1000..1000`},
				{2, "due", `due "tomorrow"` + dueReason},
			},
			bad: 1,
		},

		// JSON that is fine.
		{
			name: "array, quantity as a string, null, escapes, time zone",
			file: "array.json",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3, Customer: "Ada Lovelace", Priority: 10, Due: date(2025, 6, 1)},
				{Line: 3, OrderID: "ord-2", SKU: "tee-white-s", Quantity: 4},
				{Line: 4, OrderID: "ord-3", SKU: "tote-natural", Quantity: 12, Priority: -5,
					Due: time.Date(2025, 6, 2, 15, 30, 0, 0, time.UTC), Notes: "café \"au lait\"\nsecond line"},
			},
		},
		{
			name: "object with orders, on one line",
			file: "object.json",
			rows: []Row{
				{Line: 1, OrderID: "ord-1", SKU: "tee-black-m", Quantity: 3},
				{Line: 1, OrderID: "ord-2", SKU: "tee-white-s", Quantity: 1},
			},
		},
		{
			name: "lines of objects after blank lines, CRLF and a byte order mark",
			file: "lines.json",
			rows: []Row{
				{Line: 5, OrderID: "a", SKU: "s", Quantity: 1},
				{Line: 5, OrderID: "b", SKU: "s", Quantity: 2},
				{Line: 9, OrderID: "c", SKU: "s", Quantity: 3},
			},
		},
		{
			name: "empty array",
			file: "empty_array.json",
		},

		// JSON that is refused.
		{
			name:     "empty JSON batch",
			file:     "empty.bad.json",
			wantOpen: RowErrors{{1, "", `the batch is empty: a JSON array of orders or an object {"orders": [...]} is required`}},
		},
		{
			name:     "neither array nor object",
			file:     "scalar.bad.json",
			wantOpen: RowErrors{{2, "", `the batch must be a JSON array of orders or an object {"orders": [...]}, not a string`}},
		},
		{
			name: "good, bad, good in JSON",
			file: "mixed.bad.json",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee", Quantity: 1},
				{Line: 4, OrderID: "ord-3", SKU: "tee", Quantity: 3},
			},
			errs: []RowError{{3, "quantity", `quantity "0" is not a positive integer`}},
		},
		{
			name: "unknown and repeated fields",
			file: "fields.bad.json",
			errs: []RowError{
				{2, "colour", `unknown field "colour"` + fieldList},
				{2, "Quantity", `unknown field "Quantity"` + fieldList},
				{3, "sku", "sku appears twice in the object"},
			},
			bad: 2,
		},
		{
			name: "values of the wrong type, and elements that are not objects",
			file: "types.bad.json",
			errs: []RowError{
				{2, "order_id", "order_id must be a string, not a number"},
				{2, "sku", "sku must be a string, not an array"},
				{2, "quantity", "quantity must be a number or a string, not a boolean"},
				{2, "priority", "priority must be a number or a string, not an object"},
				{2, "due", "due must be a string, not a number"},
				{2, "notes", "notes must be a string, not a boolean"},
				{3, "quantity", `quantity "1.5" is not a positive integer`},
				{3, "priority", `priority "2.5" is not an integer`},
				{4, "quantity", `quantity "1e3" is not a positive integer`},
				{5, "quantity", `quantity "-2" is not a positive integer`},
				{6, "quantity", `quantity "abc" is not a positive integer`},
				{7, "quantity", "quantity is missing"},
				{8, "quantity", "quantity is missing"},
				{9, "", "an element of the orders array is a string, not an order object"},
				{10, "", "an element of the orders array is an array, not an order object"},
				{11, "", "an element of the orders array is null, not an order object"},
			},
			bad: 10,
		},
		{
			name: "invalid UTF-8 in JSON",
			file: "utf8.bad.json",
			errs: []RowError{{1, "customer", "customer is not valid UTF-8"}},
		},
		{
			name: "syntax error inside an object ends the batch at its line",
			file: "syntax.bad.json",
			rows: []Row{
				{Line: 2, OrderID: "ord-1", SKU: "tee", Quantity: 1},
				{Line: 3, OrderID: "ord-2", SKU: "tee", Quantity: 2},
			},
			errs: []RowError{{6, "", "JSON syntax error: invalid character ',' looking for beginning of object key string"}},
		},
		{
			name: "missing comma between objects",
			file: "comma.bad.json",
			rows: []Row{{Line: 2, OrderID: "ord-1", SKU: "tee", Quantity: 1}},
			errs: []RowError{{3, "", "JSON syntax error: expected comma after array element"}},
		},
		{
			name: "cut short",
			file: "truncated.bad.json",
			rows: []Row{{Line: 2, OrderID: "ord-1", SKU: "tee", Quantity: 1}},
			errs: []RowError{{3, "", "the JSON ends before the batch is complete"}},
		},
		{
			name: "a second value after the batch",
			file: "trailing.bad.json",
			rows: []Row{{Line: 1, OrderID: "ord-1", SKU: "tee", Quantity: 1}},
			errs: []RowError{{2, "", "found an array after the end of the batch; a batch is one array or one object"}},
		},
		{
			name: "unknown and repeated top-level fields",
			file: "toplevel.bad.json",
			rows: []Row{{Line: 3, OrderID: "ord-1", SKU: "tee", Quantity: 1}},
			errs: []RowError{
				{2, "drop", `unknown field "drop" in the batch object; it may only have "orders"`},
				{4, "orders", `"orders" appears twice in the batch object`},
			},
		},
		{
			name: "object without orders",
			file: "no_orders.bad.json",
			errs: []RowError{
				{2, "drop", `unknown field "drop" in the batch object; it may only have "orders"`},
				{3, "", `the batch object has no "orders" field`},
			},
		},
		{
			name: "orders not an array",
			file: "orders_not_array.bad.json",
			errs: []RowError{{1, "orders", `"orders" must be an array of order objects, not an object`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := open(t, tt.file)
			if tt.wantOpen != nil || err != nil {
				var errs RowErrors
				if !errors.As(err, &errs) {
					t.Fatalf("opening: got error %v, want RowErrors %v", err, tt.wantOpen)
				}
				checkErrors(t, errs, tt.wantOpen)
				return
			}
			b := readAll(t, r)
			if b.fatal != nil {
				t.Fatalf("fatal error %v", b.fatal)
			}
			checkRows(t, b.rows, tt.rows)
			checkErrors(t, b.errs, tt.errs)
			wantBad := tt.bad
			if wantBad == 0 {
				wantBad = len(tt.errs)
			}
			if b.bad != wantBad {
				t.Errorf("got %d bad rows, want %d", b.bad, wantBad)
			}
		})
	}
}

// TestValues checks the rules for each value, through CSV; JSON shares them.
func TestValues(t *testing.T) {
	tests := []struct {
		name   string
		header string
		row    string
		want   Row
		errs   []RowError
	}{
		{name: "priority at the limits", header: "order_id,sku,quantity,priority", row: "a,s,1,-1000",
			want: Row{OrderID: "a", SKU: "s", Quantity: 1, Priority: -1000}},
		{name: "priority with a plus sign", header: "order_id,sku,quantity,priority", row: "a,s,1,+1000",
			want: Row{OrderID: "a", SKU: "s", Quantity: 1, Priority: 1000}},
		{name: "priority out of range", header: "order_id,sku,quantity,priority", row: "a,s,1,-1001",
			errs: []RowError{{2, "priority", `priority "-1001" is outside -1000..1000`}}},
		{name: "priority overflowing", header: "order_id,sku,quantity,priority", row: "a,s,1,99999999999999999999",
			errs: []RowError{{2, "priority", `priority "99999999999999999999" is outside -1000..1000`}}},
		{name: "priority not a number", header: "order_id,sku,quantity,priority", row: "a,s,1,high",
			errs: []RowError{{2, "priority", `priority "high" is not an integer`}}},
		{name: "quantity with leading zeros", header: "order_id,sku,quantity", row: "a,s,007",
			want: Row{OrderID: "a", SKU: "s", Quantity: 7}},
		{name: "quantity with a space inside", header: "order_id,sku,quantity", row: "a,s,1 000",
			errs: []RowError{{2, "quantity", `quantity "1 000" is not a positive integer`}}},
		{name: "quantity long junk is cut in the reason", header: "order_id,sku,quantity", row: "a,s," + strings.Repeat("x", 100),
			errs: []RowError{{2, "quantity", `quantity "` + strings.Repeat("x", 40) + `"... is not a positive integer`}}},
		{name: "sku missing", header: "order_id,sku,quantity", row: "a,,1",
			errs: []RowError{{2, "sku", "sku is missing"}}},
		{name: "sku too long", header: "order_id,sku,quantity", row: "a," + strings.Repeat("s", 65) + ",1",
			errs: []RowError{{2, "sku", "sku is 65 characters long, at most 64 are allowed"}}},
		{name: "sku with a tab", header: "order_id,sku,quantity", row: "a,\"t\tee\",1",
			errs: []RowError{{2, "sku", `sku "t\tee" contains a control character (U+0009)`}}},
		// An order is fetched at /api/v1/orders/<id>: "." and ".." are path segments that
		// browsers and curl resolve away, so no URL names them; any other id is escaped.
		{name: "order_id a dot", header: "order_id,sku,quantity", row: ".,s,1",
			errs: []RowError{{2, "order_id", `order_id "." cannot be an id: it is a path segment that no URL can name; use letters or digits`}}},
		{name: "order_id two dots, padded", header: "order_id,sku,quantity", row: " .. ,s,1",
			errs: []RowError{{2, "order_id", `order_id ".." cannot be an id: it is a path segment that no URL can name; use letters or digits`}}},
		{name: "order_id three dots", header: "order_id,sku,quantity", row: "...,s,1",
			want: Row{OrderID: "...", SKU: "s", Quantity: 1}},
		{name: "order_id with a slash and dots", header: "order_id,sku,quantity", row: "SL/../ASH-1,s,1",
			want: Row{OrderID: "SL/../ASH-1", SKU: "s", Quantity: 1}},
		{name: "order_id with a quote, a percent sign, a question mark and a hash", header: "order_id,sku,quantity", row: "O'B 50%?#1,s,1",
			want: Row{OrderID: "O'B 50%?#1", SKU: "s", Quantity: 1}},
		{name: "customer at its limit", header: "order_id,sku,quantity,customer", row: "a,s,1," + strings.Repeat("c", 200),
			want: Row{OrderID: "a", SKU: "s", Quantity: 1, Customer: strings.Repeat("c", 200)}},
		{name: "customer too long", header: "order_id,sku,quantity,customer", row: "a,s,1," + strings.Repeat("c", 201),
			errs: []RowError{{2, "customer", "customer is 201 characters long, at most 200 are allowed"}}},
		{name: "notes counted in characters, not bytes", header: "order_id,sku,quantity,notes", row: "a,s,1," + strings.Repeat("ü", 2000),
			want: Row{OrderID: "a", SKU: "s", Quantity: 1, Notes: strings.Repeat("ü", 2000)}},
		{name: "due with fractional seconds", header: "order_id,sku,quantity,due", row: "a,s,1,2025-06-01T10:00:00.5-01:00",
			want: Row{OrderID: "a", SKU: "s", Quantity: 1, Due: time.Date(2025, 6, 1, 11, 0, 0, 5e8, time.UTC)}},
		{name: "quoted spaces are trimmed too", header: "order_id,sku,quantity", row: `" a "," s "," 2 "`,
			want: Row{OrderID: "a", SKU: "s", Quantity: 2}},
		{name: "every field empty", header: "order_id,sku,quantity,customer,priority,due,notes", row: ",,,,,,",
			errs: []RowError{{2, "order_id", "order_id is missing"}, {2, "sku", "sku is missing"}, {2, "quantity", "quantity is missing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(strings.NewReader(tt.header + "\n" + tt.row + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, r)
			var want []Row
			if tt.errs == nil {
				tt.want.Line = 2
				want = []Row{tt.want}
			}
			checkRows(t, b.rows, want)
			checkErrors(t, b.errs, tt.errs)
		})
	}
}

func TestRowErrors(t *testing.T) {
	var err error = RowErrors{
		{Line: 7, Column: "quantity", Reason: `quantity "x" is not a positive integer`},
		{Line: 7, Column: "due", Reason: `due "soon" is not a date`},
	}
	if got, want := err.Error(), `line 7: quantity "x" is not a positive integer; line 7: due "soon" is not a date`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("reading batch: %w", err)
	var errs RowErrors
	if !errors.As(wrapped, &errs) || len(errs) != 2 {
		t.Errorf("errors.As(RowErrors) = %v", errs)
	}
	var one *RowError
	if !errors.As(wrapped, &one) || one.Column != "quantity" {
		t.Errorf("errors.As(*RowError) = %v", one)
	}
	// The API sends row errors as JSON.
	got, err := json.Marshal(RowErrors{{Line: 1, Reason: "the batch is empty"}, {Line: 3, Column: "sku", Reason: "sku is missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"line":1,"reason":"the batch is empty"},{"line":3,"column":"sku","reason":"sku is missing"}]`; string(got) != want {
		t.Errorf("JSON %s, want %s", got, want)
	}
}

func TestNew(t *testing.T) {
	const csvBatch, jsonBatch = "order_id,sku,quantity\na,s,1\n", `[{"order_id":"a","sku":"s","quantity":1}]`
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     string // "" for a reader that reads one row
	}{
		{name: "csv", contentType: "text/csv", body: csvBatch},
		{name: "csv with charset", contentType: "text/csv; charset=UTF-8", body: csvBatch},
		{name: "application/csv", contentType: "Application/CSV", body: csvBatch},
		{name: "json", contentType: "application/json", body: jsonBatch},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: jsonBatch},
		{name: "no type", contentType: "", wantErr: "unsupported media type: no content type; send text/csv or application/json"},
		{name: "other type", contentType: "text/plain", wantErr: `unsupported media type: "text/plain"; send text/csv or application/json`},
		{name: "spreadsheet", contentType: "application/vnd.ms-excel", wantErr: `unsupported media type: "application/vnd.ms-excel"; send text/csv or application/json`},
		{name: "other charset", contentType: "text/csv; charset=latin1", wantErr: `unsupported media type: charset "latin1"; batches must be UTF-8`},
		{name: "malformed type", contentType: "text/", wantErr: `unsupported media type: content type "text/": mime: expected token after slash; send text/csv or application/json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.contentType, strings.NewReader(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUnsupportedMediaType) || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q wrapping ErrUnsupportedMediaType", err, tt.wantErr)
				}
				if r != nil {
					t.Errorf("got a reader with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := readAll(t, r); len(b.rows) != 1 || len(b.errs) != 0 || b.fatal != nil {
				t.Errorf("got %+v, want one row", b)
			}
		})
	}
	// A bad header through New is the RowErrors, not a reader holding a nil pointer.
	r, err := New("text/csv", strings.NewReader("order_id\n"))
	var errs RowErrors
	if r != nil || !errors.As(err, &errs) {
		t.Errorf("bad header: got %v, %v", r, err)
	}
}

var errBoom = errors.New("connection reset")

// failingReader returns its data and then fails.
type failingReader struct{ data io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errBoom
	}
	return n, err
}

// TestReadError checks that a failing input ends the batch with its error, after the rows read
// before it, and that the error sticks.
func TestReadError(t *testing.T) {
	tests := []struct {
		name  string
		open  func(io.Reader) (Reader, error)
		input string
		rows  int
	}{
		{name: "csv", open: func(r io.Reader) (Reader, error) { return NewCSV(r) },
			input: "order_id,sku,quantity\na,s,1\nb,s,-2\nc,s,3\n", rows: 2},
		{name: "csv inside a quoted field", open: func(r io.Reader) (Reader, error) { return NewCSV(r) },
			input: "order_id,sku,quantity,notes\na,s,1,\"open", rows: 0},
		{name: "json", open: func(r io.Reader) (Reader, error) { return NewJSON(r) },
			input: `[{"order_id":"a","sku":"s","quantity":1},{"order_id":"b","sku":"s","quantity":2}`, rows: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, so that the failure comes after the rows.
			r, err := tt.open(&failingReader{data: &oneByteReader{strings.NewReader(tt.input)}})
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, r)
			if !errors.Is(b.fatal, errBoom) {
				t.Fatalf("got fatal error %v, want %v", b.fatal, errBoom)
			}
			var errs RowErrors
			if errors.As(b.fatal, &errs) {
				t.Errorf("read error %v is also a RowErrors", b.fatal)
			}
			if len(b.rows) != tt.rows {
				t.Errorf("got %d rows before the error, want %d", len(b.rows), tt.rows)
			}
			if _, err := r.Next(); !errors.Is(err, errBoom) {
				t.Errorf("Next after the error returned %v", err)
			}
		})
	}
	t.Run("before the header", func(t *testing.T) {
		for _, open := range []func(io.Reader) (Reader, error){
			func(r io.Reader) (Reader, error) { return NewCSV(r) },
			func(r io.Reader) (Reader, error) { return NewJSON(r) },
		} {
			_, err := open(&failingReader{data: strings.NewReader("")})
			var errs RowErrors
			if !errors.Is(err, errBoom) || errors.As(err, &errs) {
				t.Errorf("got %v, want %v", err, errBoom)
			}
		}
	})
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestStreaming checks that a reader yields its first row having read only the start of a big
// batch, and its lines stay right across many buffer refills.
func TestStreaming(t *testing.T) {
	const rows = 200_000
	tests := []struct {
		name  string
		input []byte
		open  func(io.Reader) (Reader, error)
	}{
		{name: "csv", input: genCSV(rows), open: func(r io.Reader) (Reader, error) { return NewCSV(r) }},
		{name: "json", input: genJSON(rows), open: func(r io.Reader) (Reader, error) { return NewJSON(r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(tt.input)}
			r, err := tt.open(cr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
			if cr.n > 1<<20 {
				t.Errorf("read %d of %d bytes for the first row", cr.n, len(tt.input))
			}
			for i := 1; i < rows; i++ {
				row, err := r.Next()
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				// Both generators put row i on line i+2.
				if row.Line != i+2 || row.OrderID != fmt.Sprintf("ord-%07d", i) {
					t.Fatalf("row %d: got line %d, order %s", i, row.Line, row.OrderID)
				}
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last row: %v", err)
			}
		})
	}
}
