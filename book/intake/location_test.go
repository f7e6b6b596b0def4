package intake

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// openLocation opens batch with the location's columns as its content type says.
func openLocation(t *testing.T, contentType, batch string, opts ...Option) (Reader, error) {
	t.Helper()
	return New(contentType, strings.NewReader(batch), opts...)
}

func TestLocationColumns(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		batch       string
		wantRows    []Row
		wantErrs    []RowError
	}{
		{"csv: good rows", "text/csv", "order_id,sku,quantity,lat,lon\nA-1,RUG,1,41.15,-8.61\nA-2,RUG,2, -90 ,180\nA-3,RUG,1,1e-05,0\n",
			[]Row{{Line: 2, OrderID: "A-1", SKU: "RUG", Quantity: 1, Lat: 41.15, Lon: -8.61, HasLocation: true},
				{Line: 3, OrderID: "A-2", SKU: "RUG", Quantity: 2, Lat: -90, Lon: 180, HasLocation: true},
				{Line: 4, OrderID: "A-3", SKU: "RUG", Quantity: 1, Lat: 0.00001, Lon: 0, HasLocation: true}}, nil},
		{"csv: bad values name the column", "text/csv", "Lat,LON,order_id,sku,quantity\n,1,A-1,RUG,1\n91,-180.5,A-2,RUG,1\nnorth,0x1p3,A-3,RUG,1\nNaN,Inf,A-4,RUG,1\n1e999,-,A-5,RUG,1\n",
			nil, []RowError{
				{Line: 2, Column: "lat", Reason: "lat is missing"},
				{Line: 3, Column: "lat", Reason: `lat "91" is outside -90..90 degrees`},
				{Line: 3, Column: "lon", Reason: `lon "-180.5" is outside -180..180 degrees`},
				{Line: 4, Column: "lat", Reason: `lat "north" is not a decimal number of degrees`},
				{Line: 4, Column: "lon", Reason: `lon "0x1p3" is not a decimal number of degrees`},
				{Line: 5, Column: "lat", Reason: `lat "NaN" is not a decimal number of degrees`},
				{Line: 5, Column: "lon", Reason: `lon "Inf" is not a decimal number of degrees`},
				{Line: 6, Column: "lat", Reason: `lat "1e999" is outside -90..90 degrees`},
				{Line: 6, Column: "lon", Reason: `lon "-" is not a decimal number of degrees`},
			}},
		{"csv: the header lacks them", "text/csv", "order_id,sku,quantity,lat\nA-1,RUG,1,4\n", nil,
			[]RowError{{Line: 1, Column: "lon", Reason: `header: required column "lon" is missing`}}},
		{"json: numbers and strings", "application/json", `[{"order_id":"A-1","sku":"RUG","quantity":1,"lat":41.15,"lon":"-8.61"}]`,
			[]Row{{Line: 1, OrderID: "A-1", SKU: "RUG", Quantity: 1, Lat: 41.15, Lon: -8.61, HasLocation: true}}, nil},
		{"json: bad values name the field", "application/json", "[\n{\"order_id\":\"A-1\",\"sku\":\"RUG\",\"quantity\":1,\"lat\":true,\"lon\":null},\n{\"order_id\":\"A-2\",\"sku\":\"RUG\",\"quantity\":1,\"lat\":-90.0001,\"lon\":[1]}\n]",
			nil, []RowError{
				{Line: 2, Column: "lat", Reason: "lat must be a number or a string, not a boolean"},
				{Line: 2, Column: "lon", Reason: "lon is missing"},
				{Line: 3, Column: "lat", Reason: `lat "-90.0001" is outside -90..90 degrees`},
				{Line: 3, Column: "lon", Reason: "lon must be a number or a string, not an array"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := openLocation(t, tc.contentType, tc.batch, WithLocation())
			var b batch
			var errs RowErrors
			switch {
			case errors.As(err, &errs):
				b.errs = errs
			case err != nil:
				t.Fatal(err)
			default:
				b = readAll(t, r)
			}
			if !reflect.DeepEqual(b.rows, tc.wantRows) {
				t.Errorf("rows:\n got %+v\nwant %+v", b.rows, tc.wantRows)
			}
			if !reflect.DeepEqual(b.errs, tc.wantErrs) {
				t.Errorf("problems:\n got %+v\nwant %+v", b.errs, tc.wantErrs)
			}
		})
	}
}

// TestLocationOffByDefault: a site's batch is read without the option, and the location's
// columns are refused as unknown, as before there were any.
func TestLocationOffByDefault(t *testing.T) {
	_, err := openLocation(t, "text/csv", "order_id,sku,quantity,lat,lon\nA-1,RUG,1,41.15,-8.61\n")
	want := RowErrors{
		{Line: 1, Column: "lat", Reason: `header: unknown column "lat"; the columns are order_id, sku, quantity, customer, priority, due, notes`},
		{Line: 1, Column: "lon", Reason: `header: unknown column "lon"; the columns are order_id, sku, quantity, customer, priority, due, notes`},
	}
	if !reflect.DeepEqual(err, want) {
		t.Errorf("CSV with lat and lon: %v, want %v", err, want)
	}
	r, err := openLocation(t, "application/json", `[{"order_id":"A-1","sku":"RUG","quantity":1,"lat":41.15}]`)
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(t, r)
	wantErrs := []RowError{{Line: 1, Column: "lat", Reason: `unknown field "lat"; the fields are order_id, sku, quantity, customer, priority, due, notes`}}
	if !reflect.DeepEqual(b.errs, wantErrs) || b.rows != nil {
		t.Errorf("JSON with lat: rows %+v, problems %+v; want the problems %+v", b.rows, b.errs, wantErrs)
	}
	// with the option, an unknown column lists the location's
	_, err = openLocation(t, "text/csv", "order_id,sku,quantity,lat,lon,where\n", WithLocation())
	want = RowErrors{{Line: 1, Column: "where", Reason: `header: unknown column "where"; the columns are order_id, sku, quantity, customer, priority, due, notes, lat, lon`}}
	if !reflect.DeepEqual(err, want) {
		t.Errorf("an unknown column WithLocation: %v, want %v", err, want)
	}
}
