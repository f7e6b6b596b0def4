package rawport

import (
	"slices"
	"strings"
)

// Faults is a printer status that lists what keeps the printer from
// printing, each fault one of its driver's errors (paper out, cover open).
type Faults interface {
	Faults() []error
}

// Condition is one fault a status may report: Err when On.
type Condition struct {
	On  bool
	Err error
}

// Conditions returns the errors of the conditions that are on, in order: a
// status's Faults.
func Conditions(cs ...Condition) []error {
	var out []error
	for _, c := range cs {
		if c.On {
			out = append(out, c.Err)
		}
	}
	return out
}

// FaultError is the error of a printer whose status keeps it from printing.
// errors.Is matches it against each fault its Status lists.
type FaultError[S Faults] struct {
	Status S
}

// Fault returns a *FaultError of st when st lists a fault, and nil when the
// printer can print: a status's Err.
func Fault[S Faults](st S) error {
	if len(st.Faults()) == 0 {
		return nil
	}
	return &FaultError[S]{Status: st}
}

// Error lists the faults.
func (e *FaultError[S]) Error() string {
	var f []string
	for _, err := range e.Status.Faults() {
		f = append(f, err.Error())
	}
	return "printer reports " + strings.Join(f, ", ")
}

// Is reports whether target is one of the faults e reports.
func (e *FaultError[S]) Is(target error) bool {
	return slices.Contains(e.Status.Faults(), target)
}
