package book

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cellforge/cellforge/configs"
)

// Lots. An operation of a batch step (configs.Step.MakesLot, a dye bath) makes a lot when it
// first starts, with an id from the factory's lot pattern; the units of its work order inherit
// it. An operation of a step that names materials consumes a lot of each: the person starting
// it gives them (TransitionRequest.Lots), or records them later (RecordLots), since a machine
// may start it alone. A recall traces a lot to every work order whose operations made or
// consumed it (LotTrace).

// EventOperationLots records the lots of an operation: the one it made, or the ones a person
// gave or corrected. Its reason lists them.
const EventOperationLots = "operation.lots"

// LotRole says whether an operation made a lot or consumed it.
type LotRole string

// Lot roles.
const (
	LotMade     LotRole = "made"
	LotConsumed LotRole = "consumed"
)

// OperationLot is a lot an operation made (Material empty) or consumed as Material.
type OperationLot struct {
	Operation  int64     `json:"operation"`
	Material   string    `json:"material,omitempty"`
	Lot        string    `json:"lot"`
	Role       LotRole   `json:"role"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"recorded_by"`
}

// LotUse is an operation that made or consumed a lot, with where it ran and its work order.
type LotUse struct {
	OperationLot
	Step       string    `json:"step"`
	Capability string    `json:"capability"`
	Cell       string    `json:"cell,omitempty"`
	State      State     `json:"state"`
	WorkOrder  WorkOrder `json:"-"`
	// Customer is the customer of the work order's order: the trace's, never the public's.
	Customer string `json:"-"`
}

// OperationLots are the lots of one operation and the materials whose lots it lacks.
type OperationLots struct {
	Operation int64 `json:"operation"`
	// Made is the id of the lot the operation made; empty when its step makes none or it has
	// not started.
	Made string `json:"made,omitempty"`
	// Materials are the materials its step consumes, in the routing's order.
	Materials []string `json:"materials"`
	// Consumed are the lots given for them, by material.
	Consumed []OperationLot `json:"consumed"`
	// Missing are the materials with no lot given yet.
	Missing []string `json:"missing"`
	// Replayed is true when RecordLots answered with the remembered answer to an earlier
	// request with the same idempotency key.
	Replayed bool `json:"-"`
}

// TracedWorkOrder is a work order a lot touched, with its order's customer and how its
// operations used the lot.
type TracedWorkOrder struct {
	WorkOrder
	Customer string     `json:"customer,omitempty"`
	Uses     []TraceUse `json:"uses"`
	// Units are the work order's units, by number, each with its state: they carry the lot.
	Units []TracedUnit `json:"units"`
}

// TracedUnit is a unit of a traced work order and its state.
type TracedUnit struct {
	// WorkOrder is the unit's work order: the traced work order that lists it.
	WorkOrder int64     `json:"-"`
	Serial    string    `json:"serial"`
	Number    int       `json:"number"`
	State     UnitState `json:"state"`
	// Scrapped tells where and why the unit was scrapped; nil unless State is UnitScrapped.
	Scrapped *UnitScrap `json:"scrapped,omitempty"`
}

// TraceUse is how one operation of a traced work order used the lot.
type TraceUse struct {
	Operation int64   `json:"operation"`
	Role      LotRole `json:"role"`
	Material  string  `json:"material,omitempty"`
}

// LotTrace is where a lot came from and every work order it touched.
type LotTrace struct {
	Lot string `json:"lot"`
	// Made is the operation that made the lot; nil for a lot from outside the studio (a
	// supplier's yarn).
	Made *LotUse `json:"made,omitempty"`
	// Consumed are the operations that consumed it, by operation id.
	Consumed []LotUse `json:"consumed"`
	// WorkOrders are the work orders one of whose operations made or consumed it, by id.
	WorkOrders []TracedWorkOrder `json:"work_orders"`
}

// ErrUnknownLot is returned (wrapped) when a trace names a lot no operation made or consumed.
var ErrUnknownLot = errors.New("unknown lot")

// ErrLotsNotRecordable is returned (wrapped) when lots are recorded on an operation that has
// not started or was scrapped.
var ErrLotsNotRecordable = errors.New("lots are recorded on an operation that is running, paused or done")

