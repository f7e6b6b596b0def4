package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cellforge/cellforge/book"
)

// RepairRequest is a repair asked of the network at the hub.
type RepairRequest struct {
	// ID is the network's repair id, the request's idempotency key: the same content again
	// changes nothing, other content under it is ErrRepairConflict.
	ID string `json:"id"`
	// Serial is the unit's serial, or Item describes an item without one; not both.
	Serial      string  `json:"serial,omitempty"`
	Item        string  `json:"item,omitempty"`
	Kind        string  `json:"kind"`
	Customer    string  `json:"customer"`
	Contact     string  `json:"contact,omitempty"`
	Description string  `json:"description,omitempty"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
	// Due, when set, is when the customer needs the diagnosis.
	Due time.Time `json:"due,omitzero"`
}

// Limits of a repair request, as a site's book takes them.
const (
	MaxRepairID          = 200
	MaxRepairText        = 200
	MaxRepairDescription = 4000
)

// RepairFieldError is a repair request's bad field and why. It wraps ErrBadRepair.
type RepairFieldError struct {
	Field  string
	Reason string
}

// Error names the field and why.
func (e *RepairFieldError) Error() string { return e.Field + ": " + e.Reason }

// Is makes a *RepairFieldError match ErrBadRepair.
func (e *RepairFieldError) Is(target error) bool { return target == ErrBadRepair }

// ErrBadRepair is matched by every *RepairFieldError.
var ErrBadRepair = errors.New("bad repair request")

func repairFieldErr(field, format string, args ...any) error {
	return &RepairFieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// checkRepairText trims a text field and checks it: plain text (newlines only where allowed),
// at most max characters, required or not.
func checkRepairText(field, s string, max int, required, newlines bool) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case s == "" && required:
		return "", repairFieldErr(field, "is required")
	case !utf8.ValidString(s):
		return "", repairFieldErr(field, "is not UTF-8")
	case utf8.RuneCountInString(s) > max:
		return "", repairFieldErr(field, "is %d characters, at most %d", utf8.RuneCountInString(s), max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(newlines && (r == '\n' || r == '\t')) {
			return "", repairFieldErr(field, "holds the control character %U", r)
		}
	}
	return s, nil
}

// checkRepair checks a request and returns the repair it asks for, waiting, without its times.
func checkRepair(in RepairRequest) (Repair, error) {
	var r Repair
	var err error
	for _, f := range []struct {
		name     string
		src      string
		dst      *string
		max      int
		required bool
	}{
		{"id", in.ID, &r.ID, MaxRepairID, true},
		{"serial", in.Serial, &r.Serial, MaxRepairText, false},
		{"item", in.Item, &r.Item, MaxRepairText, false},
		{"kind", in.Kind, &r.Kind, MaxRepairText, true},
		{"customer", in.Customer, &r.Customer, MaxRepairText, true},
		{"contact", in.Contact, &r.Contact, MaxRepairText, false},
	} {
		if *f.dst, err = checkRepairText(f.name, f.src, f.max, f.required, false); err != nil {
			return Repair{}, err
		}
	}
	if r.Description, err = checkRepairText("description", in.Description, MaxRepairDescription, false, true); err != nil {
		return Repair{}, err
	}
	switch {
	case r.Serial == "" && r.Item == "":
		return Repair{}, repairFieldErr("serial", "is required: give a unit's serial, or an item without one")
	case r.Serial != "" && r.Item != "":
		return Repair{}, repairFieldErr("item", "is for an item without a serial: give a serial or an item, not both")
	}
	r.Location = Point{Lat: in.Lat, Lon: in.Lon}
	if !r.Location.Valid() {
		field := "lat"
		if in.Lat >= -90 && in.Lat <= 90 {
			field = "lon"
		}
		return Repair{}, repairFieldErr(field, "(%g, %g) is not a place", in.Lat, in.Lon)
	}
	r.Due = in.Due.UTC()
	if in.Due.IsZero() {
		r.Due = time.Time{}
	}
	r.Hash = repairHash(r)
	r.State = Waiting
	return r, nil
}

// repairHash identifies a request's content.
func repairHash(r Repair) string {
	h := sha256.New()
	for _, s := range []string{r.ID, r.Serial, r.Item, r.Kind, r.Customer, r.Contact, r.Description,
		fmt.Sprintf("%.6f,%.6f", r.Location.Lat, r.Location.Lon), fmt.Sprint(r.Due.UnixMicro())} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SubmitRepair takes a repair request of the network: checked (a *RepairFieldError naming the
// field), stored waiting, and routed by the next routing round. created is false when the
// hub held the same request already (nothing changes); the id with other content is
// ErrRepairConflict.
func (h *Rules) SubmitRepair(ctx context.Context, in RepairRequest, actor string) (r Repair, created bool, err error) {
	r, created, _, err = h.SubmitRepairOnce(ctx, in, actor, nil)
	return r, created, err
}

// SubmitRepairOnce is SubmitRepair under an Idempotency-Key (see idempotency.go): the first
// answer is stored with the repair, in one transaction, and a retry with the key and the same
// request gets it again with replayed true (the repair as it was then, created as it was), and
// changes nothing; the key used for another request is book.ErrIdempotencyMismatch. Without a
// RequestHash, the request's content stands for it. With idem nil it is SubmitRepair.
func (h *Rules) SubmitRepairOnce(ctx context.Context, in RepairRequest, actor string, idem *book.Idempotency) (r Repair, created, replayed bool, err error) {
	want, err := checkRepair(in)
	if err != nil {
		return Repair{}, false, false, err
	}
	idem = withHash(idem, "repair:"+want.Hash)
	now := h.now()
	_, err = h.change(ctx, func(tx Tx, out *outbox) error {
		r, created, replayed = Repair{}, false, false
		if rec, found, err := remembered(tx, idem, now); err != nil {
			return err
		} else if found {
			replayed, created = true, rec.Status == statusCreated
			return replay(rec, &r)
		}
		held, ok, err := tx.Repair(want.ID)
		switch {
		case err != nil:
			return err
		case ok && held.Hash != want.Hash:
			return fmt.Errorf("repair %q: %w", want.ID, ErrRepairConflict)
		case ok:
			r = held
			return remember(tx, idem, now, statusHeld, r)
		}
		r, created = want, true
		r.CreatedAt, r.UpdatedAt = now, now
		if err := tx.InsertRepair(r); err != nil {
			return fmt.Errorf("storing repair %q: %w", r.ID, err)
		}
		out.reroute = append(out.reroute, r.ID)
		return remember(tx, idem, now, statusCreated, r)
	})
	if err != nil {
		return Repair{}, false, false, err
	}
	if created && !replayed {
		h.log.Info("repair request taken", "repair", r.ID, "kind", r.Kind, "actor", actor)
	}
	return r, created, replayed, nil
}

// Repairs returns the repairs f selects, by id.
func (h *Rules) Repairs(ctx context.Context, f RepairFilter) ([]Repair, error) {
	var repairs []Repair
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var err error
		repairs, err = tx.Repairs(f)
		return err
	})
	return repairs, err
}

// Repair returns a repair and its routes, the first first; ErrUnknownRepair when the book
// holds none of that id.
func (h *Rules) Repair(ctx context.Context, id string) (Repair, []Route, error) {
	var (
		r      Repair
		routes []Route
	)
	err := h.store.Read(ctx, func(tx ReadTx) error {
		var (
			ok  bool
			err error
		)
		if r, ok, err = tx.Repair(id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w %q", ErrUnknownRepair, id)
		}
		routes, err = tx.RepairRoutes(id)
		return err
	})
	return r, routes, err
}

// routedRepair is a repair as a RouteRepairs message gives it to its site.
func routedRepair(r Repair) RoutedRepair {
	return RoutedRepair{RepairID: r.ID, Serial: r.Serial, Item: r.Item, Kind: r.Kind, Customer: r.Customer,
		Contact: r.Contact, Description: r.Description, Due: r.Due, Route: r.Route, AckBy: r.AckBy}
}

func (b *outbox) routeRepair(site string, r Repair) {
	if b.repairRoutes == nil {
		b.repairRoutes = make(map[string][]RoutedRepair)
	}
	b.repairRoutes[site] = append(b.repairRoutes[site], routedRepair(r))
}

func (b *outbox) withdrawRepair(site, id string, route int, reason string) {
	if b.repairWithdraws == nil {
		b.repairWithdraws = make(map[string][]RepairWithdrawal)
	}
	b.repairWithdraws[site] = append(b.repairWithdraws[site], RepairWithdrawal{RepairID: id, Route: route, Reason: reason})
}

// flushRepairs sends the gathered repairs' messages, the withdrawals first.
func (h *Rules) flushRepairs(b *outbox) {
	for site, ws := range b.repairWithdraws {
		h.send(site, KindWithdrawRepair, WithdrawRepairs{Repairs: ws})
	}
	for site, rs := range b.repairRoutes {
		h.send(site, KindRouteRepairs, RouteRepairs{Repairs: rs})
	}
}
