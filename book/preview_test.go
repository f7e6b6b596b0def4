package book_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
)

// TestPreviewImportPlansAtMostMaxPreviewOrders checks that a good batch of more new orders
// than a promise check plans is answered with its figures and no candidates, and one of as many
// with every candidate.
func TestPreviewImportPlansAtMostMaxPreviewOrders(t *testing.T) {
	if raceDetector {
		t.Skip("the largest preview a batch may ask for, in one goroutine, race nothing: checked in the pass without the race detector")
	}
	bk := openBench(t, nil)
	batch := func(n int) book.RowReader {
		var b strings.Builder
		b.WriteString("order_id,sku,quantity\n")
		for i := range n {
			fmt.Fprintf(&b, "%x,SCARF,2\n", i)
		}
		rr, err := intake.NewCSV(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	cands, err := bk.PreviewImport(t.Context(), book.ImportRequest{Drop: "big", Rows: batch(book.MaxPreviewOrders)})
	if err != nil || len(cands) != book.MaxPreviewOrders {
		t.Fatalf("%d candidates, %v; want %d", len(cands), err, book.MaxPreviewOrders)
	}
	cands, err = bk.PreviewImport(t.Context(), book.ImportRequest{Drop: "big", Rows: batch(book.MaxPreviewOrders + 1)})
	var tooMany *book.PreviewTooLargeError
	if !errors.As(err, &tooMany) || cands != nil || tooMany.Orders != book.MaxPreviewOrders+1 || tooMany.Units != 2*(book.MaxPreviewOrders+1) {
		t.Fatalf("%d candidates, %v; want a PreviewTooLargeError of %d orders", len(cands), err, book.MaxPreviewOrders+1)
	}
}
