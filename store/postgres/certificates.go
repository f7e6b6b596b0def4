package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// CertificateRevisions returns every revision of the certificate of the unit serial, by number.
func (t *readTx) CertificateRevisions(serial string) ([]book.CertificateRevision, error) {
	rows, err := t.query(`SELECT number, form, hash, issued_at FROM certificate_revisions
		WHERE serial = $1 ORDER BY number`, serial)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
	}
	out, err := collect(rows, func(row pgx.Rows) (book.CertificateRevision, error) {
		r := book.CertificateRevision{Serial: serial}
		var at int64
		err := row.Scan(&r.Number, &r.Form, &r.Hash, &at)
		r.IssuedAt = fromMicros(at)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
	}
	return out, nil
}

// AppendCertificateRevision stores a revision of a unit's certificate. A revision of that
// number stored already is book.ErrRevisionTaken, and the transaction stays usable.
func (t *writeTx) AppendCertificateRevision(r book.CertificateRevision) error {
	err := t.guarded(`INSERT INTO certificate_revisions (serial, number, form, hash, issued_at) VALUES ($1, $2, $3, $4, $5)`,
		r.Serial, r.Number, r.Form, r.Hash, micros(r.IssuedAt))
	if uniqueViolation(err) == "certificate_revisions_pkey" {
		return fmt.Errorf("storing revision %d of the certificate of unit %q: %w", r.Number, r.Serial, book.ErrRevisionTaken)
	}
	if err != nil {
		return fmt.Errorf("storing revision %d of the certificate of unit %q: %w", r.Number, r.Serial, err)
	}
	return nil
}
