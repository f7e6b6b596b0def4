package book

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellforge/cellforge/configs"
)

// A repair order brings a unit (or, at the counter, an item not made here) back through the
// cells. It is opened at intake (requested on the unit's public page, or received at once at
// the counter); receiving it makes its diagnosis work order; the diagnosis prices an estimate
// the customer approves or declines behind an unguessable link; approving makes the work order
// of its services; when that is done the repair is ready, and it is returned at last. Each
// change is one transaction with its event; nothing is stored on an error.
//
// Repair work orders (configs.IsRepairSKU) make no units, owe no labels and are left out of
// drops' shortfalls, remakes and turnaround.

// RepairState is where a repair stands.
type RepairState string

// Repair states. Expired and ready are derived when read: expired from estimated once the
// estimate's time has passed (stored the first time something acts on it), ready from approved
// once its work order is done.
const (
	RepairRequested RepairState = "requested"
	RepairReceived  RepairState = "received"
	RepairEstimated RepairState = "estimated"
	RepairApproved  RepairState = "approved"
	RepairDeclined  RepairState = "declined"
	RepairExpired   RepairState = "expired"
	RepairReady     RepairState = "ready"
	RepairReturned  RepairState = "returned"
)

// RepairSource says where a repair was opened.
type RepairSource string

// Repair sources.
const (
	// SourceCounter is staff intake: the item is at the studio.
	SourceCounter RepairSource = "counter"
	// SourcePublic is a customer's request on the unit's public page: the item is not here
	// yet.
	SourcePublic RepairSource = "public"
)

// Repair events, each with OrderID the repair's id (and WorkOrder when one is made).
const (
	EventRepairOpened    = "repair.opened"
	EventRepairReceived  = "repair.received"
	EventRepairEstimated = "repair.estimated"
	EventRepairApproved  = "repair.approved"
	EventRepairDeclined  = "repair.declined"
	EventRepairExpired   = "repair.expired"
	EventRepairReturned  = "repair.returned"
	EventCarePlanAdded   = "careplan.added"
)

// ActorCustomer is the actor of what a customer does on the public pages: a repair request,
// a decision on an estimate.
const ActorCustomer Actor = "customer"

// Limits of a repair's intake.
const (
	MaxRepairPhotos      = 6
	MaxRepairDescription = 4000
	MaxRepairContact     = 200
	MaxRepairCustomer    = 200
	MaxRepairItem        = 200
	MaxChecklistText     = 200
	MaxFindings          = 4000
	MaxRepairServices    = 10
	MaxRepairExternal    = 200
)

// Repair is a repair order.
type Repair struct {
	// ID is "R-" and the studio's repair sequence, six digits at least ("R-000042").
	ID  string `json:"id"`
	Seq int64  `json:"-"`
	// Serial is the unit's serial; empty for an item not made here, which Item describes.
	Serial string `json:"serial,omitempty"`
	Item   string `json:"item,omitempty"`
	// Kind is the id of the item kind (configs.ItemKind).
	Kind        string `json:"kind"`
	Customer    string `json:"customer"`
	Contact     string `json:"contact,omitempty"`
	Description string `json:"description,omitempty"`
	// Checklist holds the kind's checklist answers by item id: "yes" for a checked box, or
	// the text written.
	Checklist  map[string]string `json:"checklist,omitempty"`
	Source     RepairSource      `json:"source"`
	State      RepairState       `json:"state"`
	IntakeAt   time.Time         `json:"intake_at"`
	ReceivedAt *time.Time        `json:"received_at,omitempty"`
	Photos     []RepairPhoto     `json:"photos,omitempty"`
	Diagnosis  *Diagnosis        `json:"diagnosis,omitempty"`
	Estimate   *Estimate         `json:"estimate,omitempty"`
	Decision   *Decision         `json:"decision,omitempty"`
	// DiagnosisWorkOrder and WorkOrder are the ids of the repair's diagnosis work order and of
	// the work order of its approved services; zero until made.
	DiagnosisWorkOrder int64 `json:"diagnosis_work_order,omitempty"`
	WorkOrder          int64 `json:"work_order,omitempty"`
	// ReadyAt is when the work order of its services completed.
	ReadyAt    *time.Time `json:"ready_at,omitempty"`
	ReturnedAt *time.Time `json:"returned_at,omitempty"`
	// External is the id another system gave the repair when it asked the studio to open it
	// (a network's repair id); empty for a repair opened here. No two repairs share one.
	External string `json:"external,omitempty"`
}

