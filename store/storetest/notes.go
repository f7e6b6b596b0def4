package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// testNotesAndPhotosSurviveReopen stores notes and photo records, some refused by the schema,
// and reads them back, by time, after the store is closed and opened again.
func testNotesAndPhotosSurviveReopen(t *testing.T, opener Opener) {
	s, addr := opener.Open(t)
	wos := ImportOrders(t, s, "d1", 0, 2)
	a, b := wos[0], wos[1]
	hash := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	var ids []int64
	MustWrite(t, s, func(tx book.Tx) error {
		for _, n := range []book.Note{
			{Operation: a.Ops[0].ID, WorkOrder: a.WO.ID, Unit: 1, Text: "later", Author: "ana", At: T0.Add(time.Minute), Private: true},
			{Operation: a.Ops[0].ID, WorkOrder: a.WO.ID, Text: "first", Author: "ana", At: T0},
			{Operation: b.Ops[0].ID, WorkOrder: b.WO.ID, Text: "other", Author: "ana", At: T0},
		} {
			if err := tx.InsertNote(&n); err != nil {
				return err
			}
			ids = append(ids, n.ID)
		}
		p := book.Photo{Operation: a.Ops[0].ID, WorkOrder: a.WO.ID, Unit: 2, Hash: hash, MediaType: "image/webp", Width: 3, Height: 2,
			Caption: "weft", Author: "ana", At: T0, Private: true}
		if err := tx.InsertPhoto(&p); err != nil {
			return err
		}
		if p.ID == 0 {
			t.Error("InsertPhoto set no id")
		}
		return nil
	})
	if ids[0] == 0 || ids[1] <= ids[0] || ids[2] <= ids[1] {
		t.Errorf("note ids %v, want increasing", ids)
	}
	for _, tc := range []struct {
		name  string
		write func(book.Tx) error
	}{
		{"a note on no operation", func(tx book.Tx) error {
			return tx.InsertNote(&book.Note{Operation: 999999, WorkOrder: a.WO.ID, Text: "x", At: T0})
		}},
		{"a photo with a short hash", func(tx book.Tx) error {
			return tx.InsertPhoto(&book.Photo{Operation: a.Ops[0].ID, WorkOrder: a.WO.ID, Hash: "abc", MediaType: "image/png", Width: 1, Height: 1, At: T0})
		}},
		{"a note on unit -1", func(tx book.Tx) error {
			return tx.InsertNote(&book.Note{Operation: a.Ops[0].ID, WorkOrder: a.WO.ID, Unit: -1, Text: "x", At: T0})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Write(context.Background(), tc.write); err == nil {
				t.Fatal("Write succeeded")
			}
		})
	}
	s = reopen(t, opener, s, addr)
	MustRead(t, s, func(tx book.ReadTx) error {
		notes, err := tx.Notes(a.WO.ID)
		if err != nil {
			return err
		}
		if len(notes) != 2 || notes[0].Text != "first" || notes[0].Unit != 0 || notes[0].Private || notes[0].ID != ids[1] ||
			notes[1].Text != "later" || notes[1].Unit != 1 || !notes[1].Private || !notes[1].At.Equal(T0.Add(time.Minute)) ||
			notes[1].Author != "ana" || notes[1].Operation != a.Ops[0].ID || notes[1].WorkOrder != a.WO.ID {
			t.Errorf("notes after reopen: %+v", notes)
		}
		photos, err := tx.Photos(a.WO.ID)
		if err != nil {
			return err
		}
		if len(photos) != 1 || photos[0].Hash != hash || photos[0].Unit != 2 || !photos[0].Private || photos[0].Caption != "weft" ||
			photos[0].MediaType != "image/webp" || photos[0].Width != 3 || photos[0].Height != 2 || photos[0].Author != "ana" ||
			!photos[0].At.Equal(T0) {
			t.Errorf("photos after reopen: %+v", photos)
		}
		if photos, err := tx.Photos(b.WO.ID); err != nil || len(photos) != 0 {
			t.Errorf("photos of another work order: %+v, %v", photos, err)
		}
		for h, want := range map[string]bool{hash: true, "00" + hash[2:]: false} {
			if got, err := tx.PhotoRecorded(h); err != nil || got != want {
				t.Errorf("PhotoRecorded(%s) = %v, %v; want %v", h, got, err, want)
			}
		}
		return nil
	})
}
