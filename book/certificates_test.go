package book_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func revision(serial string, n int) book.CertificateRevision {
	return book.CertificateRevision{Serial: serial, Number: n, Form: []byte(fmt.Sprintf(`{"revision":{"revision":%d}}`, n)),
		Hash: fmt.Sprintf("%064d", n), IssuedAt: time.Date(2026, 11, 3, 9, n, 0, 0, time.UTC)}
}

// TestCertificateRevisions: revisions are appended in order only, kept across a restart, and
// of twenty requests appending the same next revision at once exactly one succeeds.
func TestCertificateRevisions(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	for _, r := range []book.CertificateRevision{revision("R-1", 2), revision("R-1", 0), {Serial: "R-1", Number: 1}} {
		if err := fx.book.AppendCertificateRevision(ctx, r); err == nil {
			t.Fatalf("appending revision %d to an empty certificate succeeded", r.Number)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = fx.book.AppendCertificateRevision(ctx, revision("R-1", 1)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, book.ErrRevisionTaken):
			t.Fatalf("a losing append failed with %v, not ErrRevisionTaken", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 20 appends of revision 1 succeeded, want 1", ok)
	}
	if err := fx.book.AppendCertificateRevision(ctx, revision("R-1", 2)); err != nil {
		t.Fatal(err)
	}
	if err := fx.book.AppendCertificateRevision(ctx, revision("R-2", 1)); err != nil {
		t.Fatal(err)
	}
	fx.restart(t)
	got, err := fx.book.CertificateRevisions(ctx, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Number != 1 || got[1].Number != 2 || string(got[1].Form) != string(revision("R-1", 2).Form) ||
		got[1].Hash != revision("R-1", 2).Hash || !got[1].IssuedAt.Equal(revision("R-1", 2).IssuedAt) {
		t.Fatalf("after a restart R-1's certificate is %+v", got)
	}
	if none, err := fx.book.CertificateRevisions(ctx, "R-3"); err != nil || len(none) != 0 {
		t.Fatalf("a unit never certified: %v, %v", none, err)
	}
}
