package postgres

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// Stops: the intervals a cell did not make good product, one open per cell at most (the unique
// partial index stops_open), and the reasons given for them.

const stopCols = `id, cell, kind, operation, detail, start_at, end_at, reason, reason_by, reason_at, auto`

func scanStop(sc pgx.Row) (book.Stop, error) {
	var s book.Stop
	var kind string
	var start, auto int64
	var op, end, reasonAt *int64
	if err := sc.Scan(&s.ID, &s.Cell, &kind, &op, &s.Detail, &start, &end, &s.Reason, &s.ReasonBy, &reasonAt, &auto); err != nil {
		return book.Stop{}, err
	}
	s.Kind, s.Start, s.End, s.ReasonAt, s.Auto = book.StopKind(kind), fromMicros(start), fromNullMicros(end), fromNullMicros(reasonAt), auto != 0
	if op != nil {
		s.Operation = *op
	}
	return s, nil
}

func scanStops(rows pgx.Rows) (book.Stop, error) { return scanStop(rows) }

// OpenStop returns the stop of a cell that has not ended, or ok false.
func (t *readTx) OpenStop(cell string) (book.Stop, bool, error) {
	s, err := scanStop(t.queryRow(`SELECT `+stopCols+` FROM stops WHERE cell = $1 AND end_at IS NULL`, cell))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return book.Stop{}, false, nil
	case err != nil:
		return book.Stop{}, false, fmt.Errorf("reading the open stop of cell %s: %w", cell, err)
	}
	return s, true, nil
}

// Stop returns the stop with an id, or an error wrapping book.ErrNotFound.
func (t *readTx) Stop(id int64) (book.Stop, error) {
	s, err := scanStop(t.queryRow(`SELECT `+stopCols+` FROM stops WHERE id = $1`, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	stops, err := collect(rows, scanStops)
	if err != nil {
		return nil, fmt.Errorf("reading stops: %w", err)
	}
	return stops, nil
}

// stopsQuery is the query of Stops with only the terms in use. A window's start selects the
// stops that end after it through the index of ends (stops_cell_end, stops_end) and the open
// ones through stops_open: a stop's start bounds nothing from below, since a stop may last
// long, so the index of starts would read every stop before the window's end.
func stopsQuery(f book.StopFilter) (string, []any) {
	q := &pgutil.SQL{Args: []any{f.AfterID}}
	q.WriteString(`SELECT ` + stopCols + ` FROM stops WHERE id > $1`)
	if f.Cell != "" {
		q.WriteString(` AND cell = ` + q.Arg(f.Cell))
	}
	if !f.To.IsZero() {
		q.WriteString(` AND start_at < ` + q.Arg(microsAtLeast(f.To)))
	}
	if !f.From.IsZero() {
		from := q.Arg(micros(f.From))
		if f.Cell != "" {
			cell := q.Arg(f.Cell)
			q.WriteString(` AND id IN (SELECT id FROM stops WHERE cell = ` + cell + ` AND end_at > ` + from + `
				UNION ALL SELECT id FROM stops WHERE cell = ` + cell + ` AND end_at IS NULL)`)
		} else {
			q.WriteString(` AND id IN (SELECT id FROM stops WHERE end_at > ` + from + `
				UNION ALL SELECT id FROM stops WHERE end_at IS NULL)`)
		}
	}
	if f.Unexplained {
		q.WriteString(` AND end_at IS NOT NULL AND reason = '' AND kind <> ` + q.Arg(string(book.StopNoWork)))
	}
	q.WriteString(` ORDER BY start_at, id LIMIT ` + q.Arg(rowLimit(f.Limit)))
	return q.String(), q.Args
}

// promptStopsSQL selects a cell's stops awaiting a reason, newest end first, through the
// index of the cell's ends.
const promptStopsSQL = `SELECT ` + stopCols + ` FROM stops
	WHERE cell = $1 AND end_at IS NOT NULL AND end_at >= $2 AND end_at - start_at >= $3 AND reason = '' AND kind <> $4
	ORDER BY end_at DESC, id DESC LIMIT $5`

// PromptStops returns up to limit (all when limit <= 0) stops of a cell that ended at or after
// endedSince, lasted at least minimum, are not of kind no-work and have no reason: newest end
// first, then highest id.
func (t *readTx) PromptStops(cell string, endedSince time.Time, minimum time.Duration, limit int) ([]book.Stop, error) {
	rows, err := t.query(promptStopsSQL, cell, microsAtLeast(endedSince), minimum.Microseconds(), string(book.StopNoWork), rowLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("reading the stops of cell %s awaiting a reason: %w", cell, err)
	}
	stops, err := collect(rows, scanStops)
	if err != nil {
		return nil, fmt.Errorf("reading the stops of cell %s awaiting a reason: %w", cell, err)
	}
	return stops, nil
}

// InsertStop stores a new stop and sets its ID. A second open stop of a cell is refused by the
// unique index stops_open; ON CONFLICT keeps the refusal from failing the transaction, as a
// refused statement does not fail SQLite's.
func (t *writeTx) InsertStop(s *book.Stop) error {
	err := t.queryRow(`INSERT INTO stops (`+strings.TrimPrefix(stopCols, "id, ")+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (cell) WHERE end_at IS NULL DO NOTHING RETURNING id`,
		s.Cell, string(s.Kind), nullInt64(s.Operation), s.Detail, micros(s.Start), nullMicros(s.End),
		s.Reason, s.ReasonBy, nullMicros(s.ReasonAt), bit(s.Auto)).Scan(&s.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("opening a stop of cell %s: the cell has an open stop already", s.Cell)
	}
	if err != nil {
		return fmt.Errorf("opening a stop of cell %s: %w", s.Cell, err)
	}
	return nil
}

// EndStop ends an open stop at end; a stop that does not exist or has ended is an error
// wrapping book.ErrNotFound.
func (t *writeTx) EndStop(id int64, end time.Time) error {
	tag, err := t.exec(`UPDATE stops SET end_at = $1 WHERE id = $2 AND end_at IS NULL`, micros(end), id)
	if err != nil {
		return fmt.Errorf("ending stop %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("ending open stop %d: %w", id, book.ErrNotFound)
	}
	return nil
}

// SetStopReason records the reason of a stop, who gave it, when, and whether it came with the
// condition; an unknown stop is an error wrapping book.ErrNotFound.
func (t *writeTx) SetStopReason(id int64, reason, by string, at time.Time, auto bool) error {
	tag, err := t.exec(`UPDATE stops SET reason = $1, reason_by = $2, reason_at = $3, auto = $4 WHERE id = $5`,
		reason, by, micros(at), bit(auto), id)
	if err != nil {
		return fmt.Errorf("giving stop %d its reason: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("giving stop %d its reason: %w", id, book.ErrNotFound)
	}
	return nil
}
