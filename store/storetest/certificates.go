package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testCertificateRevisions appends revisions, refuses a number taken with
// book.ErrRevisionTaken while the transaction stays usable, and reads them by number.
func testCertificateRevisions(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	rev := func(serial string, n int, form string) book.CertificateRevision {
		return book.CertificateRevision{Serial: serial, Number: n, Form: []byte(form), Hash: "h-" + form,
			IssuedAt: T0.Add(time.Duration(n) * time.Minute)}
	}
	MustWrite(t, s, func(tx book.Tx) error {
		for _, r := range []book.CertificateRevision{rev("S1", 2, "two"), rev("S1", 1, "one"), rev("S2", 1, "other")} {
			if err := tx.AppendCertificateRevision(r); err != nil {
				return err
			}
		}
		return nil
	})
	MustWrite(t, s, func(tx book.Tx) error {
		if err := tx.AppendCertificateRevision(rev("S1", 2, "again")); !errors.Is(err, book.ErrRevisionTaken) {
			t.Errorf("a revision number twice = %v, want book.ErrRevisionTaken", err)
		}
		// the transaction goes on: the refused revision is not stored, the next one is
		return tx.AppendCertificateRevision(rev("S1", 3, "three"))
	})
	if err := s.Write(context.Background(), func(tx book.Tx) error {
		return tx.AppendCertificateRevision(rev("S1", 0, "zero"))
	}); err == nil || errors.Is(err, book.ErrRevisionTaken) {
		t.Errorf("revision 0 = %v, want refused by the schema", err)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		revs, err := tx.CertificateRevisions("S1")
		if err != nil || len(revs) != 3 {
			t.Fatalf("CertificateRevisions(S1) = %+v, %v", revs, err)
		}
		for i, form := range []string{"one", "two", "three"} {
			r := revs[i]
			if r.Serial != "S1" || r.Number != i+1 || !bytes.Equal(r.Form, []byte(form)) || r.Hash != "h-"+form ||
				!r.IssuedAt.Equal(T0.Add(time.Duration(i+1)*time.Minute)) {
				t.Errorf("revision %d = %+v", i+1, r)
			}
		}
		if revs, err := tx.CertificateRevisions("S9"); err != nil || len(revs) != 0 {
			t.Errorf("CertificateRevisions of no certificate = %+v, %v", revs, err)
		}
		return nil
	})
}
