package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyTable streams the source's rows of t into the target with COPY, in primary-key order,
// and returns their count and checksum as read from the source.
func (c *copier) copyTable(ctx context.Context, tx pgx.Tx, t copyTable) (tableSum, error) {
	cols := make([]string, len(t.columns))
	for i, col := range t.columns {
		cols[i] = quoteSQLite(col.name)
	}
	order := make([]string, len(t.key))
	for i, k := range t.key {
		order[i] = quoteSQLite(k) + " COLLATE BINARY" // byte order, as PostgreSQL's "C"
	}
	rows, err := c.src.QueryContext(context.WithoutCancel(ctx), "SELECT "+strings.Join(cols, ", ")+
		" FROM "+quoteSQLite(t.name)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return tableSum{}, fmt.Errorf("reading the source: %w", err)
	}
	defer rows.Close()
	src := newSourceRows(ctx, rows, t)
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.names(), src)
	if serr := src.Err(); serr != nil {
		return tableSum{}, serr // the cause of COPY's error, when it is the source's
	}
	if err != nil {
		return tableSum{}, fmt.Errorf("copying rows: %w", classify(err))
	}
	sum := src.sum.result()
	if n != sum.rows {
		return tableSum{}, fmt.Errorf("COPY took %d rows of the source's %d", n, sum.rows)
	}
	return sum, nil
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// sourceRows is a pgx.CopyFromSource of a source table's rows, converted for PostgreSQL and
// summed as they go by. It holds one row at a time.
type sourceRows struct {
	ctx  context.Context
	rows *sql.Rows
	t    copyTable
	raw  []any // as read from SQLite
	ptrs []any // to raw, for Scan
	vals []any // as COPY sends them
	sum  *rowHash
	err  error
}

func newSourceRows(ctx context.Context, rows *sql.Rows, t copyTable) *sourceRows {
	s := &sourceRows{ctx: ctx, rows: rows, t: t, raw: make([]any, len(t.columns)),
		ptrs: make([]any, len(t.columns)), vals: make([]any, len(t.columns)), sum: newRowHash()}
	for i := range s.raw {
		s.ptrs[i] = &s.raw[i]
	}
	return s
}

// Next reads the next row; it stops at the first error, which Err returns.
func (s *sourceRows) Next() bool {
	if s.err != nil {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return false
	}
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			s.err = fmt.Errorf("reading the source: %w", err)
		}
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = fmt.Errorf("reading the source: %w", err)
		return false
	}
	for i, col := range s.t.columns {
		v, err := convert(s.raw[i], col.kind)
		if err != nil {
			s.err = fmt.Errorf("row %s: column %s: %w", s.key(), col.name, err)
			return false
		}
		s.vals[i] = v
	}
	if err := s.sum.add(s.vals); err != nil {
		s.err = fmt.Errorf("row %s: %w", s.key(), err)
		return false
	}
	return true
}

// key names the current row by its primary key, for an error.
func (s *sourceRows) key() string {
	parts := make([]string, 0, len(s.t.key))
	for _, k := range s.t.key {
		for i, col := range s.t.columns {
			if col.name == k {
				parts = append(parts, fmt.Sprintf("%s=%s", k, preview(s.raw[i])))
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Values is the current row, valid until the next call of Next.
func (s *sourceRows) Values() ([]any, error) { return s.vals, nil }

// Err is the error that stopped Next, nil at the end of the rows.
func (s *sourceRows) Err() error { return s.err }

// checkTable reads t's rows back from the target in primary-key order and returns their count
// and checksum, computed as the source's.
func checkTable(ctx context.Context, tx pgx.Tx, t copyTable) (tableSum, error) {
	cols := make([]string, len(t.columns))
	kinds := make(map[string]valueKind, len(t.columns))
	for i, col := range t.columns {
		cols[i] = pgx.Identifier{col.name}.Sanitize()
		kinds[col.name] = col.kind
	}
	order := make([]string, len(t.key))
	for i, k := range t.key {
		order[i] = pgx.Identifier{k}.Sanitize()
		if kinds[k] == kindText {
			order[i] += ` COLLATE "C"` // byte order, as SQLite's BINARY
		}
	}
	rows, err := tx.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+pgx.Identifier{t.name}.Sanitize()+
		" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return tableSum{}, classify(err)
	}
	defer rows.Close()
	sum := newRowHash()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return tableSum{}, err
		}
		if err := sum.add(vals); err != nil {
			return tableSum{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return tableSum{}, classify(err)
	}
	return sum.result(), nil
}

// setSequences sets the sequence of every identity column past the largest id of its table,
// or past SQLite's AUTOINCREMENT counter when that is larger (ids of deleted rows are not
// given again), so that the next row takes the id SQLite would have given it.
func (c *copier) setSequences(ctx context.Context, tx pgx.Tx, tables []copyTable) error {
	for _, t := range tables {
		for _, col := range t.columns {
			if !col.identity {
				continue
			}
			var largest int64
			err := tx.QueryRow(ctx, "SELECT COALESCE(max("+pgx.Identifier{col.name}.Sanitize()+"), 0) FROM "+
				pgx.Identifier{t.name}.Sanitize()).Scan(&largest)
			if err != nil {
				return fmt.Errorf("reading the largest id of %s: %w", t.name, classify(err))
			}
			largest = max(largest, c.autoincrement[t.name])
			if largest == 0 {
				continue // the sequence gives 1 first, as SQLite would
			}
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3)`,
				pgx.Identifier{t.name}.Sanitize(), col.name, largest); err != nil {
				return fmt.Errorf("setting the sequence of %s.%s: %w", t.name, col.name, classify(err))
			}
		}
	}
	return nil
}
