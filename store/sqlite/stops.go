package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// Stops (migration 0016): the intervals a cell did not make good product, one open per cell at
// most (the unique partial index stops_open), and the reasons given for them.

const stopCols = `id, cell, kind, operation, detail, start_at, end_at, reason, reason_by, reason_at, auto`

func scanStop(sc scanner) (book.Stop, error) {
	var s book.Stop
	var start int64
	var op, end, reasonAt sql.NullInt64
	err := sc.Scan(&s.ID, &s.Cell, &s.Kind, &op, &s.Detail, &start, &end, &s.Reason, &s.ReasonBy, &reasonAt, &s.Auto)
	s.Operation, s.Start, s.End, s.ReasonAt = op.Int64, fromMicros(start), fromNullMicros(end), fromNullMicros(reasonAt)
	return s, err
}

// OpenStop returns the stop of a cell that has not ended, or ok false.
func (t *readTx) OpenStop(cell string) (book.Stop, bool, error) {
	s, err := scanStop(t.queryRow(`SELECT `+stopCols+` FROM stops WHERE cell = ? AND end_at IS NULL`, cell))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return book.Stop{}, false, nil
	case err != nil:
		return book.Stop{}, false, fmt.Errorf("reading the open stop of cell %s: %w", cell, err)
	}
	return s, true, nil
}

// Stop returns the stop with an id, or an error wrapping book.ErrNotFound.
func (t *readTx) Stop(id int64) (book.Stop, error) {
	s, err := scanStop(t.queryRow(`SELECT `+stopCols+` FROM stops WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return book.Stop{}, fmt.Errorf("stop %d: %w", id, book.ErrNotFound)
	case err != nil:
		return book.Stop{}, fmt.Errorf("reading stop %d: %w", id, err)
	}
	return s, nil
}

// Stops returns the stops f selects, by start and then id.
func (t *readTx) Stops(f book.StopFilter) ([]book.Stop, error) {
	q, args := stopsQuery(f)
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading stops: %w", err)
	}
	stops, err := collect(t.ctx, rows, scanStop)
	if err != nil {
		return nil, fmt.Errorf("reading stops: %w", err)
	}
	return stops, nil
}

// stopsQuery is the query of Stops with only the terms in use. A window's start selects the
// stops that end after it through the index of ends (stops_cell_end, stops_end) and the open
// ones through stops_open: a stop's start bounds nothing from below, since a stop may last
// long, so the index of starts would read every stop before the window's end. The unary +
// keeps SQLite from taking the index of starts all the same.
func stopsQuery(f book.StopFilter) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT ` + stopCols + ` FROM stops WHERE id > ?`)
	args := []any{f.AfterID}
	plus := ""
	if !f.From.IsZero() {
		plus = "+"
	}
	if f.Cell != "" {
		q.WriteString(` AND ` + plus + `cell = ?`)
		args = append(args, f.Cell)
	}
	if !f.To.IsZero() {
		q.WriteString(` AND ` + plus + `start_at < ?`)
		args = append(args, microsAtLeast(f.To))
	}
	if !f.From.IsZero() {
		if f.Cell != "" {
			q.WriteString(` AND id IN (SELECT id FROM stops WHERE cell = ? AND end_at > ?
				UNION ALL SELECT id FROM stops WHERE cell = ? AND end_at IS NULL)`)
			args = append(args, f.Cell, micros(f.From), f.Cell)
		} else {
			q.WriteString(` AND id IN (SELECT id FROM stops WHERE end_at > ? UNION ALL SELECT id FROM stops WHERE end_at IS NULL)`)
			args = append(args, micros(f.From))
		}
	}
	if f.Unexplained {
		q.WriteString(` AND end_at IS NOT NULL AND reason = '' AND kind <> ?`)
		args = append(args, string(book.StopNoWork))
	}
	q.WriteString(` ORDER BY start_at, id LIMIT ?`)
	args = append(args, sqlLimit(f.Limit))
	return q.String(), args
}

// PromptStops returns up to limit (all when limit <= 0) stops of a cell that ended at or after
// endedSince, lasted at least minimum, are not of kind no-work and have no reason: newest end
// first, then highest id.
func (t *readTx) PromptStops(cell string, endedSince time.Time, minimum time.Duration, limit int) ([]book.Stop, error) {
	rows, err := t.query(`SELECT `+stopCols+` FROM stops
		WHERE cell = ? AND end_at IS NOT NULL AND end_at >= ? AND end_at - start_at >= ? AND reason = '' AND kind <> ?
		ORDER BY end_at DESC, id DESC LIMIT ?`,
		cell, microsAtLeast(endedSince), minimum.Microseconds(), string(book.StopNoWork), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading the stops of cell %s awaiting a reason: %w", cell, err)
	}
	stops, err := collect(t.ctx, rows, scanStop)
	if err != nil {
		return nil, fmt.Errorf("reading the stops of cell %s awaiting a reason: %w", cell, err)
	}
	return stops, nil
}

// InsertStop stores a new stop and sets its ID. A second open stop of a cell is refused.
func (t *writeTx) InsertStop(s *book.Stop) error {
	res, err := t.exec(`INSERT INTO stops (`+strings.TrimPrefix(stopCols, "id, ")+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Cell, string(s.Kind), nullInt64(s.Operation), s.Detail, micros(s.Start), nullMicros(s.End),
		s.Reason, s.ReasonBy, nullMicros(s.ReasonAt), s.Auto)
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
		return fmt.Errorf("opening a stop of cell %s: the cell has an open stop already: %w", s.Cell, err)
	}
	if err != nil {
		return fmt.Errorf("opening a stop of cell %s: %w", s.Cell, err)
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("opening a stop of cell %s: %w", s.Cell, err)
	}
	return nil
}

// EndStop ends an open stop at end; a stop that does not exist or has ended is an error
// wrapping book.ErrNotFound.
func (t *writeTx) EndStop(id int64, end time.Time) error {
	res, err := t.exec(`UPDATE stops SET end_at = ? WHERE id = ? AND end_at IS NULL`, micros(end), id)
	if err != nil {
		return fmt.Errorf("ending stop %d: %w", id, err)
	}
	return oneRow(res, fmt.Sprintf("ending open stop %d", id))
}

// SetStopReason records the reason of a stop, who gave it, when, and whether it came with the
// condition; an unknown stop is an error wrapping book.ErrNotFound.
func (t *writeTx) SetStopReason(id int64, reason, by string, at time.Time, auto bool) error {
	res, err := t.exec(`UPDATE stops SET reason = ?, reason_by = ?, reason_at = ?, auto = ? WHERE id = ?`,
		reason, by, micros(at), auto, id)
	if err != nil {
		return fmt.Errorf("giving stop %d its reason: %w", id, err)
	}
	return oneRow(res, fmt.Sprintf("giving stop %d its reason", id))
}

// oneRow checks that a statement changed exactly one row: none is an error wrapping
// book.ErrNotFound.
func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, book.ErrNotFound)
	}
	return nil
}
