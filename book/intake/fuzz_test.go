package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzCSV checks that any input yields well-formed rows and located problems, in input order,
// at most one a line, and ends.
//
// Run the fuzzers with -fuzzminimizetime=100x (or a -fuzztime above a minute): minimizing a
// failing input takes up to a minute by default, and a failure still being minimized when
// -fuzztime runs out is dropped and the run passes. That hid the 1E700 seed of FuzzJSON.
func FuzzCSV(f *testing.F) {
	addSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		bound := bytes.Count(data, []byte("\n")) + 1
		r, err := NewCSV(bytes.NewReader(data))
		checkBatch(t, r, err, bound, bound, true)
	})
}

// FuzzJSON is FuzzCSV for JSON. A JSON batch can hold many rows on one line, so what bounds the
// number of rows and bad rows is the commas: n array elements need n-1 of them. Top-level keys,
// a missing "orders" and a final syntax error add at most three more.
func FuzzJSON(f *testing.F) {
	addSeeds(f, "*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		bound := bytes.Count(data, []byte(",")) + 4
		r, err := NewJSON(bytes.NewReader(data))
		checkBatch(t, r, err, bound, lines, false)
	})
}

// FuzzCSVLocation is FuzzCSV for a hub's batch, read WithLocation.
func FuzzCSVLocation(f *testing.F) {
	addSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		bound := bytes.Count(data, []byte("\n")) + 1
		r, err := NewCSV(bytes.NewReader(data), WithLocation())
		checkBatch(t, r, err, bound, bound, true)
	})
}

// FuzzJSONLocation is FuzzJSON for a hub's batch, read WithLocation.
func FuzzJSONLocation(f *testing.F) {
	addSeeds(f, "*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		bound := bytes.Count(data, []byte(",")) + 4
		r, err := NewJSON(bytes.NewReader(data), WithLocation())
		checkBatch(t, r, err, bound, lines, false)
	})
}

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkBatch reads a whole batch, opened with error err, and checks it: at most bound rows
// and bad rows, each problem on a line in 1..lines, lines never going back (and always going
// forward if strict), and every row within the rules.
func checkBatch(t *testing.T, r Reader, err error, bound, lines int, strict bool) {
	if err != nil {
		var errs RowErrors
		if !errors.As(err, &errs) {
			t.Fatalf("opening: %v is not a RowErrors", err)
		}
		checkProblems(t, errs, lines)
		return
	}
	prev, n := 0, 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		n++
		if n > bound {
			t.Fatalf("more than %d rows and bad rows", bound)
		}
		line := row.Line
		var errs RowErrors
		switch {
		case errors.As(err, &errs):
			checkProblems(t, errs, lines)
			line = errs[0].Line
		case err != nil:
			t.Fatalf("row %d: unexpected error %v", n, err)
		default:
			if problems := breaksRules(row); problems != "" {
				t.Fatalf("row %+v breaks the rules: %s", row, problems)
			}
		}
		if line < prev || strict && line == prev {
			t.Fatalf("line %d after line %d", line, prev)
		}
		prev = line
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after io.EOF returned %v", err)
	}
}

func checkProblems(t *testing.T, errs RowErrors, lines int) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatal("empty RowErrors")
	}
	for _, e := range errs {
		if e.Line < 1 || e.Line > lines || e.Line != errs[0].Line || e.Reason == "" {
			t.Fatalf("bad problem %+v (the input has %d lines)", e, lines)
		}
	}
}

// breaksRules restates the rules of a good row independently of the code that enforces them.
func breaksRules(r Row) string {
	var p []string
	text := func(name, v string, required bool, maxLen int) {
		switch {
		case required && v == "":
			p = append(p, name+" empty")
		case !utf8.ValidString(v):
			p = append(p, name+" not UTF-8")
		case utf8.RuneCountInString(v) > maxLen:
			p = append(p, name+" too long")
		case strings.TrimSpace(v) != v:
			p = append(p, name+" not trimmed")
		}
	}
	text("order_id", r.OrderID, true, 64)
	text("sku", r.SKU, true, 64)
	text("customer", r.Customer, false, 200)
	text("notes", r.Notes, false, 2000)
	if strings.ContainsFunc(r.OrderID, unicode.IsControl) || strings.ContainsFunc(r.SKU, unicode.IsControl) {
		p = append(p, "control character in an id")
	}
	if r.OrderID == "." || r.OrderID == ".." || r.SKU == "." || r.SKU == ".." {
		p = append(p, "a dot segment as an id")
	}
	if r.Line < 1 {
		p = append(p, "line below 1")
	}
	if r.Quantity < 1 || r.Quantity > 1_000_000 {
		p = append(p, "quantity out of range")
	}
	if r.Priority < -1000 || r.Priority > 1000 {
		p = append(p, "priority out of range")
	}
	switch {
	case !r.HasLocation && (r.Lat != 0 || r.Lon != 0):
		p = append(p, "a location without HasLocation")
	case r.HasLocation && !(r.Lat >= -90 && r.Lat <= 90 && r.Lon >= -180 && r.Lon <= 180):
		p = append(p, "location out of range")
	}
	if !r.Due.IsZero() && r.Due.Location() != time.UTC {
		p = append(p, "due not in UTC")
	}
	return strings.Join(p, ", ")
}

// FuzzCSVRowLimit checks the cutting of long records against encoding/csv's own reading: with
// records of at most max bytes, a batch yields what it yields without a limit, in the same
// order and on the same lines, except that a record longer than max is one bad row saying so,
// on the line where the record starts.
func FuzzCSVRowLimit(f *testing.F) {
	addSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		maxRow := 4
		if len(data) > 0 {
			maxRow += int(data[len(data)-1] % 64)
		}
		whole, werr := newCSV(bytes.NewReader(data), 1<<30)
		cut, cerr := newCSV(bytes.NewReader(data), maxRow)
		if cerr != nil {
			var errs RowErrors
			if errors.As(cerr, &errs) && strings.Contains(errs[0].Reason, tooLongReason) {
				return // the header was cut: what follows it is not read
			}
			if werr == nil || werr.Error() != cerr.Error() {
				t.Fatalf("opening: %v, without a limit %v", cerr, werr)
			}
			return
		}
		if werr != nil {
			t.Fatalf("opening: no error, without a limit %v", werr)
		}
		for i := 0; ; i++ {
			wrow, werr := whole.Next()
			crow, cerr := cut.Next()
			if errors.Is(werr, io.EOF) || errors.Is(cerr, io.EOF) {
				if !errors.Is(werr, io.EOF) || !errors.Is(cerr, io.EOF) {
					t.Fatalf("item %d: %v %v, without a limit %v %v", i, crow, cerr, wrow, werr)
				}
				return
			}
			var cerrs, werrs RowErrors
			if errors.As(cerr, &cerrs) && cerrs[0].Reason == tooLongReason {
				line := wrow.Line
				if errors.As(werr, &werrs) {
					line = werrs[0].Line
				}
				if cerrs[0].Line != line {
					t.Fatalf("item %d: cut at line %d, without a limit on line %d (%v %v)", i, cerrs[0].Line, line, wrow, werr)
				}
				continue
			}
			if rowString(crow) != rowString(wrow) || fmt.Sprint(cerr) != fmt.Sprint(werr) {
				t.Fatalf("item %d: %s %v\nwithout a limit %s %v", i, rowString(crow), cerr, rowString(wrow), werr)
			}
		}
	})
}
