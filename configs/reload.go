package configs

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Change is one difference between two versions of a factory that a running daemon may take:
// an object of a section added, removed or changed.
type Change struct {
	// Section is the file's section: people, tokens, reasons, stop_reasons, products, drops,
	// hours or cells.
	Section string
	// ID names the object (a person's id, a token's name, a SKU, a drop's or a cell's id, a
	// reason's list and code); empty for the factory's own working hours.
	ID string
	// What is "added", "removed" or "changed".
	What string
}

// String reads "products: scarf-blue added".
func (c Change) String() string {
	if c.ID == "" {
		return c.Section + " " + c.What
	}
	return c.Section + ": " + c.ID + " " + c.What
}

// RestartError is a field of the factory that changed in a way a running daemon cannot take:
// the new file applies after a restart.
type RestartError struct {
	// File and Line are where the new file has the field (Line 0 when the field is gone or
	// has no line of its own).
	File string
	Line int
	// Field names it, as the file's sections and ids do (`cell "loom-1": devices`).
	Field string
}

func (e RestartError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("%s: %s changed: it cannot change while the daemon runs; restart the daemon to apply it", where, e.Field)
}

// RestartErrors are every RestartError of a comparison, in the order of the factory's fields.
type RestartErrors []RestartError

func (es RestartErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Compare says what changed from old to next, two validated versions of one factory's file,
// for a daemon running old that is to run next without a restart. The people, the API tokens,
// the pause, scrap and fault reasons, the stop reasons, the products, the drops, the working
// hours (within their time zone) and new cells may change; everything else (the store, the
// telemetry, the serial lines, a cell removed or any field of a cell that exists, the time zone
// of working hours, ...) is a RestartError, all of them returned together as RestartErrors.
// Lines are not compared: a file whose objects moved only is unchanged.
func Compare(old, next *Factory) ([]Change, error) {
	var changes []Change
	changes = append(changes, diffByID("people", old.People, next.People, func(p Person) string { return p.ID })...)
	changes = append(changes, diffByID("tokens", old.Tokens, next.Tokens, func(t Token) string { return t.Name })...)
	changes = append(changes, reasonChanges(old.Reasons, next.Reasons)...)
	changes = append(changes, diffByID("stop_reasons", old.Stops.Reasons, next.Stops.Reasons, func(r StopReason) string { return r.Code })...)
	changes = append(changes, diffByID("products", old.Products, next.Products, func(p Product) string { return p.SKU })...)
	changes = append(changes, diffByID("drops", old.Drops, next.Drops, func(d Drop) string { return d.ID })...)
	var restart RestartErrors
	changes = append(changes, hoursChanges(next.File, "hours", "", old.Hours, next.Hours, &restart)...)
	changes = append(changes, cellChanges(old, next, &restart)...)

	// Everything else must be the same: the live sections are taken from old before comparing.
	rest := *next
	rest.File, rest.People, rest.Tokens, rest.Reasons = old.File, old.People, old.Tokens, old.Reasons
	rest.Products, rest.Drops, rest.Hours, rest.Cells = old.Products, old.Drops, old.Hours, old.Cells
	rest.Stops.Reasons = old.Stops.Reasons
	for _, field := range unequal(reflect.ValueOf(*old), reflect.ValueOf(rest), "") {
		restart = append(restart, RestartError{File: next.File, Field: field})
	}
	if len(restart) > 0 {
		return nil, restart
	}
	return changes, nil
}

// diffByID lists the objects added, removed and changed from old to next, matched by id.
func diffByID[T any](section string, old, next []T, id func(T) string) []Change {
	var out []Change
	before := make(map[string]T, len(old))
	for _, o := range old {
		before[id(o)] = o
	}
	seen := make(map[string]bool, len(next))
	for _, n := range next {
		k := id(n)
		seen[k] = true
		o, ok := before[k]
		switch {
		case !ok:
			out = append(out, Change{Section: section, ID: k, What: "added"})
		case len(unequal(reflect.ValueOf(o), reflect.ValueOf(n), "")) > 0:
			out = append(out, Change{Section: section, ID: k, What: "changed"})
		}
	}
	for _, o := range old {
		if !seen[id(o)] {
			out = append(out, Change{Section: section, ID: id(o), What: "removed"})
		}
	}
	return out
}

// reasonChanges lists the changes of the pause, scrap and fault reasons, each as list/code.
func reasonChanges(old, next Reasons) []Change {
	var out []Change
	for _, l := range []struct {
		name      string
		old, next []Reason
	}{{"pause", old.Pause, next.Pause}, {"scrap", old.Scrap, next.Scrap}, {"fault", old.Fault, next.Fault}} {
		out = append(out, diffByID("reasons", l.old, l.next, func(r Reason) string { return l.name + "/" + r.Code })...)
	}
	return out
}

// hoursChanges compares working hours: added, removed or changed. The factory's time zone (UTC
// without hours) cannot change while the daemon runs: the OEE kept of closed days, the pages'
// and certificates' dates are in it. A cell's hours may move to another time zone (only the
// planner reads them).
func hoursChanges(file, section, id string, old, next *Hours, restart *RestartErrors) []Change {
	if id == "" && zoneOf(old) != zoneOf(next) {
		line := 0
		if next != nil {
			line = next.Line
		}
		*restart = append(*restart, RestartError{File: file, Line: line, Field: fmt.Sprintf("hours: time zone (%s, was %s)", zoneOf(next), zoneOf(old))})
		return nil
	}
	switch {
	case old == nil && next == nil:
		return nil
	case old == nil:
		return []Change{{Section: section, ID: id, What: "added"}}
	case next == nil:
		return []Change{{Section: section, ID: id, What: "removed"}}
	case len(unequal(reflect.ValueOf(*old), reflect.ValueOf(*next), "")) > 0:
		return []Change{{Section: section, ID: id, What: "changed"}}
	}
	return nil
}

// zoneOf is the name of the time zone of hours h: UTC without hours.
func zoneOf(h *Hours) string {
	if h == nil || h.Location == nil {
		return "UTC"
	}
	return h.Location.String()
}

func locationName(l *time.Location) string {
	if l == nil {
		return ""
	}
	return l.String()
}

// cellChanges lists the cells added and the working hours of cells changed; a cell removed,
// or any other field of a cell changed, is a RestartError (its machines are driven, its work
// queued at it).
func cellChanges(old, next *Factory, restart *RestartErrors) []Change {
	var out []Change
	for _, o := range old.Cells {
		n, ok := next.Cell(o.ID)
		if !ok {
			*restart = append(*restart, RestartError{File: next.File, Field: fmt.Sprintf("cell %q removed", o.ID)})
			continue
		}
		out = append(out, hoursChanges(next.File, "cells", n.ID+" hours", o.Hours, n.Hours, restart)...)
		a, b := o, n
		a.Hours, b.Hours = nil, nil
		for _, field := range unequal(reflect.ValueOf(a), reflect.ValueOf(b), "") {
			*restart = append(*restart, RestartError{File: next.File, Line: n.Line, Field: fmt.Sprintf("cell %q: %s", n.ID, field)})
		}
	}
	for _, n := range next.Cells {
		if _, ok := old.Cell(n.ID); !ok {
			out = append(out, Change{Section: "cells", ID: n.ID, What: "added"})
		}
	}
	return out
}

var (
	locationType = reflect.TypeOf((*time.Location)(nil))
	timeType     = reflect.TypeOf(time.Time{})
)

// unequal returns the paths of the fields that differ between a and b, two values of one type,
// leaving out the fields named Line (where an object is written) and the unexported ones, and
// comparing time zones by name.
func unequal(a, b reflect.Value, path string) []string {
	if a.Type() == locationType {
		if locationName(a.Interface().(*time.Location)) != locationName(b.Interface().(*time.Location)) {
			return []string{path}
		}
		return nil
	}
	if a.Type() == timeType {
		if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
			return []string{path}
		}
		return nil
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return []string{path}
			}
			return nil
		}
		return unequal(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if f.Name == "Line" || !f.IsExported() {
				continue
			}
			out = append(out, unequal(a.Field(i), b.Field(i), joinPath(path, fieldName(f.Name)))...)
		}
		return out
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return []string{path}
		}
		for i := range a.Len() {
			if len(unequal(a.Index(i), b.Index(i), path)) > 0 {
				return []string{path}
			}
		}
		return nil
	case reflect.Map:
		if a.Len() != b.Len() {
			return []string{path}
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() || len(unequal(a.MapIndex(k), bv, path)) > 0 {
				return []string{path}
			}
		}
		return nil
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return nil
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return []string{path}
			}
			return nil
		}
		return unequal(a.Elem(), b.Elem(), path)
	}
	if !a.Equal(b) {
		return []string{path}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldName turns a Go field name into the file's way of writing it: SerialLines is
// serial_lines, UnitID unit_id.
func fieldName(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 && (rs[i-1] < 'A' || rs[i-1] > 'Z' || i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z') {
			b.WriteByte('_')
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
