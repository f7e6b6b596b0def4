package book

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellforge/cellforge/configs"
)

// Event kinds of quality checks.
const (
	EventQualityChecked = "quality.checked"        // a step's checklist answered at a completion
	EventNCOpened       = "nonconformance.opened"  // a failed check waits for a decision
	EventNCDecided      = "nonconformance.decided" // a person decided a non-conformance
)

// Errors of quality checks.
var (
	// ErrCheckRequired is returned (wrapped) when a cell controller completes an operation
	// whose step has a checklist: a person must answer it.
	ErrCheckRequired = errors.New("the step has a quality checklist: a person completes it")
	// ErrForbidden is returned (wrapped) when the actor may not take the decision asked for.
	ErrForbidden = errors.New("forbidden")
	// ErrNotDecidable is returned (wrapped) when the operation of an open non-conformance no
	// longer waits for its decision (it was resumed, completed or scrapped meanwhile).
	ErrNotDecidable = errors.New("the operation no longer waits for the decision")
	// ErrAwaitingDecision is returned (wrapped) when an operation whose check failed is
	// resumed or scrapped before its non-conformance is decided: only a decision moves it on.
	ErrAwaitingDecision = errors.New("the operation waits for the decision on its failed check")
)

// NCDecidedError says what was decided of a non-conformance before: another decision is
// refused. It matches ErrDecided.
type NCDecidedError struct {
	ID    int64
	State NCState
}

func (e *NCDecidedError) Error() string {
	return fmt.Sprintf("non-conformance %d was decided already (%s): it changes no more", e.ID, e.State)
}

// Is makes errors.Is(err, ErrDecided) hold.
func (e *NCDecidedError) Is(target error) bool { return target == ErrDecided }

// maxNote is the longest note of a decision, in characters.
const maxNote = 500

// checkReason is the pause and scrap reason of a failed check.
func (b *Book) checkReason() string {
	if r := b.cfg().factory.Stops.Check; r != "" {
		return r
	}
	return configs.DefaultStops().Check
}

// stepName is how a step is named to a person.
func stepName(s configs.Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Capability
}

// judgeChecks judges the answers given against a step's checklist: every item answered once,
// a measurement by a finite number, a pass-or-fail item by a boolean. It returns the outcomes
// in the checklist's order and whether all passed, or a *FieldError naming the item.
func judgeChecks(sku string, op Operation, step configs.Step, given []CheckResult) ([]CheckOutcome, bool, error) {
	if len(step.Checks) == 0 {
		return nil, true, fieldErr("checks", "step %d (%s) of %s has no checklist", op.Step+1, stepName(step), sku)
	}
	at := make(map[string]int, len(given))
	for i, g := range given {
		item := fmt.Sprintf("checks[%d]", i)
		c, ok := checkNamed(step.Checks, g.Name)
		switch {
		case !ok:
			return nil, false, fieldErr(item+".name", "%q is not in the checklist of step %d (%s) of %s", g.Name, op.Step+1, stepName(step), sku)
		case at[g.Name] > 0:
			return nil, false, fieldErr(item+".name", "%s is answered twice", g.Name)
		case c.Measure && g.Value == nil:
			return nil, false, fieldErr(item+".value", "%s is a measurement: give its value in %s", g.Name, c.Unit)
		case c.Measure && (math.IsNaN(*g.Value) || math.IsInf(*g.Value, 0)):
			return nil, false, fieldErr(item+".value", "%v is not a finite number", *g.Value)
		case c.Measure && g.Pass != nil:
			return nil, false, fieldErr(item+".pass", "%s is a measurement: give its value, not pass", g.Name)
		case !c.Measure && g.Pass == nil:
			return nil, false, fieldErr(item+".pass", "%s is pass or fail: give pass true or false", g.Name)
		case !c.Measure && g.Value != nil:
			return nil, false, fieldErr(item+".value", "%s is pass or fail: give pass, not a value", g.Name)
		}
		at[g.Name] = i + 1
	}
	out := make([]CheckOutcome, len(step.Checks))
	all := true
	for i, c := range step.Checks {
		j := at[c.Name]
		if j == 0 {
			return nil, false, fieldErr("checks", "%s is missing", c.Name)
		}
		g := given[j-1]
		o := CheckOutcome{Name: c.Name, Measure: c.Measure, Unit: c.Unit}
		if c.Measure {
			v, lo, hi := *g.Value, c.Min, c.Max
			o.Value, o.Min, o.Max, o.Pass = &v, &lo, &hi, c.Within(v)
		} else {
			o.Pass = *g.Pass
		}
		all = all && o.Pass
		out[i] = o
	}
	return out, all, nil
}

