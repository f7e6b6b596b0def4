package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// Makers' notes and photos. Each method runs one statement; a work order's are read from its
// index, by time and then id.

// Notes returns the notes of every operation of a work order, by time and then id.
func (t *readTx) Notes(workOrder int64) ([]book.Note, error) {
	rows, err := t.query(`SELECT id, operation, work_order, coalesce(unit, 0), text, author, at, private = 1 FROM notes
		WHERE work_order = $1 ORDER BY at, id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the notes of work order %d: %w", workOrder, err)
	}
	notes, err := collect(rows, func(r pgx.Rows) (book.Note, error) {
		var n book.Note
		var at int64
		err := r.Scan(&n.ID, &n.Operation, &n.WorkOrder, &n.Unit, &n.Text, &n.Author, &at, &n.Private)
		n.At = fromMicros(at)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the notes of work order %d: %w", workOrder, err)
	}
	return notes, nil
}

// Photos returns the photo records of every operation of a work order, by time and then id.
func (t *readTx) Photos(workOrder int64) ([]book.Photo, error) {
	rows, err := t.query(`SELECT id, operation, work_order, coalesce(unit, 0), sha256, media_type, width, height, caption,
			author, at, private = 1
		FROM photos WHERE work_order = $1 ORDER BY at, id`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("reading the photos of work order %d: %w", workOrder, err)
	}
	photos, err := collect(rows, func(r pgx.Rows) (book.Photo, error) {
		var p book.Photo
		var at int64
		err := r.Scan(&p.ID, &p.Operation, &p.WorkOrder, &p.Unit, &p.Hash, &p.MediaType, &p.Width, &p.Height,
			&p.Caption, &p.Author, &at, &p.Private)
		p.At = fromMicros(at)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the photos of work order %d: %w", workOrder, err)
	}
	return photos, nil
}

// PhotoRecorded reports whether any photo record names the hash.
func (t *readTx) PhotoRecorded(hash string) (bool, error) {
	var found bool
	if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1)`, hash).Scan(&found); err != nil {
		return false, fmt.Errorf("looking up photo %s: %w", hash, err)
	}
	return found, nil
}

// InsertNote stores a maker's note, setting its id. Unit 0 (the operation as a whole) is
// stored as NULL; a negative unit or an unknown operation is refused by the schema.
func (t *writeTx) InsertNote(n *book.Note) error {
	err := t.queryRow(`INSERT INTO notes (operation, work_order, unit, text, author, at, private)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		n.Operation, n.WorkOrder, unitOrNull(n.Unit), n.Text, string(n.Author), micros(n.At), bit(n.Private)).Scan(&n.ID)
	if err != nil {
		return fmt.Errorf("storing a note on operation %d: %w", n.Operation, err)
	}
	return nil
}

// InsertPhoto stores the record of a maker's photo, setting its id. A hash that is not 64
// characters long is refused by the schema.
func (t *writeTx) InsertPhoto(p *book.Photo) error {
	err := t.queryRow(`INSERT INTO photos (operation, work_order, unit, sha256, media_type, width, height, caption, author,
			at, private)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.Operation, p.WorkOrder, unitOrNull(p.Unit), p.Hash, p.MediaType, p.Width, p.Height, p.Caption,
		string(p.Author), micros(p.At), bit(p.Private)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("recording photo %s of operation %d: %w", p.Hash, p.Operation, err)
	}
	return nil
}

// unitOrNull is a unit number as notes and photos store it: NULL for 0, the operation as a
// whole.
func unitOrNull(unit int) *int64 {
	if unit == 0 {
		return nil
	}
	n := int64(unit)
	return &n
}
