// Package intake turns a drop planner's batch of pre-orders, uploaded as CSV or JSON, into
// rows, one at a time. It owns the shape of a row: which columns exist, which are required,
// and what a well-formed value of each looks like. It reports every malformed row with its
// line, its column and the reason, and goes on past it, so that a planner learns about all the
// bad rows of a batch at once.
//
// Checks that need the factory (unknown SKUs, drop windows, an order id twice in a batch,
// conflicts with stored orders) belong to package book, which reads batches through this
// package. Readers stream: they hold about one row at a time, and a row longer than
// MaxRowBytes is a bad row, so their memory is bounded whatever the batch holds.
//
// Intake imports only the standard library; it must not import any other CellForge package.
package intake

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the values of a row. Lengths count characters (runes), not bytes, so that a name in
// any script has the same room.
const (
	// MaxIDLen is the longest order id or SKU.
	MaxIDLen = 64
	// MaxCustomerLen is the longest customer.
	MaxCustomerLen = 200
	// MaxNotesLen is the longest notes.
	MaxNotesLen = 2000
	// MaxQuantity is the most units one order may ask for.
	MaxQuantity = 1_000_000
	// MinPriority is the lowest priority.
	MinPriority = -1000
	// MaxPriority is the highest priority.
	MaxPriority = 1000
)

// Row is one well-formed order row. Its strings are trimmed of surrounding white space.
type Row struct {
	// Line is the 1-based line where the record starts: in CSV the header is line 1, and a
	// record with a multi-line quoted field has the line of its first field; in JSON it is the
	// line of the object's '{'.
	Line     int
	OrderID  string
	SKU      string
	Quantity int
	Customer string
	Priority int       // 0 when absent
	Due      time.Time // zero when absent; a date is midnight UTC, a time is converted to UTC
	Notes    string
	// Lat and Lon are the customer's place in decimal degrees (WGS 84), read from the columns
	// lat and lon by a reader made WithLocation; HasLocation tells they were read. A reader
	// without the option refuses those columns, and leaves the three zero.
	Lat, Lon    float64
	HasLocation bool
}

// Option changes what a reader accepts.
type Option func(*options)

type options struct {
	location bool
}

// WithLocation makes a reader read the customer's place of every order: the columns (CSV) or
// fields (JSON) lat and lon, both required, each a decimal number of degrees (a latitude in
// -90..90, a longitude in -180..180; a JSON number or a string holding one). Without it, as a
// site's batch is read, a batch with those columns is refused as unknown columns.
func WithLocation() Option { return func(o *options) { o.location = true } }

func readOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// RowError is one problem with one row (or with the header, or with the batch as a whole).
type RowError struct {
	Line int `json:"line"`
	// Column is the column or field the problem is in, e.g. "quantity"; it is empty when the
	// problem is with the whole row.
	Column string `json:"column,omitempty"`
	// Reason says what is wrong for a person to read; it names the column itself.
	Reason string `json:"reason"`
}

// Error returns "line N: reason".
func (e *RowError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// RowErrors lists the problems of one bad row (or of a CSV header), one per column. A Reader
// returns it for a bad row and then goes on with the next one. Find it with errors.As; each
// element is also reachable as a *RowError.
type RowErrors []RowError

// Error joins the problems with "; ".
func (es RowErrors) Error() string {
	var b strings.Builder
	for i := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(es[i].Error())
	}
	return b.String()
}

// Unwrap returns every problem as a *RowError, for errors.As.
func (es RowErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i := range es {
		errs[i] = &es[i]
	}
	return errs
}

// Reader yields the rows of a batch. Next returns a good row and a nil error; or a zero Row and
// a RowErrors for a bad row, after which the caller may call Next again to go on; or io.EOF at
// the end of the batch. Any other error (reading the input failed) ends the batch, and Next
// keeps returning it.
type Reader interface {
	Next() (Row, error)
}

var (
	_ Reader = (*CSVReader)(nil)
	_ Reader = (*JSONReader)(nil)
)

// ErrUnsupportedMediaType is wrapped by New when the content type is neither CSV nor JSON, or
// the charset is not UTF-8.
var ErrUnsupportedMediaType = errors.New("unsupported media type")