// CheckLotID returns an error naming field when id cannot be a lot id: empty, longer than
// configs.MaxLotID characters, not UTF-8, with a control or format character (a tab, a line
// break, DEL, a C1 control, a zero-width space, a direction mark) or a space at either end.
func CheckLotID(field, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: %s: the lot id is empty", ErrInvalid, field)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s: the lot id is not valid UTF-8", ErrInvalid, field)
	case utf8.RuneCountInString(id) > configs.MaxLotID:
		return fmt.Errorf("%w: %s: the lot id is %d characters long, more than %d", ErrInvalid, field, utf8.RuneCountInString(id), configs.MaxLotID)
	}
	for i, r := range []rune(id) {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return fmt.Errorf("%w: %s: the lot id holds the control character U+%04X at character %d", ErrInvalid, field, r, i+1)
		}
	}
	first, _ := utf8.DecodeRuneInString(id)
	last, _ := utf8.DecodeLastRuneInString(id)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("%w: %s: the lot id %q begins or ends with a space", ErrInvalid, field, id)
	}
	return nil
}

// checkLots checks the ids of lots given by material, in material order, so that the first
// problem reported is the same every time.
func checkLots(lots map[string]string) error {
	for _, m := range slices.Sorted(maps.Keys(lots)) {
		if err := CheckLotID("lots."+m, lots[m]); err != nil {
			return err
		}
	}
	return nil
}

// step returns the routing step of op, an operation of wo.
func (b *Book) step(wo WorkOrder, op Operation) (configs.Step, error) {
	p, ok := b.product(wo.SKU)
	if !ok || op.Step < 0 || op.Step >= len(p.Routing) {
		return configs.Step{}, fmt.Errorf("operation %d: step %d of sku %q is not in the factory's routings", op.ID, op.Step+1, wo.SKU)
	}
	return p.Routing[op.Step], nil
}

// consumeLots records the lots op consumes, by material, as actor gives them: every material
// must be one its step names. It returns what changed, for the event, or nil.
func consumeLots(tx Tx, step configs.Step, op Operation, lots map[string]string, actor Actor, now time.Time) ([]string, error) {
	if len(lots) == 0 {
		return nil, nil
	}
	stored, err := tx.OperationLots(op.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the lots of operation %d: %w", op.ID, err)
	}
	have := make(map[string]string)
	for _, l := range stored {
		if l.Role == LotConsumed {
			have[l.Material] = l.Lot
		}
	}
	var changed []string
	for _, m := range slices.Sorted(maps.Keys(lots)) {
		if !slices.Contains(step.Materials, m) {
			if len(step.Materials) == 0 {
				return nil, fmt.Errorf("%w: lots.%s: step %q consumes no material", ErrInvalid, m, step.Name)
			}
			return nil, fmt.Errorf("%w: lots.%s: step %q does not consume %q (it consumes %s)", ErrInvalid, m, step.Name, m, strings.Join(step.Materials, ", "))
		}
		if have[m] == lots[m] {
			continue
		}
		if err := tx.PutOperationLot(OperationLot{Operation: op.ID, Material: m, Lot: lots[m], Role: LotConsumed,
			RecordedAt: now, Actor: string(actor)}); err != nil {
			return nil, fmt.Errorf("storing the %s lot of operation %d: %w", m, op.ID, err)
		}
		changed = append(changed, m+" "+lots[m])
	}
	return changed, nil
}

// maxLotTries bounds the numbers of the lot sequence a made lot tries when the ids they give
// are taken (after a change of the pattern).
const maxLotTries = 1000

