package postgres

import (
	"context"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestRepairDocumentsStoredAsSQLiteStoresThem: an empty checklist and photo list are stored as
// {} and [], the absent documents as NULL, and read back as the empty ones.
func TestRepairDocumentsStoredAsSQLiteStoresThem(t *testing.T) {
	s, _ := openTest(t)
	storetest.MustWrite(t, s, func(tx book.Tx) error {
		return tx.InsertRepair(book.Repair{ID: "R-000001", Seq: 1, Item: "a kilim", Source: book.SourcePublic, State: book.RepairRequested, IntakeAt: t0}, "h")
	})
	var checklist, photos string
	var diagnosis, estimate, decision *string
	var expires *int64
	if err := s.pool.QueryRow(context.Background(), `SELECT checklist, photos, diagnosis, estimate, decision, expires_at
		FROM repairs WHERE id = 'R-000001'`).Scan(&checklist, &photos, &diagnosis, &estimate, &decision, &expires); err != nil {
		t.Fatal(err)
	}
	if checklist != "{}" || photos != "[]" || diagnosis != nil || estimate != nil || decision != nil || expires != nil {
		t.Errorf("stored %q %q %v %v %v %v", checklist, photos, diagnosis, estimate, decision, expires)
	}
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		r, err := tx.Repair("R-000001")
		if err != nil || r.Checklist == nil || len(r.Checklist) != 0 || r.Photos == nil || len(r.Photos) != 0 ||
			r.Diagnosis != nil || r.Estimate != nil || r.Decision != nil || r.ReadyAt != nil || !r.IntakeAt.Equal(t0) {
			t.Errorf("read back %+v, %v", r, err)
		}
		return nil
	})
}
