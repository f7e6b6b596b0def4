package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestReadingsReplaceByQuantity stores summaries with and without an open stretch, replaces
// one (its stretch closed: the nullable columns go back to NULL) and reads them by quantity.
func TestReadingsReplaceByQuantity(t *testing.T) {
	s, url := openFloorStore(t)
	wos := floorOrders(t, s, "d1", 0, 1)
	op := wos[0].ops[2]
	temp := book.ReadingSummary{Quantity: "temperature", Unit: "°C", Samples: 40, Min: 58.5, Max: 61.25, Held: 60,
		HoldTime: 90 * time.Second, HeldFrom: ft0.Add(time.Minute), HoldSamples: 30, First: ft0, Last: ft0.Add(3 * time.Minute),
		Tolerance: 1.5, Open: &book.Stretch{From: ft0.Add(2 * time.Minute), To: ft0.Add(3 * time.Minute), Begin: 60.5,
			Min: 59.75, Max: 61.25, Sum: 605, Count: 10}}
	ph := book.ReadingSummary{Quantity: "ph", Samples: 2, Min: 6.5, Max: 7, Held: 6.75, HoldTime: time.Millisecond,
		HeldFrom: ft0, HoldSamples: 2, First: ft0, Last: ft0.Add(time.Second)}
	floorWrite(t, s, func(tx book.Tx) error {
		if err := tx.PutReadings(op, nil); err != nil {
			return err
		}
		return tx.PutReadings(op, []book.ReadingSummary{temp, ph})
	})
	closed := temp
	closed.Samples, closed.Open = 41, nil
	floorWrite(t, s, func(tx book.Tx) error { return tx.PutReadings(op, []book.ReadingSummary{closed}) })
	if err := s.Write(t.Context(), func(tx book.Tx) error { return tx.PutReadings(999999, []book.ReadingSummary{ph}) }); err == nil {
		t.Error("readings of an operation that does not exist were stored")
	}
	s = reopenFloorStore(t, s, url)
	floorRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Readings(op)
		if want := []book.ReadingSummary{ph, closed}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Readings = %+v, %v\nwant %+v", got, err, want)
		}
		if got, err := tx.Readings(wos[0].ops[0]); err != nil || len(got) != 0 {
			t.Errorf("Readings of another operation = %+v, %v", got, err)
		}
		return nil
	})
	floorWrite(t, s, func(tx book.Tx) error { return tx.PutReadings(op, []book.ReadingSummary{temp}) })
	floorRead(t, s, func(tx book.ReadTx) error {
		got, err := tx.Readings(op)
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got[1], temp) {
			t.Errorf("Readings with an open stretch again = %+v, %v\nwant %+v", got, err, temp)
		}
		return nil
	})
}