// makeLot makes the lot of op, an operation of a batch step starting for the first time, and
// returns its id; "" when op made one already (it started before).
func (b *Book) makeLot(tx Tx, op Operation, actor Actor, now time.Time) (string, error) {
	stored, err := tx.OperationLots(op.ID)
	if err != nil {
		return "", fmt.Errorf("reading the lots of operation %d: %w", op.ID, err)
	}
	for _, l := range stored {
		if l.Role == LotMade {
			return "", nil
		}
	}
	for range maxLotTries {
		seq, err := tx.NextLotSeq()
		if err != nil {
			return "", fmt.Errorf("taking a number of the lot sequence: %w", err)
		}
		id := b.cfg().factory.LotID(op.Capability, op.Cell, now, seq)
		if err := CheckLotID("provenance.lot", id); err != nil {
			return "", fmt.Errorf("making the lot of operation %d: %w", op.ID, err)
		}
		uses, err := tx.LotUses(id)
		if err != nil {
			return "", fmt.Errorf("looking up lot %q: %w", id, err)
		}
		if slices.ContainsFunc(uses, func(u LotUse) bool { return u.Role == LotMade }) {
			continue
		}
		if err := tx.PutOperationLot(OperationLot{Operation: op.ID, Lot: id, Role: LotMade, RecordedAt: now, Actor: string(actor)}); err != nil {
			return "", fmt.Errorf("storing the lot operation %d made: %w", op.ID, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("making the lot of operation %d: the next %d numbers of the lot sequence give ids already taken", op.ID, maxLotTries)
}

// startLots records, in the transaction starting op (an operation of wo), the lot it makes on
// its first start and the lots req gives for its materials, with their event.
func (b *Book) startLots(tx Tx, req TransitionRequest, op Operation, wo WorkOrder, now time.Time) error {
	step, err := b.step(wo, op)
	if err != nil {
		return err
	}
	changed, err := consumeLots(tx, step, op, req.Lots, req.Actor, now)
	if err != nil {
		return err
	}
	if step.MakesLot {
		made, err := b.makeLot(tx, op, req.Actor, now)
		if err != nil {
			return err
		}
		if made != "" {
			changed = append([]string{"made " + made}, changed...)
		}
	}
	return b.lotsEvent(tx, req.Actor, wo, op, changed, now)
}

// lotsEvent appends the event of the lots changed at op, if any.
func (b *Book) lotsEvent(tx Tx, actor Actor, wo WorkOrder, op Operation, changed []string, now time.Time) error {
	if len(changed) == 0 {
		return nil
	}
	return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventOperationLots, Cell: op.Cell, Drop: wo.Drop,
		OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, From: op.State, To: op.State,
		Reason: "lots: " + strings.Join(changed, "; ")})
}

// RecordLotsRequest records or corrects the lots an operation consumed.
type RecordLotsRequest struct {
	Operation int64
	// Lots are lot ids by material: each material must be one the operation's step consumes.
	Lots  map[string]string
	Actor Actor
	// Idempotency, when set, makes a retry of the request change nothing.
	Idempotency *Idempotency
}

// RecordLots records or corrects the lots an operation running, paused or done consumed (a
// machine starts its work without a person, who records them afterwards), all or none, and
// returns its lots. A lot given again unchanged changes nothing.
func (b *Book) RecordLots(ctx context.Context, req RecordLotsRequest) (OperationLots, error) {
	if len(req.Lots) == 0 {
		return OperationLots{}, fmt.Errorf("%w: lots: give the lot of at least one material", ErrInvalid)
	}
	if err := checkLots(req.Lots); err != nil {
		return OperationLots{}, err
	}
	var out OperationLots
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		var replayed bool
		defer func() { out.Replayed = replayed }()
		out, replayed, err = idempotent(tx, req.Idempotency, now, func() (OperationLots, error) {
			op, wo, step, err := b.operationStep(tx, req.Operation)
			if err != nil {
				return OperationLots{}, err
			}
			switch op.State {
			case Running, Paused, Done:
			default:
				return OperationLots{}, fmt.Errorf("%w: operation %d is %s", ErrLotsNotRecordable, op.ID, op.State)
			}
			changed, err := consumeLots(tx, step, op, req.Lots, req.Actor, now)
			if err != nil {
				return OperationLots{}, err
			}
			if err := b.lotsEvent(tx, req.Actor, wo, op, changed, now); err != nil {
				return OperationLots{}, err
			}
			return lotsOf(tx, op, step)
		})
		return err
	})
	return out, err
}

// operationStep reads an operation, its work order and its routing step.
func (b *Book) operationStep(tx ReadTx, id int64) (Operation, WorkOrder, configs.Step, error) {
	op, err := tx.Operation(id)
	if errors.Is(err, ErrNotFound) {
		return Operation{}, WorkOrder{}, configs.Step{}, fmt.Errorf("%w: %d", ErrUnknownOperation, id)
	}
	if err != nil {
		return Operation{}, WorkOrder{}, configs.Step{}, fmt.Errorf("reading operation %d: %w", id, err)
	}
	wo, err := tx.WorkOrder(op.WorkOrder)
	if err != nil {
		return Operation{}, WorkOrder{}, configs.Step{}, fmt.Errorf("reading work order %d: %w", op.WorkOrder, err)
	}
	step, err := b.step(wo, op)
	return op, wo, step, err
}

// lotsOf reads the lots of op, an operation of step.
func lotsOf(tx ReadTx, op Operation, step configs.Step) (OperationLots, error) {
	stored, err := tx.OperationLots(op.ID)
	if err != nil {
		return OperationLots{}, fmt.Errorf("reading the lots of operation %d: %w", op.ID, err)
	}
	out := OperationLots{Operation: op.ID, Materials: slices.Clone(step.Materials), Consumed: []OperationLot{}, Missing: []string{}}
	if out.Materials == nil {
		out.Materials = []string{}
	}
	given := make(map[string]bool)
	for _, l := range stored {
		if l.Role == LotMade {
			out.Made = l.Lot
			continue
		}
		out.Consumed = append(out.Consumed, l)
		given[l.Material] = true
	}
	for _, m := range step.Materials {
		if !given[m] {
			out.Missing = append(out.Missing, m)
		}
	}
	return out, nil
}