// New returns a reader for a batch of the given content type (a Content-Type header value):
// text/csv or application/csv for CSV, application/json for JSON; a charset parameter, if any,
// must be utf-8; opts say what the rows hold (see WithLocation). Any other type is an error wrapping ErrUnsupportedMediaType. For CSV it reads
// the header, and a bad header is a RowErrors (see NewCSV).
func New(contentType string, r io.Reader, opts ...Option) (Reader, error) {
	if strings.TrimSpace(contentType) == "" {
		return nil, fmt.Errorf("%w: no content type; send text/csv or application/json", ErrUnsupportedMediaType)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("%w: content type %q: %v; send text/csv or application/json", ErrUnsupportedMediaType, contentType, err)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return nil, fmt.Errorf("%w: charset %q; batches must be UTF-8", ErrUnsupportedMediaType, cs)
	}
	switch mt {
	case "text/csv", "application/csv":
		cr, err := NewCSV(r, opts...)
		if err != nil {
			return nil, err
		}
		return cr, nil
	case "application/json":
		jr, err := NewJSON(r, opts...)
		if err != nil {
			return nil, err
		}
		return jr, nil
	}
	return nil, fmt.Errorf("%w: %q; send text/csv or application/json", ErrUnsupportedMediaType, mt)
}

// column is one column of a CSV batch or one field of a JSON order object.
type column int

const (
	colOrderID column = iota
	colSKU
	colQuantity
	colCustomer
	colPriority
	colDue
	colNotes
	colLat // only WithLocation
	colLon // only WithLocation
	numColumns
)

var columnNames = [numColumns]string{"order_id", "sku", "quantity", "customer", "priority", "due", "notes", "lat", "lon"}

// columnList is the list of columns for messages about unknown ones.
func (o options) columnList() string {
	if o.location {
		return strings.Join(columnNames[:], ", ")
	}
	return strings.Join(columnNames[:colLat], ", ")
}

func (c column) String() string { return columnNames[c] }

// required tells whether a row must have column c.
func (o options) required(c column) bool {
	return c <= colQuantity || o.location && (c == colLat || c == colLon)
}

// column is the column of name; the location's columns are known only WithLocation.
func (o options) column(name string) (column, bool) {
	for c, n := range columnNames {
		if n == name && (o.location || column(c) < colLat) {
			return column(c), true
		}
	}
	return 0, false
}

// rowBuilder gathers the values of one row and the problems found while reading them, and
// then checks the values.
type rowBuilder struct {
	opts    options
	line    int
	val     [numColumns]string
	present [numColumns]bool
	problem [numColumns]string // the first problem found with a column while reading it
	extra   RowErrors          // problems not tied to a known column, in input order
}

func (b *rowBuilder) reset(line int) {
	*b = rowBuilder{opts: b.opts, line: line, extra: b.extra[:0]}
}

// set records a column's value, trimmed. Invalid UTF-8 is a problem of the column.
func (b *rowBuilder) set(c column, v string) {
	b.present[c] = true
	if !utf8.ValidString(v) {
		b.fail(c, c.String()+" is not valid UTF-8")
		return
	}
	b.val[c] = strings.TrimSpace(v)
}

// fail records a problem with a column; only the first one counts.
func (b *rowBuilder) fail(c column, reason string) {
	if b.problem[c] == "" {
		b.problem[c] = reason
	}
}

// build checks the values and returns the row, or every problem of the row as a RowErrors.
func (b *rowBuilder) build() (Row, error) {
	row := Row{Line: b.line}
	row.OrderID = b.text(colOrderID, MaxIDLen, true)
	row.SKU = b.text(colSKU, MaxIDLen, true)
	row.Quantity = b.quantity()
	row.Customer = b.text(colCustomer, MaxCustomerLen, false)
	row.Priority = b.priority()
	row.Due = b.due()
	row.Notes = b.text(colNotes, MaxNotesLen, false)
	if b.opts.location {
		row.Lat = b.degrees(colLat, 90)
		row.Lon = b.degrees(colLon, 180)
		row.HasLocation = true
	}

	var errs RowErrors
	for c := range numColumns {
		if b.problem[c] != "" {
			errs = append(errs, RowError{Line: b.line, Column: c.String(), Reason: b.problem[c]})
		}
	}
	errs = append(errs, b.extra...)
	if len(errs) > 0 {
		return Row{}, errs
	}
	return row, nil
}

