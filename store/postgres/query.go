package postgres

import (
	"strconv"
	"strings"
)

// query builds a statement of optional terms, numbering their parameters $1, $2, ... in the
// order they are added.
type query struct {
	sql  strings.Builder
	args []any
}

// add appends sql and then the placeholder of arg.
func (q *query) add(sql string, arg any) {
	q.args = append(q.args, arg)
	q.sql.WriteString(sql)
	q.sql.WriteString("$" + strconv.Itoa(len(q.args)))
}

// limit is a LIMIT parameter: none (NULL) when n <= 0, as the book's filters mean it.
func limit(n int) *int64 {
	if n <= 0 {
		return nil
	}
	v := int64(n)
	return &v
}

// nullString stores "" as NULL, for the columns that partial indexes leave out when empty.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nullInt64 stores 0 as NULL, for the columns that partial indexes leave out when empty.
func nullInt64(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