// RepairPhoto is a customer's photo of the item at intake, kept by the photo store under its
// hash.
type RepairPhoto struct {
	Hash      string `json:"sha256"`
	MediaType string `json:"media_type"`
}

// Diagnosis is what the maker found and the services chosen, in order.
type Diagnosis struct {
	Findings  string    `json:"findings"`
	Services  []string  `json:"services"`
	Operation int64     `json:"operation"`
	By        Actor     `json:"by"`
	At        time.Time `json:"at"`
}

// Decision is the customer's answer to the estimate: approve (standard or express) or decline.
type Decision struct {
	Approve bool `json:"approve"`
	Express bool `json:"express,omitempty"`
	// At is when it was decided; set by Decide.
	At time.Time `json:"at"`
}

// String says what was decided.
func (d Decision) String() string {
	switch {
	case !d.Approve:
		return "declined"
	case d.Express:
		return "approved express"
	}
	return "approved standard"
}

// RepairIntake is what intake gives to open a repair.
type RepairIntake struct {
	Source RepairSource
	// Serial names a unit the studio made; or, at the counter only, Item describes an item not
	// made here, with its Kind.
	Serial      string
	Item        string
	Kind        string
	Customer    string
	Contact     string
	Description string
	Checklist   map[string]string
	// Photos are the customer's photos, stored by the photo store already: at most
	// MaxRepairPhotos.
	Photos []RepairPhoto
	Actor  Actor
	// External, when set, is the id another system gave the repair (a network's repair id),
	// at most MaxRepairExternal bytes: opening a repair of an external id the book holds
	// opens nothing and returns that repair, so that a request delivered twice opens one.
	External string
}

// FieldError is bad input of a repair or care plan request: the field (serial, kind,
// checklist.<id>, services[i], ...) and why. It wraps ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Errors of repairs.
var (
	// ErrNoAftercare is returned (wrapped) when the studio's factory has no aftercare section.
	ErrNoAftercare = errors.New("the studio takes no repairs")
	// ErrDecided is returned (in a *DecidedError) when an estimate decided before is decided
	// again.
	ErrDecided = errors.New("the estimate was decided already")
	// ErrEstimateExpired is returned (wrapped) when an estimate is decided after it expired.
	ErrEstimateExpired = errors.New("the estimate has expired")
	// ErrRepairState is returned (in a *RepairStateError) when a repair is not in a state
	// that allows the action.
	ErrRepairState = errors.New("the repair cannot do that in its state")
)

// DecidedError says what was decided of an estimate before.
type DecidedError struct {
	Repair   string
	Decision Decision
}

func (e *DecidedError) Error() string {
	return fmt.Sprintf("repair %s: the estimate was %s at %s: it changes no more", e.Repair, e.Decision,
		e.Decision.At.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrDecided) hold.
func (e *DecidedError) Is(target error) bool { return target == ErrDecided }

// RepairStateError says that a repair's state does not allow an action. Nothing was changed.
type RepairStateError struct {
	Repair string
	State  RepairState
	Action string
	Want   []RepairState
}

func (e *RepairStateError) Error() string {
	want := make([]string, len(e.Want))
	for i, s := range e.Want {
		want[i] = string(s)
	}
	return fmt.Sprintf("repair %s is %s: it cannot %s (that needs a repair that is %s)", e.Repair, e.State, e.Action, joinOr(want))
}

// Is makes errors.Is(err, ErrRepairState) hold.
func (e *RepairStateError) Is(target error) bool { return target == ErrRepairState }

// repairID is the id of the repair number seq.
func repairID(seq int64) string { return fmt.Sprintf("R-%06d", seq) }

// RepairSeq returns the number of a repair id in the studio's repair sequence, ok false when
// id is not a repair id: what a store pages repairs by.
func RepairSeq(id string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "R-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "R-") || n < 1 {
		return 0, false
	}
	return n, true
}

