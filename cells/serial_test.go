package cells_test

import (
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
)

// TestSerial: a unit's serial is its order id and its number within the order, a remake's
// units numbered after those of the order's work orders before it.
func TestSerial(t *testing.T) {
	for _, tc := range []struct {
		name  string
		label book.OwedLabel
		want  string
	}{
		{"an order's first work order", book.OwedLabel{OrderID: "SO-1042", Unit: 2}, "SO-1042-2"},
		{"a remake after two units", book.OwedLabel{OrderID: "SO-1042", Unit: 1, Before: 2}, "SO-1042-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cells.Serial(tc.label); got != tc.want {
				t.Errorf("Serial = %q, want %q", got, tc.want)
			}
		})
	}
}
