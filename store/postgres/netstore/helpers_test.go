package netstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// t0 is the tests' "now": a time with nanoseconds, in a zone other than UTC, so that the
// tests see times come back in UTC truncated to the microsecond.
var t0 = time.Date(2026, 12, 7, 9, 30, 15, 123456789, time.FixedZone("WET+1", 3600))

// stored is t as the store gives it back: UTC, truncated to the microsecond.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// openTest opens a store on a new database, closed when the test ends; the string is the
// database's URL.
func openTest(tb testing.TB) (*Store, string) {
	tb.Helper()
	url := pgtest.URL(tb)
	s, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

// write runs fn in a Write and fails the test on an error.
func write(tb testing.TB, s *Store, fn func(network.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// read runs fn in a Read and fails the test on an error.
func read(tb testing.TB, s *Store, fn func(network.ReadTx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// order is a waiting order of drop "winter" and SKU "RUG", its fields set from id.
func order(id string, i int) network.Order {
	return network.Order{
		OrderID: id, Drop: "winter", SKU: "RUG", Quantity: 1 + i%5, Customer: "customer " + id,
		Priority: i % 3, Due: t0.Add(time.Duration(i) * time.Hour), Notes: "note",
		Location: network.Point{Lat: 41.15 + float64(i)/1000, Lon: -8.61},
		Hash:     fmt.Sprintf("hash-%d", i), Batch: "batch-1", State: network.Waiting,
		CreatedAt: t0, UpdatedAt: t0,
	}
}

// storedOrder is o as the store gives it back.
func storedOrder(o network.Order) network.Order {
	o.Due, o.CreatedAt, o.UpdatedAt = stored(o.Due), stored(o.CreatedAt), stored(o.UpdatedAt)
	o.AckBy, o.Promise, o.DoneAt = stored(o.AckBy), stored(o.Promise), stored(o.DoneAt)
	return o
}

// same fails the test when got is not want.
func same(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// wantErr fails the test when err does not wrap target.
func wantErr(tb testing.TB, what string, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Errorf("%s: %v, want an error wrapping %v", what, err, target)
	}
}