// aftercare returns the factory's aftercare section, or an error wrapping ErrNoAftercare.
func (b *Book) aftercare() (*configs.Aftercare, error) {
	cv := b.cfg()
	if cv.factory.Aftercare == nil {
		return nil, fmt.Errorf("%w (the factory has no aftercare section)", ErrNoAftercare)
	}
	return cv.factory.Aftercare, nil
}

// derive sets the derived state of r at now: expired once its estimate's time has passed,
// ready once its work is done.
func derive(r *Repair, now time.Time) {
	switch {
	case r.State == RepairEstimated && r.Estimate != nil && !now.Before(r.Estimate.ExpiresAt):
		r.State = RepairExpired
	case r.State == RepairApproved && r.ReadyAt != nil:
		r.State = RepairReady
	}
}

// newLink returns a new customer link and the hash the store keeps of it.
func newLink() (link, hash string, err error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", fmt.Errorf("making a repair link: %w", err)
	}
	link = base64.RawURLEncoding.EncodeToString(raw[:])
	return link, linkHash(link), nil
}

// linkHash is the SHA-256 of a link, as stored.
func linkHash(link string) string {
	h := sha256.Sum256([]byte(link))
	return hex.EncodeToString(h[:])
}

// repairText checks a text field of a repair: trimmed, plain text (newlines only where
// allowed), at most max characters, required or not.
func repairText(field, s string, max int, required, newlines bool) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		if required {
			return "", fieldErr(field, "is required")
		}
		return "", nil
	}
	if err := plainText("it", s, newlines); err != nil {
		return "", fieldErr(field, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fieldErr(field, "is %d characters, at most %d", n, max)
	}
	return s, nil
}

// checkIntake checks what intake gives against the book (read in tx) and the aftercare
// section, and returns the repair to open (without its id).
func (b *Book) checkIntake(tx ReadTx, a *configs.Aftercare, in RepairIntake) (Repair, error) {
	r := Repair{Source: in.Source}
	var err error
	switch in.Source {
	case SourceCounter:
	case SourcePublic:
		if !a.PublicIntake {
			return Repair{}, fieldErr("source", "the studio takes no repair requests on its public pages")
		}
	default:
		return Repair{}, fieldErr("source", "%q is neither %q nor %q", in.Source, SourceCounter, SourcePublic)
	}
	serial := strings.TrimSpace(in.Serial)
	switch {
	case serial != "":
		if in.Item != "" {
			return Repair{}, fieldErr("item", "is for an item not made here: give a serial or an item, not both")
		}
		if r.Serial, err = repairText("serial", serial, MaxFind, true, false); err != nil {
			return Repair{}, err
		}
		if r.Kind, err = b.unitKind(tx, a, r.Serial); err != nil {
			return Repair{}, err
		}
		if in.Kind != "" && in.Kind != r.Kind {
			return Repair{}, fieldErr("kind", "unit %s is a %s, not a %s", r.Serial, r.Kind, in.Kind)
		}
	case in.Source == SourcePublic:
		return Repair{}, fieldErr("serial", "is required")
	case strings.TrimSpace(in.Item) == "":
		return Repair{}, fieldErr("serial", "is required: give a unit's serial, or an item not made here with its kind")
	default:
		if r.Item, err = repairText("item", in.Item, MaxRepairItem, true, false); err != nil {
			return Repair{}, err
		}
		if in.Kind == "" {
			return Repair{}, fieldErr("kind", "is required for an item not made here")
		}
		if _, ok := a.Kind(in.Kind); !ok {
			return Repair{}, fieldErr("kind", "%q is not a kind of item the studio repairs", in.Kind)
		}
		r.Kind = in.Kind
	}
	if r.Customer, err = repairText("customer", in.Customer, MaxRepairCustomer, true, false); err != nil {
		return Repair{}, err
	}
	if r.Contact, err = repairText("contact", in.Contact, MaxRepairContact, false, false); err != nil {
		return Repair{}, err
	}
	if r.Description, err = repairText("description", in.Description, MaxRepairDescription, false, true); err != nil {
		return Repair{}, err
	}
	kind, _ := a.Kind(r.Kind)
	if r.Checklist, err = checkChecklist(kind, in.Checklist); err != nil {
		return Repair{}, err
	}
	if r.Photos, err = checkRepairPhotos(in.Photos); err != nil {
		return Repair{}, err
	}
	return r, nil
}