func checkNamed(cs []configs.Check, name string) (configs.Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return configs.Check{}, false
}

// checkCompletion judges the checks of a completion of op (of work order wo) before anything
// is stored. It returns nil outcomes when op's step has no checklist and none were given.
func (b *Book) checkCompletion(req TransitionRequest, op Operation, wo WorkOrder) ([]CheckOutcome, bool, error) {
	step, err := b.step(wo, op)
	if err != nil || (len(step.Checks) == 0 && req.Checks == nil) {
		if len(req.Checks) > 0 {
			return nil, false, fieldErr("checks", "operation %d follows no step of %s with a checklist", op.ID, wo.SKU)
		}
		return nil, true, nil
	}
	if len(step.Checks) > 0 && strings.HasPrefix(string(req.Actor), "cell:") {
		return nil, false, fmt.Errorf("completing operation %d at %s: %w", op.ID, op.Cell, ErrCheckRequired)
	}
	return judgeChecks(wo.SKU, op, step, req.Checks)
}

// recordCheck stores the check of op's completion and its event; a failed one opens a
// non-conformance (returned), with its event.
func (b *Book) recordCheck(tx Tx, actor Actor, op Operation, wo WorkOrder, outcomes []CheckOutcome, passed bool, now time.Time) (*NonConformance, error) {
	c := CheckRecord{Operation: op.ID, WorkOrder: wo.ID, Cell: op.Cell, SKU: wo.SKU, Step: op.Step,
		Units: op.Quantity - op.Scrapped, Outcomes: outcomes, Passed: passed, By: string(actor), At: now}
	if err := tx.InsertCheck(&c); err != nil {
		return nil, err
	}
	var failed []string
	for _, o := range outcomes {
		if !o.Pass {
			failed = append(failed, o.Name)
		}
	}
	e := Event{At: now, Actor: string(actor), Kind: EventQualityChecked, Cell: op.Cell, Drop: wo.Drop,
		OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, Quantity: c.Units, Reason: "passed"}
	if !passed {
		e.Reason = "failed: " + strings.Join(failed, ", ")
	}
	if err := b.event(tx, e); err != nil {
		return nil, err
	}
	if passed {
		return nil, nil
	}
	nc := NonConformance{Check: c.ID, Operation: op.ID, WorkOrder: wo.ID, Cell: op.Cell, SKU: wo.SKU,
		Failed: failed, State: NCOpen, OpenedAt: now, OpenedBy: string(actor)}
	if err := tx.InsertNonConformance(&nc); err != nil {
		return nil, err
	}
	e.Kind, e.Reason = EventNCOpened, fmt.Sprintf("non-conformance %d: %s", nc.ID, strings.Join(failed, ", "))
	if err := b.event(tx, e); err != nil {
		return nil, err
	}
	return &nc, nil
}

// awaitsDecision refuses an action on op, paused for its failed check, while the
// non-conformance it opened is open: the decision is what moves it on, so that none is left
// open on an operation that went on without it.
func (b *Book) awaitsDecision(tx Tx, op Operation) error {
	if op.State != Paused || op.Reason != b.checkReason() {
		return nil
	}
	ncs, err := tx.WorkOrderNonConformances(op.WorkOrder)
	if err != nil {
		return err
	}
	for _, nc := range ncs {
		if nc.Operation == op.ID && nc.State == NCOpen {
			return fmt.Errorf("operation %d: decide non-conformance %d (rework, scrap or accept): %w", op.ID, nc.ID, ErrAwaitingDecision)
		}
	}
	return nil
}

