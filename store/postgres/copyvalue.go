package postgres

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"unicode/utf8"
)

// valueKind is the kind of value a copied column holds, one per PostgreSQL type the schema
// uses.
type valueKind int

const (
	kindInt valueKind = iota
	kindFloat
	kindText
	kindBytes
)

// kindOf maps information_schema's data_type to the kind of its values.
func kindOf(dataType string) (valueKind, bool) {
	switch dataType {
	case "bigint", "integer", "smallint":
		return kindInt, true
	case "double precision":
		return kindFloat, true
	case "text", "character varying":
		return kindText, true
	case "bytea":
		return kindBytes, true
	}
	return 0, false
}

// convert returns v, a value read from SQLite, as PostgreSQL's column of kind takes it. SQLite
// stores what it is given whatever the column's type; a value that would not be the same value
// in PostgreSQL is an error, not a guess.
func convert(v any, kind valueKind) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case kindInt:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case kindFloat:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64: // a REAL column's integral value, stored as an integer
			return float64(n), nil
		}
	case kindText:
		switch s := v.(type) {
		case string:
			if err := checkText(s); err != nil {
				return nil, err
			}
			return s, nil
		case []byte:
			if err := checkText(string(s)); err != nil {
				return nil, fmt.Errorf("a blob in a text column: %w", err)
			}
			return string(s), nil
		}
	case kindBytes:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	}
	return nil, fmt.Errorf("%T value %s in a %s column", v, preview(v), kind)
}

// checkText fails for text PostgreSQL cannot store: not UTF-8, or holding a NUL.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("text %s is not UTF-8", preview(s))
	}
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		return fmt.Errorf("text %s holds a NUL byte at %d", preview(s), i)
	}
	return nil
}

// preview is v for an error message, cut short.
func preview(v any) string {
	s := fmt.Sprintf("%q", fmt.Sprint(v))
	if b, ok := v.([]byte); ok {
		s = fmt.Sprintf("%x", b)
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

func (k valueKind) String() string {
	return [...]string{"integer", "float", "text", "bytea"}[k]
}

// tableSum is the row count and the checksum of a table's rows.
type tableSum struct {
	rows int64
	sum  [sha256.Size]byte
}

func (s tableSum) hex() string { return hex.EncodeToString(s.sum[:]) }

// rowHash sums a table's rows, one at a time, in the order they are given.
type rowHash struct {
	h    hash.Hash
	rows int64
	buf  []byte
}

func newRowHash() *rowHash { return &rowHash{h: sha256.New()} }

// add adds a row of values, as convert returns them or pgx reads them.
func (r *rowHash) add(values []any) error {
	r.buf = r.buf[:0]
	for _, v := range values {
		var err error
		if r.buf, err = encodeValue(r.buf, v); err != nil {
			return err
		}
	}
	r.h.Write(r.buf)
	r.rows++
	return nil
}

func (r *rowHash) result() tableSum {
	s := tableSum{rows: r.rows}
	r.h.Sum(s.sum[:0])
	return s
}

// encodeValue appends v's canonical encoding to b: a tag for its type, then its value, text
// and bytes prefixed with their length, so that the encoding of a row tells its values apart
// (NULL, 0, "" and an empty blob all differ, and no two rows' values run into each other).
func encodeValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, 'n'), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(x)), nil
	case int32:
		return encodeValue(b, int64(x))
	case int16:
		return encodeValue(b, int64(x))
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x)), nil
	case float32:
		return encodeValue(b, float64(x))
	case string:
		b = binary.AppendUvarint(append(b, 's'), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, 'b'), uint64(len(x)))
		return append(b, x...), nil
	}
	return b, fmt.Errorf("no canonical encoding for a %T", v)
}