// unitKind returns the kind of the unit serial, which must be finished and not scrapped.
func (b *Book) unitKind(tx ReadTx, a *configs.Aftercare, serial string) (string, error) {
	u, err := finishedUnit(tx, serial)
	if err != nil {
		return "", err
	}
	k, ok := a.KindOf(u.SKU)
	if !ok {
		return "", fieldErr("serial", "the studio repairs no %s (unit %s): no kind of item holds its SKU", u.SKU, serial)
	}
	return k.ID, nil
}

// finishedUnit reads the unit serial, which must be finished: an error wrapping
// ErrUnknownUnit for a serial of no unit, a *FieldError for a unit scrapped or not finished.
func finishedUnit(tx ReadTx, serial string) (Unit, error) {
	u, err := tx.Unit(serial)
	if errors.Is(err, ErrNotFound) {
		return Unit{}, fmt.Errorf("serial: %w %q", ErrUnknownUnit, serial)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("reading unit %q: %w", serial, err)
	}
	wo, err := tx.WorkOrder(u.WorkOrder)
	if err != nil {
		return Unit{}, fmt.Errorf("reading work order %d: %w", u.WorkOrder, err)
	}
	switch u.StateIn(wo) {
	case UnitScrapped:
		return Unit{}, fieldErr("serial", "unit %s was scrapped", serial)
	case UnitLive:
		return Unit{}, fieldErr("serial", "unit %s is not finished yet", serial)
	}
	return u, nil
}

// checkChecklist checks the answers of a kind's checklist: known ids, "yes" (or "" for not
// checked) for a box, plain text for a text item. Empty answers are left out.
func checkChecklist(kind configs.ItemKind, in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for id, v := range in {
		var item *configs.CheckItem
		for i := range kind.Checklist {
			if kind.Checklist[i].ID == id {
				item = &kind.Checklist[i]
			}
		}
		field := "checklist." + id
		if item == nil {
			return nil, fieldErr(field, "is not on the checklist of a %s", kind.ID)
		}
		v, err := repairText(field, v, MaxChecklistText, false, false)
		if err != nil {
			return nil, err
		}
		if item.Input == configs.CheckBox && v != "" && v != "yes" {
			return nil, fieldErr(field, "is a box: %q is not \"yes\"", v)
		}
		if v != "" {
			out[id] = v
		}
	}
	return out, nil
}

// repairMediaTypes are the media types of the photos the photo store keeps.
var repairMediaTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// checkRepairPhotos checks the photos of an intake: at most MaxRepairPhotos, each a hash and
// a media type of the photo store, none twice.
func checkRepairPhotos(in []RepairPhoto) ([]RepairPhoto, error) {
	if len(in) > MaxRepairPhotos {
		return nil, fieldErr("photos", "%d photos, at most %d", len(in), MaxRepairPhotos)
	}
	seen := map[string]bool{}
	for i, p := range in {
		field := fmt.Sprintf("photos[%d]", i)
		switch {
		case !isPhotoHash(p.Hash):
			return nil, fieldErr(field, "%q is not a photo's SHA-256 (64 lowercase hex digits)", p.Hash)
		case !repairMediaTypes[p.MediaType]:
			return nil, fieldErr(field, "media type %q is not image/jpeg, image/png or image/webp", p.MediaType)
		case seen[p.Hash]:
			return nil, fieldErr(field, "is photos[%d] again", slicesIndex(in, p.Hash))
		}
		seen[p.Hash] = true
	}
	return append([]RepairPhoto(nil), in...), nil
}