// failCheck pauses op, whose check failed, for the decision, with the check reason: its units
// done stay.
func (b *Book) failCheck(tx Tx, actor Actor, op *Operation, wo WorkOrder, now time.Time) error {
	prev := op.State
	op.State, op.Reason = Paused, b.checkReason()
	if err := tx.UpdateOperation(op); err != nil {
		return fmt.Errorf("pausing operation %d for its check: %w", op.ID, err)
	}
	e := operationEvent(now, actor, wo, op.ID, op.Cell, prev, Paused)
	e.Reason = op.Reason
	return b.event(tx, e)
}

// DecideNonConformance decides an open non-conformance in one transaction. rework inserts an
// operation that redoes the step right after the failed one (the operations after it move one
// place) and completes the failed one, which readies the rework: it is queued at the same
// cell when that is up. scrap scraps the failed operation's units left, and with them its
// work order. accept, for a manager with a note, completes the failed operation as it is. The
// same decision again returns the non-conformance unchanged; another one is refused with an
// *NCDecidedError.
func (b *Book) DecideNonConformance(ctx context.Context, d NCDecision) (NonConformance, error) {
	note := strings.TrimSpace(d.Note)
	switch d.Decision {
	case NCRework, NCScrap, NCAccept:
	default:
		return NonConformance{}, fieldErr("decision", "%q is not a decision (want rework, scrap or accept)", d.Decision)
	}
	switch {
	case utf8.RuneCountInString(note) > maxNote:
		return NonConformance{}, fieldErr("note", "is longer than %d characters", maxNote)
	case d.Decision == NCAccept && !d.MayAccept:
		return NonConformance{}, fmt.Errorf("accepting non-conformance %d: only a manager accepts units that failed their check: %w", d.ID, ErrForbidden)
	case d.Decision == NCAccept && note == "":
		return NonConformance{}, fieldErr("note", "a note is required to accept units that failed their check")
	}
	var out NonConformance
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		out, _, err = idempotent(tx, d.Idempotency, now, func() (NonConformance, error) {
			return b.decide(tx, d, note, now)
		})
		return err
	})
	if err != nil {
		return NonConformance{}, err
	}
	return out, nil
}

