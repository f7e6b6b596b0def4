package book_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

const testHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestAddNoteChecksTheNoteAndAddsNothingWhenRefused(t *testing.T) {
	fx := newFixture(t)
	fx.mustImport(t, "winter", "order_id,sku,quantity\nN1,SCARF,3\n")
	op := fx.ops(t, "N1")[0]
	for _, tc := range []struct {
		name string
		req  book.NoteRequest
		want error  // nil: added
		msg  string // in the error's text
		text string // the stored text, when added
	}{
		{name: "every unit", req: book.NoteRequest{Operation: op.ID, Text: "warp tension raised"}, text: "warp tension raised"},
		{name: "one unit, space and line ends tidied", req: book.NoteRequest{Operation: op.ID, Unit: 3, Text: "  first line\r\nsecond line \n"},
			text: "first line\nsecond line"},
		{name: "2000 characters", req: book.NoteRequest{Operation: op.ID, Text: strings.Repeat("ñ", 2000)}, text: strings.Repeat("ñ", 2000)},
		{name: "empty", req: book.NoteRequest{Operation: op.ID, Text: " \n "}, want: book.ErrInvalid, msg: "the note is empty"},
		{name: "too long", req: book.NoteRequest{Operation: op.ID, Text: strings.Repeat("a", 2001)}, want: book.ErrInvalid, msg: "2001 characters, at most 2000"},
		{name: "a tab", req: book.NoteRequest{Operation: op.ID, Text: "a\tb"}, want: book.ErrInvalid, msg: "control character (U+0009) at character 2"},
		{name: "an escape", req: book.NoteRequest{Operation: op.ID, Text: "ab\x1b[31m"}, want: book.ErrInvalid, msg: "(U+001B) at character 3"},
		{name: "not UTF-8", req: book.NoteRequest{Operation: op.ID, Text: "ok \xff"}, want: book.ErrInvalid, msg: "not UTF-8 text (character 4)"},
		{name: "a unit the work order does not make", req: book.NoteRequest{Operation: op.ID, Unit: 4, Text: "x"}, want: book.ErrInvalid,
			msg: "unit 4: work order 1 makes units 1 to 3"},
		{name: "a negative unit", req: book.NoteRequest{Operation: op.ID, Unit: -1, Text: "x"}, want: book.ErrInvalid, msg: "unit -1"},
		{name: "an unknown operation", req: book.NoteRequest{Operation: 999, Text: "x"}, want: book.ErrUnknownOperation, msg: "999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fx.events(t))
			tc.req.Actor = "ana"
			n, _, err := fx.book.AddNote(context.Background(), tc.req)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("AddNote: %v; want %v saying %q", err, tc.want, tc.msg)
				}
				if after := len(fx.events(t)); after != before {
					t.Errorf("a refused note appended %d events", after-before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.ID == 0 || n.Text != tc.text || n.Unit != tc.req.Unit || n.WorkOrder != op.WorkOrder || n.Author != "ana" {
				t.Errorf("AddNote = %+v, want text %q on unit %d of work order %d by ana", n, tc.text, tc.req.Unit, op.WorkOrder)
			}
			ev := fx.events(t)
			if len(ev) != before+1 || ev[len(ev)-1].Kind != book.EventNoteAdded || ev[len(ev)-1].Operation != op.ID {
				t.Errorf("events after the note: %+v, want one %s of operation %d", ev[before:], book.EventNoteAdded, op.ID)
			}
		})
	}
	notes, err := fx.book.Notes(context.Background(), op.WorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 3 {
		t.Errorf("Notes = %d notes, want the 3 added", len(notes))
	}
}

// TestNotesAndPhotosOfAWorkOrderKeepTheirPrivateFlagAcrossARestart adds notes and photos to two
// operations of a work order, some private, and reads them back by time after a restart.
func TestNotesAndPhotosOfAWorkOrderKeepTheirPrivateFlagAcrossARestart(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nN1,SCARF,2\nN2,SCARF,1\n")
	ops := fx.ops(t, "N1")
	other := fx.ops(t, "N2")[0]
	add := func(op int64, unit int, text string, private bool) {
		t.Helper()
		if _, _, err := fx.book.AddNote(ctx, book.NoteRequest{Operation: op, Unit: unit, Text: text, Private: private, Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(time.Minute)
	}
	addPhoto := func(op int64, unit int, caption string, private bool) {
		t.Helper()
		if _, _, err := fx.book.AddPhoto(ctx, book.PhotoRequest{Operation: op, Unit: unit, Hash: testHash, MediaType: "image/png",
			Width: 4, Height: 3, Caption: caption, Private: private, Actor: "ana"}); err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(time.Minute)
	}
	add(ops[1].ID, 0, "packed in tissue", false)
	addPhoto(ops[0].ID, 2, "the fringe", true)
	add(ops[0].ID, 1, "customer asked for a gift note", true)
	addPhoto(ops[1].ID, 0, "", false)
	add(other.ID, 0, "another work order's", false)

	fx.restart(t)
	notes, err := fx.book.Notes(ctx, ops[0].WorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.Text+" "+map[bool]string{true: "private", false: "public"}[n.Private])
	}
	if want := "packed in tissue public|customer asked for a gift note private"; strings.Join(got, "|") != want {
		t.Errorf("notes after restart: %q, want %q", strings.Join(got, "|"), want)
	}
	if notes[1].Unit != 1 || notes[1].Operation != ops[0].ID || notes[0].Unit != 0 {
		t.Errorf("notes' units and operations: %+v", notes)
	}
	photos, err := fx.book.Photos(ctx, ops[0].WorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	if len(photos) != 2 || !photos[0].Private || photos[1].Private || photos[0].Unit != 2 || photos[0].Caption != "the fringe" ||
		photos[1].Operation != ops[1].ID || photos[0].Hash != testHash || photos[0].Width != 4 || photos[0].Height != 3 ||
		!photos[0].At.Before(photos[1].At) {
		t.Errorf("photos after restart: %+v", photos)
	}
	if ok, err := fx.book.PhotoRecorded(ctx, testHash); err != nil || !ok {
		t.Errorf("PhotoRecorded = %v, %v; want true", ok, err)
	}
	if _, err := fx.book.Notes(ctx, 999); !errors.Is(err, book.ErrUnknownWorkOrder) {
		t.Errorf("Notes of an unknown work order: %v", err)
	}
}

func TestAddPhotoIsRefusedWholeAndRetriedOnce(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nP1,SCARF,1\n")
	op := fx.ops(t, "P1")[0]
	good := book.PhotoRequest{Operation: op.ID, Hash: testHash, MediaType: "image/jpeg", Width: 10, Height: 10, Actor: "ana"}
	for _, tc := range []struct {
		name   string
		change func(*book.PhotoRequest)
		msg    string
	}{
		{"a caption with a newline", func(r *book.PhotoRequest) { r.Caption = "a\nb" }, "the caption holds a control character (U+000A) at character 2"},
		{"a long caption", func(r *book.PhotoRequest) { r.Caption = strings.Repeat("c", 201) }, "the caption is 201 characters, at most 200"},
		{"a bad hash", func(r *book.PhotoRequest) { r.Hash = strings.ToUpper(testHash) }, "want 64 lowercase hex digits"},
		{"no size", func(r *book.PhotoRequest) { r.Width = 0 }, "a media type and a size are required"},
		{"a unit too far", func(r *book.PhotoRequest) { r.Unit = 2 }, "makes units 1 to 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := good
			tc.change(&req)
			_, _, err := fx.book.AddPhoto(ctx, req)
			if !errors.Is(err, book.ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("AddPhoto: %v; want ErrInvalid saying %q", err, tc.msg)
			}
			if _, cerr := fx.book.CheckPhoto(ctx, req); req.Hash == good.Hash && req.Width == good.Width && !errors.Is(cerr, book.ErrInvalid) {
				t.Errorf("CheckPhoto: %v; want ErrInvalid", cerr)
			}
		})
	}
	if photos, err := fx.book.Photos(ctx, op.WorkOrder); err != nil || len(photos) != 0 {
		t.Fatalf("refused photos recorded: %v, %v", photos, err)
	}

	req := good
	req.Idempotency = &book.Idempotency{Principal: "ana", Key: "k1", RequestHash: "h"}
	first, replayed, err := fx.book.AddPhoto(ctx, req)
	if err != nil || replayed {
		t.Fatalf("AddPhoto = %v, replayed %v", err, replayed)
	}
	again, replayed, err := fx.book.AddPhoto(ctx, req)
	if err != nil || !replayed || again.ID != first.ID {
		t.Errorf("retried AddPhoto = %+v, replayed %v, %v; want the first record replayed", again, replayed, err)
	}
	if photos, _ := fx.book.Photos(ctx, op.WorkOrder); len(photos) != 1 {
		t.Errorf("after a retry, %d records, want 1", len(photos))
	}
}
