package sqlite

import (
	"database/sql"
	"fmt"

	"github.com/cellforge/cellforge/book"
)

// Makers' notes and photos (migration 0009). Each method runs one statement; a work order's
// are read from its index, by time and then id.

// Notes returns the notes of every operation of a work order, by time and then id.
func (t *readTx) Notes(workOrder int64) ([]book.Note, error) {
	rows, err := t.query(`SELECT id, operation, work_order, unit, text, author, at, private FROM notes
		WHERE work_order = ? ORDER BY at, id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the notes of work order %d: %w", workOrder, err)
	}
	notes, err := collect(t.ctx, rows, func(sc scanner) (book.Note, error) {
		var n book.Note
		var unit sql.NullInt64
		var at int64
		err := sc.Scan(&n.ID, &n.Operation, &n.WorkOrder, &unit, &n.Text, &n.Author, &at, &n.Private)
		n.Unit, n.At = int(unit.Int64), fromMicros(at)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the notes of work order %d: %w", workOrder, err)
	}
	return notes, nil
}

// Photos returns the photo records of every operation of a work order, by time and then id.
func (t *readTx) Photos(workOrder int64) ([]book.Photo, error) {
	rows, err := t.query(`SELECT id, operation, work_order, unit, sha256, media_type, width, height, caption, author, at, private
		FROM photos WHERE work_order = ? ORDER BY at, id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the photos of work order %d: %w", workOrder, err)
	}
	photos, err := collect(t.ctx, rows, func(sc scanner) (book.Photo, error) {
		var p book.Photo
		var unit sql.NullInt64
		var at int64
		err := sc.Scan(&p.ID, &p.Operation, &p.WorkOrder, &unit, &p.Hash, &p.MediaType, &p.Width, &p.Height,
			&p.Caption, &p.Author, &at, &p.Private)
		p.Unit, p.At = int(unit.Int64), fromMicros(at)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the photos of work order %d: %w", workOrder, err)
	}
	return photos, nil
}

// PhotoRecorded reports whether any photo record names the hash.
func (t *readTx) PhotoRecorded(hash string) (bool, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM (SELECT 1 FROM photos WHERE sha256 = ? LIMIT 1)`, hash).Scan(&n); err != nil {
		return false, fmt.Errorf("looking up photo %s: %w", hash, err)
	}
	return n > 0, nil
}

// InsertNote stores a maker's note, setting its id.
func (t *writeTx) InsertNote(n *book.Note) error {
	res, err := t.exec(`INSERT INTO notes (operation, work_order, unit, text, author, at, private) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		n.Operation, n.WorkOrder, nullInt64(int64(n.Unit)), n.Text, string(n.Author), micros(n.At), n.Private)
	if err != nil {
		return fmt.Errorf("storing a note on operation %d: %w", n.Operation, err)
	}
	if n.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("storing a note on operation %d: %w", n.Operation, err)
	}
	return nil
}

// InsertPhoto stores the record of a maker's photo, setting its id.
func (t *writeTx) InsertPhoto(p *book.Photo) error {
	res, err := t.exec(`INSERT INTO photos (operation, work_order, unit, sha256, media_type, width, height, caption, author, at, private)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Operation, p.WorkOrder, nullInt64(int64(p.Unit)), p.Hash, p.MediaType, p.Width, p.Height, p.Caption,
		string(p.Author), micros(p.At), p.Private)
	if err != nil {
		return fmt.Errorf("recording photo %s of operation %d: %w", p.Hash, p.Operation, err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("recording photo %s of operation %d: %w", p.Hash, p.Operation, err)
	}
	return nil
}
