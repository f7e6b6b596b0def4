package pgutil

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQL is a statement built term by term, for the reads whose filters add terms, with its
// arguments numbered $1, $2, ... as they are added.
type SQL struct {
	strings.Builder
	Args []any
}

// Arg adds v to the arguments and returns its placeholder.
func (q *SQL) Arg(v any) string {
	q.Args = append(q.Args, v)
	return fmt.Sprintf("$%d", len(q.Args))
}

// Collect reads every row of rows with scan, closing rows; the error is classified (see
// Classify).
func Collect[T any](rows pgx.Rows, scan func(pgx.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, Classify(err)
		}
		out = append(out, v)
	}
	return out, Classify(rows.Err())
}
