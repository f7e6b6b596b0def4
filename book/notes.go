package book

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of makers' notes and photo captions, in characters.
const (
	MaxNoteText = 2000
	MaxCaption  = 200
)

// Event kinds of makers' notes and photos. Their events name the operation and the work order;
// they carry neither the text nor the caption, which may be private.
const (
	EventNoteAdded  = "operation.note"
	EventPhotoAdded = "operation.photo"
)

// Note is what a maker wrote about an operation: about one unit of its work order, or about
// every unit of it (Unit 0).
type Note struct {
	ID        int64 `json:"id"`
	Operation int64 `json:"operation"`
	WorkOrder int64 `json:"work_order"`
	// Unit is the unit's number within the work order, from 1; 0 for every unit.
	Unit   int       `json:"unit,omitempty"`
	Text   string    `json:"text"`
	Author Actor     `json:"author"`
	At     time.Time `json:"at"`
	// Private keeps the note in the studio: it is never on a unit's public page or
	// certificate.
	Private bool `json:"private"`
}

// Photo is the record of a maker's photo of an operation's work, whose file the photo store
// keeps under its hash: of one unit of its work order, or of every unit of it (Unit 0).
type Photo struct {
	ID        int64 `json:"id"`
	Operation int64 `json:"operation"`
	WorkOrder int64 `json:"work_order"`
	// Unit is the unit's number within the work order, from 1; 0 for every unit.
	Unit int `json:"unit,omitempty"`
	// Hash is the SHA-256 of the stored file, 64 lowercase hex digits.
	Hash      string `json:"sha256"`
	MediaType string `json:"media_type"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Caption   string `json:"caption,omitempty"`
	Author    Actor  `json:"author"`
	// Private keeps the photo in the studio: it is never on a unit's public page or
	// certificate.
	Private bool      `json:"private"`
	At      time.Time `json:"at"`
}

// NoteRequest asks to add a note to an operation.
type NoteRequest struct {
	Operation int64
	// Unit is the unit's number within the operation's work order, from 1; 0 for every unit.
	Unit    int
	Text    string
	Private bool
	Actor   Actor
	// Idempotency, when set, makes a retry of the request add nothing.
	Idempotency *Idempotency
}

// PhotoRequest asks to record a photo of an operation, stored already by the photo store.
type PhotoRequest struct {
	Operation int64
	// Unit is the unit's number within the operation's work order, from 1; 0 for every unit.
	Unit int
	// Hash, MediaType, Width and Height are the stored photo's.
	Hash      string
	MediaType string
	Width     int
	Height    int
	Caption   string
	Private   bool
	Actor     Actor
	// Idempotency, when set, makes a retry of the request add nothing.
	Idempotency *Idempotency
}

// AddNote adds a note to an operation, with an operation.note event, in one transaction, and
// returns it; replayed is true when it is the note an earlier request with the same
// idempotency key added. The text is trimmed of the space around it, its line ends made
// "\n"; it must then hold 1 to MaxNoteText characters and no control character but newlines.
// A refused note (ErrInvalid, ErrUnknownOperation) adds nothing.
func (b *Book) AddNote(ctx context.Context, req NoteRequest) (n Note, replayed bool, err error) {
	text, err := NoteText(req.Text)
	if err != nil {
		return Note{}, false, err
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		n, replayed, err = idempotent(tx, req.Idempotency, now, func() (Note, error) {
			op, wo, err := attachedTo(tx, req.Operation, req.Unit)
			if err != nil {
				return Note{}, err
			}
			n := Note{Operation: op.ID, WorkOrder: wo.ID, Unit: req.Unit, Text: text, Author: req.Actor, At: now, Private: req.Private}
			if err := tx.InsertNote(&n); err != nil {
				return Note{}, fmt.Errorf("storing a note on operation %d: %w", op.ID, err)
			}
			return n, b.event(tx, Event{At: now, Actor: string(req.Actor), Kind: EventNoteAdded, Cell: op.Cell,
				Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID})
		})
		return err
	})
	if err != nil {
		return Note{}, false, err
	}
	return n, replayed, nil
}

// CheckPhoto checks what a photo request says besides its photo (the operation, the unit, the
// caption) and returns the caption as AddPhoto stores it: the API checks a request with it
// before it stores the photo, so that a refused request leaves no file behind.
func (b *Book) CheckPhoto(ctx context.Context, req PhotoRequest) (string, error) {
	caption, err := PhotoCaption(req.Caption)
	if err != nil {
		return "", err
	}
	err = b.store.Read(ctx, func(tx ReadTx) error {
		_, _, err := attachedTo(tx, req.Operation, req.Unit)
		return err
	})
	return caption, err
}

// AddPhoto records a photo of an operation, stored already by the photo store, with an
// operation.photo event, in one transaction, and returns the record; replayed is true when it
// is the record an earlier request with the same idempotency key made. The caption is
// trimmed; it may be empty and holds at most MaxCaption characters, no control character.
func (b *Book) AddPhoto(ctx context.Context, req PhotoRequest) (p Photo, replayed bool, err error) {
	caption, err := PhotoCaption(req.Caption)
	if err != nil {
		return Photo{}, false, err
	}
	if !isPhotoHash(req.Hash) {
		return Photo{}, false, fmt.Errorf("%w: photo hash %q: want 64 lowercase hex digits", ErrInvalid, req.Hash)
	}
	if req.MediaType == "" || req.Width < 1 || req.Height < 1 {
		return Photo{}, false, fmt.Errorf("%w: photo %s: a media type and a size are required", ErrInvalid, req.Hash)
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		p, replayed, err = idempotent(tx, req.Idempotency, now, func() (Photo, error) {
			op, wo, err := attachedTo(tx, req.Operation, req.Unit)
			if err != nil {
				return Photo{}, err
			}
			p := Photo{Operation: op.ID, WorkOrder: wo.ID, Unit: req.Unit, Hash: req.Hash, MediaType: req.MediaType,
				Width: req.Width, Height: req.Height, Caption: caption, Author: req.Actor, Private: req.Private, At: now}
			if err := tx.InsertPhoto(&p); err != nil {
				return Photo{}, fmt.Errorf("recording photo %s of operation %d: %w", p.Hash, op.ID, err)
			}
			return p, b.event(tx, Event{At: now, Actor: string(req.Actor), Kind: EventPhotoAdded, Cell: op.Cell,
				Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID})
		})
		return err
	})
	if err != nil {
		return Photo{}, false, err
	}
	return p, replayed, nil
}

// Notes returns the notes of every operation of a work order, by time and then id, private
// ones included.
func (b *Book) Notes(ctx context.Context, workOrder int64) ([]Note, error) {
	var notes []Note
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := knownWorkOrder(tx, workOrder); err != nil {
			return err
		}
		var err error
		notes, err = tx.Notes(workOrder)
		return err
	})
	return notes, err
}

// Photos returns the photos of every operation of a work order, by time and then id, private
// ones included.
func (b *Book) Photos(ctx context.Context, workOrder int64) ([]Photo, error) {
	var photos []Photo
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if _, err := knownWorkOrder(tx, workOrder); err != nil {
			return err
		}
		var err error
		photos, err = tx.Photos(workOrder)
		return err
	})
	return photos, err
}

// PhotoRecorded reports whether the book holds a record of the photo with the given hash.
func (b *Book) PhotoRecorded(ctx context.Context, hash string) (bool, error) {
	var ok bool
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		ok, err = tx.PhotoRecorded(hash)
		return err
	})
	return ok, err
}

func knownWorkOrder(tx ReadTx, id int64) (WorkOrder, error) {
	wo, err := tx.WorkOrder(id)
	if errors.Is(err, ErrNotFound) {
		return WorkOrder{}, fmt.Errorf("%w: %d", ErrUnknownWorkOrder, id)
	}
	if err != nil {
		return WorkOrder{}, fmt.Errorf("reading work order %d: %w", id, err)
	}
	return wo, nil
}

// attachedTo reads the operation a note or photo is attached to and its work order, and checks
// that unit is one of the work order's (or 0, every unit).
func attachedTo(tx ReadTx, operation int64, unit int) (Operation, WorkOrder, error) {
	op, err := tx.Operation(operation)
	if errors.Is(err, ErrNotFound) {
		return Operation{}, WorkOrder{}, fmt.Errorf("%w: %d", ErrUnknownOperation, operation)
	}
	if err != nil {
		return Operation{}, WorkOrder{}, fmt.Errorf("reading operation %d: %w", operation, err)
	}
	wo, err := knownWorkOrder(tx, op.WorkOrder)
	if err != nil {
		return Operation{}, WorkOrder{}, err
	}
	if unit < 0 || unit > wo.Quantity {
		return Operation{}, WorkOrder{}, fmt.Errorf("%w: unit %d: work order %d makes units 1 to %d (0: every unit)",
			ErrInvalid, unit, wo.ID, wo.Quantity)
	}
	return op, wo, nil
}

// NoteText returns a note's text as AddNote stores it, or an error wrapping ErrInvalid that
// says what is wrong with it.
func NoteText(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return "", fmt.Errorf("%w: the note is empty", ErrInvalid)
	}
	if err := plainText("the note", s, true); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > MaxNoteText {
		return "", fmt.Errorf("%w: the note is %d characters, at most %d", ErrInvalid, n, MaxNoteText)
	}
	return s, nil
}

// PhotoCaption returns a photo's caption as AddPhoto stores it, or an error wrapping
// ErrInvalid that says what is wrong with it.
func PhotoCaption(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := plainText("the caption", s, false); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > MaxCaption {
		return "", fmt.Errorf("%w: the caption is %d characters, at most %d", ErrInvalid, n, MaxCaption)
	}
	return s, nil
}

// plainText refuses text that is not UTF-8 or holds a control character (a newline only
// where newlines are allowed), naming the character by its position, from 1.
func plainText(what, s string, newlines bool) error {
	pos := 0
	for i, r := range s {
		pos++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Errorf("%w: %s is not UTF-8 text (character %d)", ErrInvalid, what, pos)
		case r == '\n' && newlines:
		case unicode.IsControl(r):
			return fmt.Errorf("%w: %s holds a control character (U+%04X) at character %d", ErrInvalid, what, r, pos)
		}
	}
	return nil
}

func isPhotoHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
