package network_test

import (
	"errors"
	. "github.com/cellforge/cellforge/book/network"
	"math"
	"reflect"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
)

func TestImport(t *testing.T) {
	e := newEnv(t, twoSites, twoMakes)
	res := e.importRows(row(2, "A1", "RUG", porto), row(3, "A2", "SCARF", lisbon))
	if res.Created != 2 || res.Unchanged != 0 || res.Rows != 2 || res.Batch == "" {
		t.Fatalf("first import: %+v", res)
	}
	o, _ := e.order("A2")
	if o.State != Waiting || !o.Due.Equal(testDrop.Date) || o.Location != lisbon || o.Batch != res.Batch {
		t.Errorf("A2: %+v", o)
	}
	again := e.importRows(row(2, "A1", "RUG", porto), row(3, "A2", "SCARF", lisbon), row(4, "A3", "HAT", madrid))
	if again.Created != 1 || again.Unchanged != 2 {
		t.Errorf("the batch again with one row more: %+v", again)
	}
	if same := e.importRows(row(2, "A1", "RUG", porto)); same.Created != 0 || same.Unchanged != 1 || same.Batch != "" {
		t.Errorf("a batch the book holds: %+v", same)
	}
	if _, err := e.hub.Import(e.ctx, ImportRequest{Drop: "summer", Rows: &rowsReader{}}); !errors.Is(err, ErrUnknownDrop) {
		t.Errorf("an unknown drop: %v", err)
	}
}

func TestImportBadBatchesChangeNothing(t *testing.T) {
	noWhere := row(6, "B4", "RUG", porto)
	noWhere.HasLocation, noWhere.Lat, noWhere.Lon = false, 0, 0
	badLat, badLon := row(7, "B5", "RUG", Point{Lat: 91, Lon: 0}), row(8, "B6", "RUG", Point{Lat: 0, Lon: math.NaN()})
	conflict := row(9, "A1", "RUG", porto)
	conflict.Quantity = 5
	tests := []struct {
		name     string
		rows     []intake.Row
		errs     map[int]intake.RowErrors
		max      int
		want     []intake.RowError
		problems int
	}{
		{
			name: "every kind of bad row",
			rows: []intake.Row{row(2, "B1", "RUG", porto), row(3, "B2", "SOCK", porto), {}, row(5, "B1", "HAT", porto),
				noWhere, badLat, badLon, conflict},
			errs: map[int]intake.RowErrors{2: {{Line: 4, Column: "quantity", Reason: "not a whole number"}}},
			want: []intake.RowError{
				{Line: 3, Column: "sku", Reason: `SKU "SOCK" is not sold in drop "winter"`},
				{Line: 4, Column: "quantity", Reason: "not a whole number"},
				{Line: 5, Column: "order_id", Reason: `order id "B1" appears twice in the batch (first at line 2)`},
				{Line: 6, Column: "lat", Reason: "the row has no customer location: the network needs the columns lat and lon to route it"},
				{Line: 7, Column: "lat", Reason: "latitude 91 is outside -90..90"},
				{Line: 8, Column: "lon", Reason: "longitude NaN is outside -180..180"},
				{Line: 9, Column: "order_id", Reason: `order id "A1" was already imported with different content (drop winter, sku RUG, quantity 1)`},
			},
			problems: 7,
		},
		{
			name:     "the first problems by line, every one counted",
			rows:     []intake.Row{row(2, "C1", "SOCK", porto), row(3, "C2", "SOCK", porto), row(4, "C3", "SOCK", porto)},
			max:      2,
			want:     []intake.RowError{{Line: 2, Column: "sku", Reason: `SKU "SOCK" is not sold in drop "winter"`}, {Line: 3, Column: "sku", Reason: `SKU "SOCK" is not sold in drop "winter"`}},
			problems: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, twoSites, twoMakes)
			e.importRows(row(2, "A1", "RUG", porto))
			before := e.count()
			_, err := e.hub.Import(e.ctx, ImportRequest{Drop: testDrop.ID, Rows: &rowsReader{rows: tt.rows, errs: tt.errs}, MaxErrors: tt.max})
			var be *book.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("import: %v, want a *book.BatchError", err)
			}
			if !reflect.DeepEqual(be.Errors, tt.want) || be.Problems != tt.problems || be.BadRows != tt.problems || be.Drop != "winter" {
				t.Errorf("refusal: %d problems in %d rows:\n got %+v\nwant %+v", be.Problems, be.BadRows, be.Errors, tt.want)
			}
			if after := e.count(); after != before {
				t.Errorf("the book holds %d orders, %d before", after, before)
			}
		})
	}
}

func TestImportMaxRows(t *testing.T) {
	e := newEnv(t, twoSites, twoMakes)
	_, err := e.hub.Import(e.ctx, ImportRequest{Drop: testDrop.ID, MaxRows: 2,
		Rows: &rowsReader{rows: []intake.Row{row(2, "A1", "RUG", porto), row(3, "A2", "RUG", porto), row(4, "A3", "RUG", porto)}}})
	var be *book.BatchError
	if !errors.As(err, &be) || be.Problems != 1 || be.Errors[0].Line != 4 {
		t.Fatalf("a batch over the most rows: %v", err)
	}
	if n := e.count(); n != 0 {
		t.Errorf("the book holds %d orders", n)
	}
}