func (b *Book) decide(tx Tx, d NCDecision, note string, now time.Time) (NonConformance, error) {
	nc, err := tx.NonConformance(d.ID)
	if err != nil {
		return NonConformance{}, err
	}
	if nc.State != NCOpen {
		if nc.State == d.Decision {
			return nc, nil // a double tap
		}
		return NonConformance{}, &NCDecidedError{ID: nc.ID, State: nc.State}
	}
	op, err := tx.Operation(nc.Operation)
	if err != nil {
		return NonConformance{}, fmt.Errorf("reading operation %d: %w", nc.Operation, err)
	}
	if op.State != Paused {
		return NonConformance{}, fmt.Errorf("non-conformance %d: operation %d is %s: %w", nc.ID, op.ID, op.State, ErrNotDecidable)
	}
	wo, err := tx.WorkOrder(op.WorkOrder)
	if err != nil {
		return NonConformance{}, fmt.Errorf("reading work order %d: %w", op.WorkOrder, err)
	}
	if d.Decision == NCRework {
		step, err := b.step(wo, op)
		if err != nil {
			return NonConformance{}, fmt.Errorf("non-conformance %d: %w", nc.ID, err)
		}
		rework := Operation{WorkOrder: wo.ID, Seq: op.Seq + 1, Step: op.Step, ReworkOf: op.ID,
			Name: "Rework: " + stepName(step), Capability: op.Capability, Quantity: op.Quantity - op.Scrapped,
			UnitTime: step.UnitTime, State: Pending}
		if step.Changeover != nil {
			rework.ChangeoverAttr, rework.ChangeoverValue = step.Changeover.Attribute, step.Changeover.Value
		}
		if err := tx.InsertOperationAt(&rework); err != nil {
			return NonConformance{}, err
		}
		nc.Rework = rework.ID
	}
	// The decision is stored first: the operation no longer waits for it (see awaitsDecision).
	nc.State, nc.DecidedBy, nc.DecidedAt, nc.Note = d.Decision, string(d.Actor), &now, note
	if err := tx.DecideNonConformance(nc); err != nil {
		return NonConformance{}, err
	}
	if d.Decision == NCScrap {
		req := TransitionRequest{Operation: op.ID, Action: ActionScrap, Actor: d.Actor}
		if _, err := b.transition(tx, req, b.checkReason(), now); err != nil {
			return NonConformance{}, err
		}
	} else if err := b.completeChecked(tx, d.Actor, op, wo, now); err != nil {
		return NonConformance{}, err
	}
	if err := b.event(tx, Event{At: now, Actor: string(d.Actor), Kind: EventNCDecided, Cell: nc.Cell, Drop: wo.Drop,
		OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: op.ID, Reason: fmt.Sprintf("non-conformance %d: %s", nc.ID, nc.State),
		Quantity: op.Quantity - op.Scrapped}); err != nil {
		return NonConformance{}, err
	}
	return nc, nil
}

// completeChecked completes op, paused for its failed check, as a completion does (its
// reason stays: why it waited).
func (b *Book) completeChecked(tx Tx, actor Actor, op Operation, wo WorkOrder, now time.Time) error {
	req := TransitionRequest{Operation: op.ID, Action: ActionComplete, Actor: actor}
	if err := b.changeState(tx, req, &op, wo, Done, op.Quantity-op.Scrapped, "", now); err != nil {
		return err
	}
	ops, err := tx.Operations(wo.ID)
	if err != nil {
		return fmt.Errorf("reading operations of work order %d: %w", wo.ID, err)
	}
	return b.completed(tx, actor, op, &wo, ops, now)
}

// Checks returns the checks recorded at an operation, by id.
func (b *Book) Checks(ctx context.Context, operation int64) ([]CheckRecord, error) {
	var out []CheckRecord
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Checks(operation)
		return err
	})
	return out, err
}

// NonConformances returns the non-conformances f selects, by id.
func (b *Book) NonConformances(ctx context.Context, f NCFilter) ([]NonConformance, error) {
	var out []NonConformance
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.NonConformances(f)
		return err
	})
	return out, err
}

// NonConformance returns the non-conformance of an id, or an error wrapping ErrNotFound.
func (b *Book) NonConformance(ctx context.Context, id int64) (NonConformance, error) {
	var out NonConformance
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.NonConformance(id)
		return err
	})
	return out, err
}

// queueRework queues a rework operation, just readied, at cell, where the operation it
// reworks ran, when that cell is up and offers its capability; else the dispatcher places it.
func (b *Book) queueRework(tx Tx, rework Operation, wo WorkOrder, cell string, now time.Time) error {
	if cell == "" {
		return nil
	}
	up := false
	for _, c := range b.available()[rework.Capability] {
		up = up || c == cell
	}
	if !up {
		return nil
	}
	rework.State, rework.Cell, rework.QueuedAt = Queued, cell, &now
	if err := tx.UpdateOperation(&rework); err != nil {
		return fmt.Errorf("queueing rework operation %d at %s: %w", rework.ID, cell, err)
	}
	return b.event(tx, Event{At: now, Actor: string(ActorDispatcher), Kind: EventOperation, Cell: cell,
		Drop: wo.Drop, OrderID: wo.OrderID, WorkOrder: wo.ID, Operation: rework.ID, From: Ready, To: Queued})
}
