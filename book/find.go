package book

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFind is the most characters a search of the book (Find) takes: more than a serial, an
// order id or a lot id holds.
const MaxFind = 128

// FoundKind says what a search found.
type FoundKind string

// What a search finds.
const (
	FoundUnit  FoundKind = "unit"
	FoundOrder FoundKind = "order"
	FoundLot   FoundKind = "lot"
	// FoundRepair is a repair, named by its id or by the address of its staff page that a
	// parcel slip's QR code holds; RepairIDOf says which.
	FoundRepair FoundKind = "repair"
)

// ErrNothingFound is returned (wrapped) when a search names no unit, order or lot.
var ErrNothingFound = errors.New("nothing found")

// CheckFind returns an error wrapping ErrInvalid and naming field when text cannot be searched
// for: empty, not UTF-8, longer than MaxFind characters, or with a control or format character.
func CheckFind(field, text string) error {
	switch {
	case text == "":
		return fmt.Errorf("%w: %s: give a serial, an order id, a lot id or a repair id", ErrInvalid, field)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalid, field)
	case utf8.RuneCountInString(text) > MaxFind:
		return fmt.Errorf("%w: %s: %d characters long, more than %d", ErrInvalid, field, utf8.RuneCountInString(text), MaxFind)
	}
	for i, r := range []rune(text) {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return fmt.Errorf("%w: %s: the control character U+%04X at character %d", ErrInvalid, field, r, i+1)
		}
	}
	return nil
}

// RepairPagePath is the path of a repair's staff page, before its id: a parcel slip's QR code
// holds the studio's address and this path.
const RepairPagePath = "/manager/repairs/"

// RepairIDOf returns the repair id text names: a repair id itself ("R-000042"), or the
// address of the repair's staff page as a parcel slip's QR code holds it and a scanner types
// it (http or https, any host, RepairPagePath and the id). ok is false for anything else.
func RepairIDOf(text string) (id string, ok bool) {
	if _, ok := RepairSeq(text); ok {
		return text, true
	}
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	id, found := strings.CutPrefix(strings.TrimSuffix(u.Path, "/"), RepairPagePath)
	if !found {
		return "", false
	}
	if _, ok := RepairSeq(id); !ok {
		return "", false
	}
	return id, true
}

// Find tells what text names, in one read: a repair (by its id or its staff page's address)
// first, for a repair's work orders belong to orders of the repair's id; then a unit's serial,
// then an order id, then a lot id some operation made or consumed. Text that CheckFind refuses is an error wrapping
// ErrInvalid; text that names none of them one wrapping ErrNothingFound.
func (b *Book) Find(ctx context.Context, text string) (FoundKind, error) {
	if err := CheckFind("find", text); err != nil {
		return "", err
	}
	var kind FoundKind
	err := b.store.Read(ctx, func(tx ReadTx) error {
		if id, ok := RepairIDOf(text); ok {
			if _, err := tx.Repair(id); err == nil {
				kind = FoundRepair
				return nil
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if _, err := tx.Unit(text); err == nil {
			kind = FoundUnit
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		found, err := tx.Orders([]string{text})
		if err != nil {
			return err
		}
		if _, ok := found[text]; ok {
			kind = FoundOrder
			return nil
		}
		// The first lot id from text is text itself when some operation used it: one row read,
		// not all its uses.
		lots, err := tx.LotsLike(text, 1)
		if err != nil {
			return err
		}
		if len(lots) == 1 && lots[0] == text {
			kind = FoundLot
			return nil
		}
		return fmt.Errorf("%w for %q", ErrNothingFound, text)
	})
	return kind, err
}