func slicesIndex(ps []RepairPhoto, hash string) int {
	for i, p := range ps {
		if p.Hash == hash {
			return i
		}
	}
	return -1
}

// OpenRepair opens a repair, in one transaction, and returns it with its customer link (the
// only time the link is told: the book keeps its hash). At the counter the repair is received
// at once and its diagnosis work order made and dispatched; on the public page it is
// requested, for a finished unit only and only when the studio takes public requests. Bad
// input is a *FieldError; a serial of no unit wraps ErrUnknownUnit; nothing is stored on any
// error. An intake with an External id the book holds opens nothing: it returns the repair
// opened for it, as it is now, without a link (the link was told when it was opened).
func (b *Book) OpenRepair(ctx context.Context, in RepairIntake) (Repair, string, error) {
	a, err := b.aftercare()
	if err != nil {
		return Repair{}, "", err
	}
	if in.Actor == "" && in.Source == SourcePublic {
		in.Actor = ActorCustomer
	}
	if in.External != "" {
		if in.External, err = repairText("external", in.External, MaxRepairExternal, true, false); err != nil {
			return Repair{}, "", err
		}
	}
	link, hash, err := newLink()
	if err != nil {
		return Repair{}, "", err
	}
	var (
		r      Repair
		before bool
	)
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		if r, before, err = openedBefore(tx, in, now); err != nil || before {
			return err
		}
		if r, err = b.checkIntake(tx, a, in); err != nil {
			return err
		}
		if r.Seq, err = tx.NextRepairSeq(); err != nil {
			return err
		}
		r.ID = repairID(r.Seq)
		r.State = RepairRequested
		r.IntakeAt = now
		r.External = in.External
		if err := tx.InsertRepair(r, hash); err != nil {
			return fmt.Errorf("storing repair %s: %w", r.ID, err)
		}
		if err := b.event(tx, Event{At: now, Actor: string(in.Actor), Kind: EventRepairOpened, OrderID: r.ID,
			Reason: string(r.Source)}); err != nil {
			return err
		}
		if r.Source == SourceCounter {
			if err := b.oweSlip(tx, r, false, now); err != nil {
				return err
			}
			return b.receive(tx, a, &r, in.Actor, now)
		}
		return nil
	})
	if err != nil {
		return Repair{}, "", err
	}
	if before {
		return r, "", nil
	}
	return r, link, nil
}

// openedBefore returns the repair the book opened for in's external id before, as it is at
// now; found is false when in has no external id or the book holds none of it. A repair of
// that id for another item or customer is a *FieldError naming external.
func openedBefore(tx ReadTx, in RepairIntake, now time.Time) (r Repair, found bool, err error) {
	if in.External == "" {
		return Repair{}, false, nil
	}
	r, err = tx.RepairByExternal(in.External)
	if errors.Is(err, ErrNotFound) {
		return Repair{}, false, nil
	}
	if err != nil {
		return Repair{}, false, fmt.Errorf("reading the repair of external id %q: %w", in.External, err)
	}
	derive(&r, now)
	serial, item := strings.TrimSpace(in.Serial), strings.TrimSpace(in.Item)
	if r.Serial != serial || r.Item != item || r.Customer != strings.TrimSpace(in.Customer) {
		return Repair{}, false, fieldErr("external", "repair %s holds external id %q for another item or customer", r.ID, in.External)
	}
	return r, true, nil
}

// ReceiveRepair records that a requested repair's item arrived: it is received, and its
// diagnosis work order made and dispatched, in one transaction.
func (b *Book) ReceiveRepair(ctx context.Context, id string, actor Actor) (Repair, error) {
	a, err := b.aftercare()
	if err != nil {
		return Repair{}, err
	}
	var r Repair
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		if r, err = readRepair(tx, id, now); err != nil {
			return err
		}
		if r.State != RepairRequested {
			return &RepairStateError{Repair: r.ID, State: r.State, Action: "be received", Want: []RepairState{RepairRequested}}
		}
		return b.receive(tx, a, &r, actor, now)
	})
	if err != nil {
		return Repair{}, err
	}
	return r, nil
}

