package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// bom is the UTF-8 byte order mark that spreadsheet programs put at the start of a file.
var bom = []byte("\xef\xbb\xbf")

// CSVReader reads a CSV batch: a header row naming the columns, then one order per record.
type CSVReader struct {
	cr   *csv.Reader
	lim  *recordLimiter
	cols []column // the column of each field, in header order
	b    rowBuilder
	err  error // a read error, returned from then on
	// dropped counts the line breaks the limiter left out so far: encoding/csv counts lines
	// without them.
	dropped int
}

// NewCSV reads the header of a CSV batch and returns a reader of its rows.
//
// The header names the columns in any order: order_id, sku and quantity are required;
// customer, priority, due and notes are optional; WithLocation, lat and lon are required too.
// Names are trimmed and compared without case.
// An unknown, duplicate, empty or missing column, or an empty batch, is a RowErrors whose
// elements have the header's line (1 unless blank lines precede it) and the column's name. A
// leading byte order mark is skipped; lines may end in LF or CRLF; fields are quoted as in
// RFC 4180. A record longer than MaxRowBytes is a bad row (or a bad header). Any other error is
// from reading r.
func NewCSV(r io.Reader, opts ...Option) (*CSVReader, error) {
	return newCSV(r, MaxRowBytes, opts...)
}

// newCSV is NewCSV with records of at most maxRow bytes.
func newCSV(r io.Reader, maxRow int, opts ...Option) (*CSVReader, error) {
	o := readOptions(opts)
	br, err := skipBOM(r)
	if err != nil {
		return nil, fmt.Errorf("reading the CSV batch: %w", err)
	}
	lim := newRecordLimiter(br, maxRow)
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1 // a row with the wrong number of fields is a row error, not the end
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, RowErrors{{Line: 1, Reason: "the batch is empty: a header row naming the columns is required"}}
	}
	wasCut, _ := lim.passed(cr.InputOffset())
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && wasCut:
		return nil, RowErrors{{Line: pe.StartLine, Reason: "header: " + tooLongReason}}
	case errors.As(err, &pe):
		return nil, RowErrors{{Line: pe.StartLine, Reason: "header: " + csvSyntaxReason(pe)}}
	case err != nil:
		return nil, fmt.Errorf("reading the CSV batch: %w", err)
	}
	line, _ := cr.FieldPos(0)
	if wasCut {
		return nil, RowErrors{{Line: line, Reason: "header: " + tooLongReason}}
	}
	cols, errs := o.parseHeader(line, header)
	if len(errs) > 0 {
		return nil, errs
	}
	return &CSVReader{cr: cr, lim: lim, cols: cols, b: rowBuilder{opts: o}}, nil
}

// skipBOM returns a reader of r without a leading byte order mark.
func skipBOM(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReader(r)
	p, err := br.Peek(len(bom))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.Equal(p, bom) {
		_, _ = br.Discard(len(bom)) // cannot fail: the bytes are buffered
	}
	return br, nil
}

func (o options) parseHeader(line int, header []string) ([]column, RowErrors) {
	var (
		errs RowErrors
		cols = make([]column, len(header))
		seen [numColumns]bool
	)
	for i, h := range header {
		if !utf8.ValidString(h) {
			errs = append(errs, RowError{Line: line, Reason: fmt.Sprintf("header: column %d is not valid UTF-8", i+1)})
			continue
		}
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			errs = append(errs, RowError{Line: line, Reason: fmt.Sprintf("header: column %d has no name", i+1)})
			continue
		}
		c, ok := o.column(name)
		if !ok {
			errs = append(errs, RowError{Line: line, Column: strings.TrimSpace(h),
				Reason: fmt.Sprintf("header: unknown column %s; the columns are %s", quote(strings.TrimSpace(h)), o.columnList())})
			continue
		}
		if seen[c] {
			errs = append(errs, RowError{Line: line, Column: c.String(), Reason: fmt.Sprintf("header: column %q appears twice", c)})
			continue
		}
		seen[c] = true
		cols[i] = c
	}
	for c := range numColumns {
		if o.required(c) && !seen[c] {
			errs = append(errs, RowError{Line: line, Column: c.String(), Reason: fmt.Sprintf("header: required column %q is missing", c)})
		}
	}
	return cols, errs
}

// Next returns the next row; see Reader.
func (r *CSVReader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	rec, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return Row{}, io.EOF
	}
	// The lines encoding/csv gives lack those the limiter left out before this record.
	before := r.dropped
	wasCut, dropped := r.lim.passed(r.cr.InputOffset())
	r.dropped += dropped
	if err != nil {
		// encoding/csv drops the rest of the record's last line after a syntax error and
		// starts the next record on the line after, so reading can go on.
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			at := *pe
			at.StartLine += before
			at.Line += before
			if wasCut {
				return Row{}, RowErrors{{Line: at.StartLine, Reason: tooLongReason}}
			}
			return Row{}, RowErrors{{Line: at.StartLine, Reason: csvSyntaxReason(&at)}}
		}
		r.err = fmt.Errorf("reading the CSV batch: %w", err)
		return Row{}, r.err
	}
	line, _ := r.cr.FieldPos(0)
	line += before
	if wasCut {
		return Row{}, RowErrors{{Line: line, Reason: tooLongReason}}
	}
	if len(rec) != len(r.cols) {
		return Row{}, RowErrors{{Line: line, Reason: fmt.Sprintf("the row has %d fields, the header has %d", len(rec), len(r.cols))}}
	}
	r.b.reset(line)
	for i, v := range rec {
		r.b.set(r.cols[i], v)
	}
	return r.b.build()
}

// csvSyntaxReason explains a CSV syntax error; the error's line is where the record starts, so
// the reason says where in the record the problem is.
func csvSyntaxReason(pe *csv.ParseError) string {
	at := fmt.Sprintf("at line %d, byte %d", pe.Line, pe.Column)
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`CSV syntax error %s: a " in an unquoted field; quote the whole field and double the " inside it`, at)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`CSV syntax error %s: a quoted field has a stray " or no closing "`, at)
	}
	return fmt.Sprintf("CSV syntax error %s: %v", at, pe.Err)
}