// Lots returns the lots of an operation: the one it made, those it consumed and the materials
// whose lots it lacks.
func (b *Book) Lots(ctx context.Context, operation int64) (OperationLots, error) {
	var out OperationLots
	err := b.store.Read(ctx, func(tx ReadTx) error {
		op, _, step, err := b.operationStep(tx, operation)
		if err != nil {
			return err
		}
		out, err = lotsOf(tx, op, step)
		return err
	})
	return out, err
}

// LotTrace returns where a lot came from (the operation that made it, or none for a lot from
// outside) and every work order it touched: those one of whose operations made or consumed
// it, each with its order's customer. The units of a work order inherit its operations' lots.
func (b *Book) LotTrace(ctx context.Context, lot string) (LotTrace, error) {
	if err := CheckLotID("lot", lot); err != nil {
		return LotTrace{}, err
	}
	out := LotTrace{Lot: lot, Consumed: []LotUse{}, WorkOrders: []TracedWorkOrder{}}
	err := b.store.Read(ctx, func(tx ReadTx) error {
		uses, err := tx.LotUses(lot)
		if err != nil {
			return err
		}
		if len(uses) == 0 {
			return fmt.Errorf("%w: %q: no operation made or consumed it", ErrUnknownLot, lot)
		}
		byWO := make(map[int64]int)
		for _, u := range uses {
			if u.Role == LotMade {
				out.Made = &u
			} else {
				out.Consumed = append(out.Consumed, u)
			}
			i, ok := byWO[u.WorkOrder.ID]
			if !ok {
				i = len(out.WorkOrders)
				byWO[u.WorkOrder.ID] = i
				out.WorkOrders = append(out.WorkOrders, TracedWorkOrder{WorkOrder: u.WorkOrder, Customer: u.Customer})
			}
			out.WorkOrders[i].Uses = append(out.WorkOrders[i].Uses, TraceUse{Operation: u.Operation, Role: u.Role, Material: u.Material})
		}
		slices.SortFunc(out.WorkOrders, func(x, y TracedWorkOrder) int { return cmp.Compare(x.ID, y.ID) })
		return traceUnits(tx, out.WorkOrders)
	})
	if err != nil {
		return LotTrace{}, err
	}
	return out, nil
}

// MaxWorkOrdersPerRead is the most work orders whose units one store read reads
// (ReadTx.TracedUnits): a trace reads its units a page of work orders at a time.
const MaxWorkOrdersPerRead = 500

// traceUnits reads the units of the traced work orders wos, sorted by id, a page of
// MaxWorkOrdersPerRead work orders a read.
func traceUnits(tx ReadTx, wos []TracedWorkOrder) error {
	for start := 0; start < len(wos); start += MaxWorkOrdersPerRead {
		page := wos[start:min(start+MaxWorkOrdersPerRead, len(wos))]
		ids := make([]int64, len(page))
		for i, wo := range page {
			ids[i] = wo.ID
			// A work order's units are about its quantity: room for them up front.
			page[i].Units = make([]TracedUnit, 0, wo.Quantity)
		}
		units, err := tx.TracedUnits(ids)
		if err != nil {
			return fmt.Errorf("reading the units of the traced work orders: %w", err)
		}
		i := 0
		for _, u := range units {
			for i < len(page) && page[i].ID != u.WorkOrder {
				i++
			}
			if i == len(page) {
				return fmt.Errorf("unit %q of work order %d: not one of the traced work orders read", u.Serial, u.WorkOrder)
			}
			u.State = Unit{Scrapped: u.Scrapped}.StateIn(page[i].WorkOrder)
			page[i].Units = append(page[i].Units, u)
		}
	}
	return nil
}

// maxLotsLike is the most lot ids LotsLike returns.
const maxLotsLike = 50

// LotsLike returns up to limit (at most 50) lot ids that start with prefix, in order: what a
// search box offers.
func (b *Book) LotsLike(ctx context.Context, prefix string, limit int) ([]string, error) {
	if limit <= 0 || limit > maxLotsLike {
		limit = maxLotsLike
	}
	var out []string
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.LotsLike(prefix, limit)
		return err
	})
	return out, err
}