// text checks a string column: required columns must not be empty, and ids must not hold
// control characters (they end up in logs, labels and URLs) nor be "." or "..".
func (b *rowBuilder) text(c column, maxLen int, isID bool) string {
	if b.problem[c] != "" {
		return ""
	}
	v := b.val[c]
	if v == "" {
		if b.opts.required(c) {
			b.fail(c, c.String()+" is missing")
		}
		return ""
	}
	if n := utf8.RuneCountInString(v); n > maxLen {
		b.fail(c, fmt.Sprintf("%s is %d characters long, at most %d are allowed", c, n, maxLen))
		return ""
	}
	if isID {
		if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v[i:])
			b.fail(c, fmt.Sprintf("%s %s contains a control character (%U)", c, quote(v), r))
			return ""
		}
		// Any other id is reached at /api/v1/orders/<id, percent-encoded>; these two are path
		// segments that browsers and curl resolve away before the request leaves.
		if v == "." || v == ".." {
			b.fail(c, fmt.Sprintf("%s %s cannot be an id: it is a path segment that no URL can name; use letters or digits", c, quote(v)))
			return ""
		}
	}
	return v
}

// quantity checks that the quantity is a positive base-10 integer: digits only, so that
// "1.5", "+3", "1e3" and "0x10" are refused rather than guessed at.
func (b *rowBuilder) quantity() int {
	c := colQuantity
	if b.problem[c] != "" {
		return 0
	}
	v := b.val[c]
	if v == "" {
		b.fail(c, "quantity is missing")
		return 0
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			b.fail(c, fmt.Sprintf("quantity %s is not a positive integer", quote(v)))
			return 0
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	switch {
	case err != nil || n > MaxQuantity: // only a range error is possible here
		b.fail(c, fmt.Sprintf("quantity %s is more than %d", quote(v), MaxQuantity))
		return 0
	case n == 0:
		b.fail(c, fmt.Sprintf("quantity %s is not a positive integer", quote(v)))
		return 0
	}
	return int(n)
}

func (b *rowBuilder) priority() int {
	c := colPriority
	v := b.val[c]
	if b.problem[c] != "" || v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err == nil && n >= MinPriority && n <= MaxPriority {
		return n
	}
	if err == nil || errors.Is(err, strconv.ErrRange) {
		b.fail(c, fmt.Sprintf("priority %s is outside %d..%d", quote(v), MinPriority, MaxPriority))
	} else {
		b.fail(c, fmt.Sprintf("priority %s is not an integer", quote(v)))
	}
	return 0
}

func (b *rowBuilder) due() time.Time {
	c := colDue
	v := b.val[c]
	if b.problem[c] != "" || v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	b.fail(c, fmt.Sprintf("due %s is not a date (YYYY-MM-DD) or an RFC 3339 time (2006-01-02T15:04:05Z07:00)", quote(v)))
	return time.Time{}
}

// degrees checks a coordinate: a decimal number (an exponent allowed, as JSON encoders write
// small numbers) within -limit..limit; not a hexadecimal float, an infinity or NaN.
func (b *rowBuilder) degrees(c column, limit float64) float64 {
	if b.problem[c] != "" {
		return 0
	}
	v := b.val[c]
	if v == "" {
		b.fail(c, c.String()+" is missing")
		return 0
	}
	if strings.Trim(v, "0123456789.+-eE") != "" {
		b.fail(c, fmt.Sprintf("%s %s is not a decimal number of degrees", c, quote(v)))
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		b.fail(c, fmt.Sprintf("%s %s is not a decimal number of degrees", c, quote(v)))
		return 0
	case err != nil || f < -limit || f > limit:
		b.fail(c, fmt.Sprintf("%s %s is outside -%g..%g degrees", c, quote(v), limit, limit))
		return 0
	}
	return f
}

// maxQuoted is how much of a value a reason repeats, so that a megabyte of junk in a
// quantity does not become a megabyte of error message.
const maxQuoted = 40

// quote returns v in Go quotes (control characters escaped), cut to maxQuoted characters.
func quote(v string) string {
	if utf8.RuneCountInString(v) <= maxQuoted {
		return strconv.Quote(v)
	}
	n := 0
	for i := range v {
		if n == maxQuoted {
			return strconv.Quote(v[:i]) + "..."
		}
		n++
	}
	return strconv.Quote(v)
}
