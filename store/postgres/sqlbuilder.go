package postgres

import (
	"fmt"
	"strings"
)

// sqlBuilder is a statement built term by term, for the reads whose filters add terms, with
// its arguments numbered $1, $2, ... as they are added.
type sqlBuilder struct {
	strings.Builder
	args []any
}

// arg adds v to the arguments and returns its placeholder.
func (q *sqlBuilder) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}