// receive makes r received at now, with its diagnosis work order, dispatched.
func (b *Book) receive(tx Tx, a *configs.Aftercare, r *Repair, actor Actor, now time.Time) error {
	d := a.Diagnosis.Setup + a.Diagnosis.UnitTime
	if d <= 0 {
		d = 24 * time.Hour
	}
	o := Order{OrderID: r.ID, SKU: configs.DiagnosisSKU, Quantity: 1, Customer: r.Customer, Due: now.Add(d),
		Hash: linkHash(r.ID + "\x00" + configs.DiagnosisSKU), IntakeAt: now}
	wo, err := b.insertRepairWork(tx, o)
	if err != nil {
		return err
	}
	r.State = RepairReceived
	r.ReceivedAt = &now
	r.DiagnosisWorkOrder = wo.ID
	if err := tx.UpdateRepair(*r); err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventRepairReceived, OrderID: r.ID, WorkOrder: wo.ID}); err != nil {
		return err
	}
	_, err = b.dispatch(tx, now)
	return err
}

// insertRepairWork stores a repair's order and its one work order, with the operations of its
// SKU's routing (a diagnosis, or services).
func (b *Book) insertRepairWork(tx Tx, o Order) (WorkOrder, error) {
	if _, ok := b.product(o.SKU); !ok {
		return WorkOrder{}, fmt.Errorf("%w: %s names no routing of the factory", ErrInvalid, o.SKU)
	}
	if err := tx.InsertOrder(o); err != nil {
		return WorkOrder{}, fmt.Errorf("storing order %s: %w", o.OrderID, err)
	}
	wo := newWorkOrder(o)
	if err := tx.InsertWorkOrder(&wo, b.routing(o)); err != nil {
		return WorkOrder{}, fmt.Errorf("storing the work order of %s: %w", o.OrderID, err)
	}
	return wo, nil
}

// readRepair reads a repair in tx, with its derived state at now; ErrNotFound wrapped when
// the book holds none of that id.
func readRepair(tx ReadTx, id string, now time.Time) (Repair, error) {
	r, err := tx.Repair(id)
	if errors.Is(err, ErrNotFound) {
		return Repair{}, fmt.Errorf("repair %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Repair{}, fmt.Errorf("reading repair %q: %w", id, err)
	}
	derive(&r, now)
	return r, nil
}

// Repair returns a repair by id, in its state now; an error wrapping ErrNotFound when the
// book holds none.
func (b *Book) Repair(ctx context.Context, id string) (Repair, error) {
	var r Repair
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		r, err = readRepair(tx, id, b.clock())
		return err
	})
	return r, err
}

// RepairByLink returns the repair whose customer link is link; a forged, unknown or replaced
// link is an error wrapping ErrNotFound.
func (b *Book) RepairByLink(ctx context.Context, link string) (Repair, error) {
	var r Repair
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		r, err = repairByLink(tx, link, b.clock())
		return err
	})
	return r, err
}

func repairByLink(tx ReadTx, link string, now time.Time) (Repair, error) {
	if link == "" || len(link) > 64 {
		return Repair{}, fmt.Errorf("repair link: %w", ErrNotFound)
	}
	r, err := tx.RepairByLink(linkHash(link))
	if errors.Is(err, ErrNotFound) {
		return Repair{}, fmt.Errorf("repair link: %w", ErrNotFound)
	}
	if err != nil {
		return Repair{}, fmt.Errorf("reading a repair by its link: %w", err)
	}
	derive(&r, now)
	return r, nil
}

// NewRepairLink makes a new customer link of a repair and returns it; the old one stops
// working.
func (b *Book) NewRepairLink(ctx context.Context, id string, actor Actor) (string, error) {
	link, hash, err := newLink()
	if err != nil {
		return "", err
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		if _, err := readRepair(tx, id, b.clock()); err != nil {
			return err
		}
		return tx.SetRepairLink(id, hash)
	})
	if err != nil {
		return "", err
	}
	return link, nil
}

