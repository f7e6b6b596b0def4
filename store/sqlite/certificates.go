package sqlite

import (
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// CertificateRevisions returns every revision of the certificate of the unit serial, by number.
func (t *readTx) CertificateRevisions(serial string) ([]book.CertificateRevision, error) {
	rows, err := t.query(`SELECT number, form, hash, issued_at FROM certificate_revisions
		WHERE serial = ? ORDER BY number`, serial)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
	}
	defer rows.Close()
	var out []book.CertificateRevision
	for rows.Next() {
		r := book.CertificateRevision{Serial: serial}
		var at int64
		if err := rows.Scan(&r.Number, &r.Form, &r.Hash, &at); err != nil {
			return nil, fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
		}
		r.IssuedAt = fromMicros(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
	}
	return out, nil
}

// AppendCertificateRevision stores a revision of a unit's certificate. A revision of that
// number stored already is book.ErrRevisionTaken.
func (t *writeTx) AppendCertificateRevision(r book.CertificateRevision) error {
	if _, err := t.exec(`INSERT INTO certificate_revisions (serial, number, form, hash, issued_at) VALUES (?, ?, ?, ?, ?)`,
		r.Serial, r.Number, r.Form, r.Hash, micros(r.IssuedAt)); err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("storing revision %d of the certificate of unit %q: %w", r.Number, r.Serial, book.ErrRevisionTaken)
		}
		return fmt.Errorf("storing revision %d of the certificate of unit %q: %w", r.Number, r.Serial, err)
	}
	return nil
}
