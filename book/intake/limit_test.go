package intake

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// item is what a reader yields for one row: its line, and the reason when the row is bad (the
// first problem's).
type item struct {
	line   int
	reason string
}

func items(t *testing.T, r Reader) []item {
	t.Helper()
	var out []item
	for range maxCalls {
		row, err := r.Next()
		var errs RowErrors
		switch {
		case errors.Is(err, io.EOF):
			return out
		case errors.As(err, &errs):
			out = append(out, item{errs[0].Line, errs[0].Reason})
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, item{row.Line, ""})
		}
	}
	t.Fatal("no end")
	return nil
}

// TestLongRows checks that a row longer than MaxRowBytes is one bad row saying so, on the line
// where it starts, and that what follows it is read as before, on the right lines: CSV reading
// goes on after it, JSON reading stops there.
func TestLongRows(t *testing.T) {
	const header = "order_id,sku,quantity,notes\n"
	long := strings.Repeat("x", MaxRowBytes+1)
	manyLines := strings.Repeat("line\n", MaxRowBytes/5+1) // a quoted field of many short lines
	exact := "c,s,1,"
	exact += strings.Repeat(" ", MaxRowBytes-len(exact)-1) + "\n" // the limit, line break included
	const o = `{"order_id":"a","sku":"s","quantity":1}`
	tooLongJSON := "an object longer than 64 KiB, the most a row may take; reading stopped here"
	tests := []struct {
		name   string
		json   bool
		input  string
		header string // the problem of the header, if any
		want   []item
	}{
		{name: "csv: a long unquoted field", input: header + "a,s,1,\nb,s,1," + long + "\nc,s,1,\n",
			want: []item{{2, ""}, {3, tooLongReason}, {4, ""}}},
		{name: "csv: a long quoted field over many lines", input: header + "a,s,1,\nb,s,1,\"" + manyLines + "\"\nc,s,1,\n",
			want: []item{{2, ""}, {3, tooLongReason}, {3 + strings.Count(manyLines, "\n") + 1, ""}}},
		{name: "csv: doubled quotes and commas in the part left out", input: header + "b,s,1,\"" + long + `"",""` + "\n,\n\"\nc,s,1,\n",
			want: []item{{2, tooLongReason}, {5, ""}}},
		{name: "csv: a quote never closed takes the rest", input: header + "a,s,1,\nb,s,1,\"open\n" + strings.Repeat("c,s,1,\n", MaxRowBytes/7+1),
			want: []item{{2, ""}, {3, tooLongReason}}},
		{name: "csv: a long line after a bare quote", input: header + "b,s,1,say \"hi\"" + long + "\r\nc,s,1,\r\n",
			want: []item{{2, tooLongReason}, {3, ""}}},
		{name: "csv: a row of the longest length is read", input: header + exact + "d,s,1,\n",
			want: []item{{2, ""}, {3, ""}}},
		{name: "csv: one byte more is not", input: header + "c" + exact + "d,s,1,\n",
			want: []item{{2, tooLongReason}, {3, ""}}},
		{name: "csv: the last row, without a line break", input: header + "a,s,1,\nb,s,1,\"" + long,
			want: []item{{2, ""}, {3, tooLongReason}}},
		{name: "csv: a long header", input: "order_id,sku,quantity," + long + "\na,s,1\n", header: "header: " + tooLongReason},
		{name: "json: a long string", json: true, input: "[" + o + ",\n" + `{"order_id":"b","notes":"` + long + `"},` + "\n" + o + "]",
			want: []item{{1, ""}, {2, tooLongJSON}}},
		{name: "json: a long element of another kind", json: true, input: "[\n" + o + ",\n[" + strings.Repeat("1,", MaxRowBytes) + "1]]",
			want: []item{{2, ""}, {3, "an array longer than 64 KiB, the most a row may take; reading stopped here"}}},
		{name: "json: a long run of white space", json: true, input: "[" + o + ",\n" + strings.Repeat(" ", MaxRowBytes) + o + "]",
			want: []item{{1, ""}, {2, "more than 64 KiB of white space in a row; reading stopped here"}}},
		{name: "json: a long key in the batch object", json: true, input: "{\"orders\": [" + o + "],\n\"" + long + "\": 1}",
			want: []item{{1, ""}, {2, "a string longer than 64 KiB, the most a row may take; reading stopped here"}}},
		{name: "json: deep nesting in the batch object", json: true,
			input: "{\"orders\": [" + o + "],\n\"x\": " + strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1) + "}",
			want:  []item{{1, ""}, {2, "a JSON value is nested deeper than 10000 levels; reading stopped here"}}},
		{name: "json: nesting up to the bound is skipped", json: true,
			input: "{\"x\": " + strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting) + ",\n\"orders\": [" + o + "]}",
			want:  []item{{1, `unknown field "x" in the batch object; it may only have "orders"`}, {2, ""}}},
		{name: "json: a long batch of short rows", json: true, input: "[" + strings.Repeat(o+",\n", MaxRowBytes/len(o)+1) + o + "]",
			want: func() []item {
				var w []item
				for i := range MaxRowBytes/len(o) + 2 {
					w = append(w, item{i + 1, ""})
				}
				return w
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				r   Reader
				err error
			)
			if tt.json {
				r, err = NewJSON(strings.NewReader(tt.input))
			} else {
				r, err = NewCSV(strings.NewReader(tt.input))
			}
			if tt.header != "" {
				var errs RowErrors
				if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Line != 1 || errs[0].Reason != tt.header {
					t.Fatalf("opening: %v, want line 1: %s", err, tt.header)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := items(t, r)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %v, want %v", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestRecordLimiterReadSizes checks that the limiter passes the same bytes, and cuts the same
// records at the same offsets with the same line breaks left out, however small the reads on
// either side of it are.
func TestRecordLimiterReadSizes(t *testing.T) {
	input := "a,b\n\"x\"\"y\nz\",\"" + strings.Repeat("q", 20) + "\n" + strings.Repeat("q", 20) + "\"\nshort\n" +
		strings.Repeat("w", 50) + "\nend"
	read := func(t *testing.T, src io.Reader, size int) (string, []cut) {
		l := newRecordLimiter(src, 16)
		var out bytes.Buffer
		p := make([]byte, size)
		for {
			n, err := l.Read(p)
			out.Write(p[:n])
			if errors.Is(err, io.EOF) {
				return out.String(), l.cuts
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "a,b\n\"x\"\"y\nz\",\"" + strings.Repeat("q", 6) + "\"\n" + "short\n" + strings.Repeat("w", 16) + "\n" + "end"
	// the quoted record ends at 4+16+2, having left out the line break among its q's; the w's
	// at 22+6+17, having left out none
	wantCuts := []cut{{end: 22, dropped: 1}, {end: 45, dropped: 0}}
	for _, tc := range []struct {
		name string
		src  func() io.Reader
		size int
	}{
		{"large reads", func() io.Reader { return strings.NewReader(input) }, 4096},
		{"reads of 1 byte from a reader of one", func() io.Reader { return &oneByteReader{strings.NewReader(input)} }, 1},
		{"reads of 2 bytes from a reader of one", func() io.Reader { return &oneByteReader{strings.NewReader(input)} }, 2},
		{"reads of 3 bytes from a reader of one", func() io.Reader { return &oneByteReader{strings.NewReader(input)} }, 3},
		{"reads of 7 bytes from a reader of one", func() io.Reader { return &oneByteReader{strings.NewReader(input)} }, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, cuts := read(t, tc.src(), tc.size); got != want || !slices.Equal(cuts, wantCuts) {
				t.Errorf("passed %q with cuts %+v, want %q with %+v", got, cuts, want, wantCuts)
			}
		})
	}
}
