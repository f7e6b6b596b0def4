package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book/intake"
)

// TestShapes checks that every shape fills its size without passing it, and that the shapes
// meant to be read row by row are what they say to intake.
func TestShapes(t *testing.T) {
	const size = 200_000
	for _, name := range shapeNames() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			g := &gen{w: w, left: size, skus: []string{"T", "U"}, stored: 10}
			if err := shapes[name].write(g); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if int64(buf.Len()) != g.written || g.written > size || g.written < size-64 {
				t.Fatalf("wrote %d bytes (counted %d), want a little under %d", buf.Len(), g.written, size)
			}
			var r intake.Reader
			var err error
			if shapes[name].json {
				r, err = intake.NewJSON(&buf)
			} else {
				r, err = intake.NewCSV(&buf)
			}
			if name == "csv-long-header" {
				var errs intake.RowErrors
				if !errors.As(err, &errs) {
					t.Fatalf("opening: %v, want the header refused", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			good, bad := 0, 0
			for {
				_, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var errs intake.RowErrors
				switch {
				case errors.As(err, &errs):
					bad++
				case err != nil:
					t.Fatal(err)
				default:
					good++
				}
			}
			switch name {
			case "csv-good-but-last", "json-good-but-last", "csv-stored-conflicts":
				if bad != 1 || good != g.rows-1 {
					t.Errorf("%d good rows and %d bad of %d, want all good but the last", good, bad, g.rows)
				}
			case "csv-empty-rows", "json-empty-objects":
				if good != 0 || bad != g.rows {
					t.Errorf("%d good rows and %d bad of %d, want all bad", good, bad, g.rows)
				}
			case "csv-unknown-sku", "csv-over-window", "csv-good", "csv-studio":
				if good != g.rows {
					t.Errorf("%d good rows of %d: the checks against the factory and the book are to refuse them", good, g.rows)
				}
			default:
				if bad == 0 {
					t.Errorf("%d good rows and none bad", good)
				}
			}
		})
	}
}

func TestIDsAreDistinctAndShortestFirst(t *testing.T) {
	var g idGen
	seen := map[string]bool{}
	for i := range 62*62 + 62 + 1 {
		id := g.next()
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id] = true
		want := 1
		if i >= 62 {
			want = 2
		}
		if i >= 62*62+62 {
			want = 3
		}
		if len(id) != want || strings.Trim(id, idDigits) != "" {
			t.Fatalf("id %d is %q", i, id)
		}
	}
}

// TestReadWebAnswer checks what is read of the check page's answers.
func TestReadWebAnswer(t *testing.T) {
	tests := []struct {
		name, page string
		want       result
	}{
		{name: "refused", page: `<div class="banner bad" role="alert"><p id="batch-summary" data-problems="250" data-bad-rows="249">b.csv: 250 problems in 249 rows; the first 100 are listed.</p></div>` +
			strings.Repeat(`<tr><td class="line num">2</td></tr>`, 3),
			want: result{Listed: 3, Problems: 250, BadRows: 249, Message: "b.csv: 250 problems in 249 rows; the first 100 are listed."}},
		{name: "good", page: "<div id=\"batch-ok\" class=\"banner good\" role=\"status\">\n  <p>b.csv: 2 orders, 5 units, all good.</p>\n  <p id=\"promise\" data-on-time=\"true\">The drop still ships on <time>Sun 10 Jan</time>.</p>",
			want: result{Problems: -1, BadRows: -1, Message: "b.csv: 2 orders, 5 units, all good. The drop still ships on Sun 10 Jan."}},
		{name: "good, its figures in a paragraph of their own", page: "<div id=\"batch-ok\" class=\"banner warn\" role=\"status\" data-verdict=\"orders-late\">\n  <p id=\"batch-figures\">b.csv: 2 orders, 5 units, no problem in the file.</p>\n  <p id=\"promise\" data-on-time=\"true\">The drop still ships on Sun 10 Jan: the plan finishes it Fri 8 Jan 10:00. <strong>But 1 order would finish after its own due date</strong> (of this batch):</p>",
			want: result{Problems: -1, BadRows: -1, Message: "b.csv: 2 orders, 5 units, no problem in the file. The drop still ships on Sun 10 Jan: the plan finishes it Fri 8 Jan 10:00. But 1 order would finish after its own due date (of this batch):"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := result{Problems: -1, BadRows: -1}
			readWebAnswer([]byte(tt.page), &got)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRunReadsWhatWasSentOnceTheWriterIsDone: a daemon that answers before it has read the
// whole batch (a refusal at the first bad row, say) leaves the batch's writer to end on its own;
// what it wrote is read once it has ended (go test -race finds the reads that do not wait).
func TestRunReadsWhatWasSentOnceTheWriterIsDone(t *testing.T) {
	const size = 8 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 4096)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"error":{"message":"refused at the first row","rows":[{}],"problems":1,"bad_rows":1}}`)
	}))
	defer srv.Close()
	b := &bench{base: srv.URL, drop: "d", token: "t", skus: []string{"A"}, pid: os.Getpid(), client: &http.Client{}}
	for range 3 {
		res, err := b.run(context.Background(), "csv-empty-rows", shapes["csv-empty-rows"], size, 0, "api", "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusUnprocessableEntity || res.Problems != 1 {
			t.Fatalf("read %+v of the answer", res)
		}
		if res.Bytes <= 0 || res.Bytes > size || res.Rows <= 0 {
			t.Errorf("%d bytes and %d rows sent of at most %d bytes", res.Bytes, res.Rows, size)
		}
	}
}