// RepairFilter selects repairs; zero fields select all. State may be a derived state (ready,
// expired).
type RepairFilter struct {
	State    RepairState
	Serial   string
	Customer string
	// At is the time derived states are told at; the book sets it.
	At time.Time
	// AfterID pages: only repairs after this id; Limit caps the page (all when <= 0).
	AfterID string
	Limit   int
}

// Repairs returns the repairs f selects, by id, in their state now.
func (b *Book) Repairs(ctx context.Context, f RepairFilter) ([]Repair, error) {
	if f.AfterID != "" {
		if _, ok := RepairSeq(f.AfterID); !ok {
			return nil, fieldErr("after", "%q is not a repair id", f.AfterID)
		}
	}
	f.At = b.clock()
	var out []Repair
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Repairs(f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading repairs: %w", err)
	}
	for i := range out {
		derive(&out[i], f.At)
	}
	return out, nil
}

// UnitRepairs returns the repairs of a unit, by id; ErrUnknownUnit wrapped for a serial of no
// unit.
func (b *Book) UnitRepairs(ctx context.Context, serial string) ([]Repair, error) {
	if _, err := b.Unit(ctx, serial); err != nil {
		return nil, err
	}
	return b.Repairs(ctx, RepairFilter{Serial: serial})
}

// workSuffix ends the order id of a repair's work: the repair's id and it.
const workSuffix = "-W"

// RepairForOperation returns the repair an operation works on: the repair whose diagnosis it
// is, or one of whose approved services it carries out. ErrNotFound wrapped when it is of no
// repair.
func (b *Book) RepairForOperation(ctx context.Context, op int64) (Repair, error) {
	var r Repair
	err := b.store.Read(ctx, func(tx ReadTx) error {
		o, err := tx.Operation(op)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %d", ErrUnknownOperation, op)
		}
		if err != nil {
			return err
		}
		wo, err := tx.WorkOrder(o.WorkOrder)
		if err != nil {
			return err
		}
		if !configs.IsRepairSKU(wo.SKU) {
			return fmt.Errorf("operation %d is of no repair: %w", op, ErrNotFound)
		}
		r, err = readRepair(tx, strings.TrimSuffix(wo.OrderID, workSuffix), b.clock())
		return err
	})
	return r, err
}

// RepairCandidate returns the work order that services would make, not stored: for the
// planner's promise dates of an estimate. Its order has no id, customer or due date.
func (b *Book) RepairCandidate(services []string) (Candidate, error) {
	a, err := b.aftercare()
	if err != nil {
		return Candidate{}, err
	}
	if err := checkServices(a, "", services); err != nil {
		return Candidate{}, err
	}
	o := Order{SKU: configs.RepairSKU(services), Quantity: 1, Priority: 1}
	return Candidate{Order: o, Operations: b.routing(o)}, nil
}

// checkServices checks the services a diagnosis chose: 1 to MaxRepairServices, known, none
// twice, each for the kind (when kind is not empty).
func checkServices(a *configs.Aftercare, kind string, services []string) error {
	if len(services) == 0 || len(services) > MaxRepairServices {
		return fieldErr("services", "%d services: choose 1 to %d", len(services), MaxRepairServices)
	}
	for i, id := range services {
		field := fmt.Sprintf("services[%d]", i)
		s, ok := a.Service(id)
		if !ok {
			return fieldErr(field, "%q is not a service of the studio", id)
		}
		for j := range i {
			if services[j] == id {
				return fieldErr(field, "%q is services[%d] again", id, j)
			}
		}
		if kind == "" {
			continue
		}
		found := false
		for _, k := range s.Kinds {
			found = found || k == kind
		}
		if !found {
			return fieldErr(field, "%q is not a service for a %s", id, kind)
		}
	}
	return nil
}

// PhotoType returns the media type of the customer's photo of r with the given hash, "" when r
// has none.
func (r Repair) PhotoType(hash string) string {
	for _, ph := range r.Photos {
		if ph.Hash == hash {
			return ph.MediaType
		}
	}
	return ""
}
