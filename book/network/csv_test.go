package network_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	. "github.com/cellforge/cellforge/book/network"
)

// TestImportCSV imports batches as the hub reads them: CSV with the location columns.
func TestImportCSV(t *testing.T) {
	e := newEnv(t, twoSites, twoMakes)
	read := func(text string) ImportRequest {
		r, err := intake.NewCSV(strings.NewReader(text), intake.WithLocation())
		if err != nil {
			t.Fatal(err)
		}
		return ImportRequest{Drop: "winter", Rows: r, Actor: "ana"}
	}
	res, err := e.hub.Import(e.ctx, read("order_id,sku,quantity,lat,lon\nA1,RUG,2,41.15,-8.61\nA2,SCARF,1,38.72,-9.14\n"))
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if o, _ := e.order("A1"); o.Location != porto || o.Quantity != 2 || o.State != Waiting {
		t.Errorf("A1: %+v", o)
	}
	before := e.count()
	_, err = e.hub.Import(e.ctx, read("order_id,sku,quantity,lat,lon\nA3,RUG,1,95,-8.61\nA1,RUG,3,41.15,-8.61\nA4,SOCK,1,41.15,-8.61\n"))
	var be *book.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("a bad batch: %v", err)
	}
	var cols []string
	for _, re := range be.Errors {
		cols = append(cols, re.Column)
	}
	if !reflect.DeepEqual(cols, []string{"lat", "order_id", "sku"}) || be.Problems != 3 {
		t.Errorf("refusal: %+v", be.Errors)
	}
	if after := e.count(); after != before {
		t.Errorf("the book holds %d orders, %d before", after, before)
	}
}
