package yamlfile

import (
	"strconv"
	"strings"
)

// Error is one problem found in a file. Its message reads
//
//	<file>:<line>: <object>: <field>: <reason>
//
// for example `configs/demo.yaml:42: cell "dye-1": device "vat-a": kind: unknown kind "vat"`.
// Object and Field are left out of the message when empty (a top-level field has no object; a
// problem with a whole object, such as an unknown key, has no field).
type Error struct {
	// File is the file name given to the parser.
	File string
	// Line is the 1-based line of the offending key or value.
	Line int
	// Object names the object by kind and id, outermost first, for example
	// `product "RUG-KILIM-S": step 2 (capability "weave")`.
	Object string
	// Field is the YAML key at fault, dotted when nested (changeover.attribute).
	Field string
	// Reason says what is wrong, in lower case.
	Reason string
}

// Error returns the one-line message described on the type.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Errors is every problem found in a file, in file order. A parser returns it as its error;
// use errors.As to get it back, or to get the first Error.
type Errors []Error

// Error returns one message per line, in file order.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each Error, so that errors.As finds an Error as well as Errors.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

var (
	_ error                         = Error{}
	_ error                         = Errors{}
	_ interface{ Unwrap() []error } = Errors{}
)
