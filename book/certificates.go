package book

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A unit's certificate is the list of its signed revisions (see package book/provenance),
// oldest first. The book keeps each revision as it was signed and never changes one: it only
// appends the next, numbered one more than the last.

// CertificateRevision is one signed revision of a unit's certificate as the book keeps it.
type CertificateRevision struct {
	Serial string
	// Number counts the unit's revisions from 1.
	Number int
	// Form is the signed revision in canonical JSON, {"revision":{…},"signature":"…"}.
	Form []byte
	// Hash is the SHA-256 of Form in hex: what the next revision names as its previous.
	Hash     string
	IssuedAt time.Time
}

// ErrRevisionTaken is returned (wrapped) when a revision is appended to a certificate that
// has one of that number already: another revision was issued meanwhile.
var ErrRevisionTaken = errors.New("the certificate has a revision of that number already")

// CertificateRevisions returns every revision of the certificate of the unit serial, oldest
// first; none when none was issued.
func (b *Book) CertificateRevisions(ctx context.Context, serial string) ([]CertificateRevision, error) {
	var out []CertificateRevision
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.CertificateRevisions(serial)
		return err
	})
	return out, err
}

// AppendCertificateRevision stores r as the next revision of its unit's certificate. It must
// be numbered one more than the last stored (1 for the first): otherwise the certificate
// changed since the caller read it, and the answer is ErrRevisionTaken.
func (b *Book) AppendCertificateRevision(ctx context.Context, r CertificateRevision) error {
	if r.Serial == "" || r.Number < 1 || len(r.Form) == 0 || r.Hash == "" {
		return fmt.Errorf("%w: a certificate revision needs a serial, a number from 1, its form and its hash", ErrInvalid)
	}
	return b.store.Write(ctx, func(tx Tx) error {
		have, err := tx.CertificateRevisions(r.Serial)
		if err != nil {
			return err
		}
		if r.Number != len(have)+1 {
			return fmt.Errorf("appending revision %d of the certificate of unit %q, which has %d: %w", r.Number, r.Serial, len(have), ErrRevisionTaken)
		}
		if len(have) > 0 && have[len(have)-1].Number != len(have) {
			return fmt.Errorf("the certificate of unit %q is not numbered 1 to %d", r.Serial, len(have))
		}
		return tx.AppendCertificateRevision(r)
	})
}
