package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testReadingsReplaceByQuantity stores summaries with and without an open stretch, replaces
// one (its stretch closed: the nullable columns go back to NULL) and reads them by quantity.
func testReadingsReplaceByQuantity(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 1)
	op := wos[0].Ops[2].ID
	temp := book.ReadingSummary{Quantity: "temperature", Unit: "°C", Samples: 40, Min: 58.5, Max: 61.25, Held: 60,
		HoldTime: 90 * time.Second, HeldFrom: T0.Add(time.Minute), HoldSamples: 30, First: T0, Last: T0.Add(3 * time.Minute),
		Tolerance: 1.5, Open: &book.Stretch{From: T0.Add(2 * time.Minute), To: T0.Add(3 * time.Minute), Begin: 60.5,
			Min: 59.75, Max: 61.25, Sum: 605, Count: 10}}
	ph := book.ReadingSummary{Quantity: "ph", Samples: 2, Min: 6.5, Max: 7, Held: 6.75, HoldTime: time.Millisecond,
		HeldFrom: T0, HoldSamples: 2, First: T0, Last: T0.Add(time.Second)}
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.PutReadings(op, nil); err != nil {
			return err
		}
		return tx.PutReadings(op, []book.ReadingSummary{temp, ph})
	})
	closed := temp
	closed.Samples, closed.Open = 41, nil
	MustWrite(t, s, func(tx book.Tx) error { return tx.PutReadings(op, []book.ReadingSummary{closed}) })
	if err := s.Write(context.Background(), func(tx book.Tx) error { return tx.PutReadings(999999, []book.ReadingSummary{ph}) }); err == nil {
		t.Error("readings of an operation that does not exist were stored")
	}
	s = reopen(t, opener, s, addr)
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Readings(op)
		if want := []book.ReadingSummary{ph, closed}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Readings = %+v, %v\nwant %+v", got, err, want)
		}
		if got, err := tx.Readings(wos[0].Ops[0].ID); err != nil || len(got) != 0 {
			t.Errorf("Readings of another operation = %+v, %v", got, err)
		}
		return nil
	})
	MustWrite(t, s, func(tx book.Tx) error { return tx.PutReadings(op, []book.ReadingSummary{temp}) })
	MustRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Readings(op)
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got[1], temp) {
			t.Errorf("Readings with an open stretch again = %+v, %v\nwant %+v", got, err, temp)
		}
		return nil
	})
}
