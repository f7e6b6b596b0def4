package book

import (
	"errors"
	"time"
)

// State is the state of an operation.
type State string

// Operation states. An operation is pending until the operation before it in its routing is
// done, ready until the dispatcher queues it at a cell, and then runs at that cell.
const (
	Pending  State = "pending"
	Ready    State = "ready"
	Queued   State = "queued"
	Running  State = "running"
	Paused   State = "paused"
	Done     State = "done"
	Scrapped State = "scrapped"
)

// WorkOrderState is the state of a work order, derived from its operations.
type WorkOrderState string

// Work order states.
const (
	WorkOpen     WorkOrderState = "open"
	WorkDone     WorkOrderState = "done"
	WorkScrapped WorkOrderState = "scrapped"
)

// Order is a pre-order of a drop as a planner imported it. Its OrderID is the idempotency key of
// batch imports.
type Order struct {
	OrderID  string    `json:"order_id"`
	Drop     string    `json:"drop"`
	SKU      string    `json:"sku"`
	Quantity int       `json:"quantity"`
	Customer string    `json:"customer,omitempty"`
	Priority int       `json:"priority"`
	Due      time.Time `json:"due"` // the row's due date, or the drop date
	Notes    string    `json:"notes,omitempty"`
	// Hash identifies the order's content: a re-sent order with the same hash is the same order.
	Hash     string    `json:"-"`
	IntakeAt time.Time `json:"intake_at"`
	Batch    string    `json:"batch"`
	// Withdrawn, set once the order is withdrawn (Book.Withdraw), says when, why and by whom.
	// It is not part of the order's content (Hash).
	Withdrawn *Withdrawal `json:"withdrawn,omitempty"`
}

// WorkOrder is the production of an order: its SKU's routing for the order's quantity, or, for
// a remake, for the units the order lost.
type WorkOrder struct {
	ID          int64          `json:"id"`
	OrderID     string         `json:"order_id"`
	Drop        string         `json:"drop"`
	SKU         string         `json:"sku"`
	Quantity    int            `json:"quantity"`
	Priority    int            `json:"priority"`
	Due         time.Time      `json:"due"`
	State       WorkOrderState `json:"state"`
	IntakeAt    time.Time      `json:"intake_at"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
	// RemakeOf, for a remake, is the work order whose lost units it makes again; zero for an
	// order's first work order.
	RemakeOf int64 `json:"remake_of,omitempty"`
}

// Operation is one step of a work order's routing.
type Operation struct {
	ID        int64 `json:"id"`
	WorkOrder int64 `json:"work_order"`
	Seq       int   `json:"seq"` // 0-based position in the work order's operations
	// Step is the index of the routing step the operation follows: its Seq, unless a rework
	// operation was added before it (a rework redoes the step of the operation it reworks).
	Step int `json:"step"`
	// ReworkOf is the operation whose failed check this one reworks, 0 for a routing step.
	ReworkOf        int64         `json:"rework_of,omitempty"`
	Name            string        `json:"name"`
	Capability      string        `json:"capability"`
	Quantity        int           `json:"quantity"`
	UnitTime        time.Duration `json:"-"`
	Setup           time.Duration `json:"-"`
	ChangeoverAttr  string        `json:"changeover_attribute,omitempty"`
	ChangeoverValue string        `json:"changeover_value,omitempty"`
	State           State         `json:"state"`
	Cell            string        `json:"cell,omitempty"`
	// Reason is the reason of the last pause or scrap.
	Reason   string `json:"reason,omitempty"`
	Scrapped int    `json:"scrapped"` // units scrapped at this operation
	// UnitsDone is the number of units finished at this operation so far, as the cell's machine
	// counts them (or the floor reports them).
	UnitsDone int        `json:"units_done"`
	QueuedAt  *time.Time `json:"queued_at,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// Version increases with every change, for optimistic checks by clients.
	Version int64 `json:"version"`
	// Plan is where and when the current plan puts the operation; nil when no plan holds it.
	// It is not stored with the operation: plans change without changing operations.
	Plan *Slot `json:"plan,omitempty"`
}

// StandardTime is the planned duration of the operation: setup plus the unit time of every unit.
func (o Operation) StandardTime() time.Duration {
	return o.Setup + time.Duration(o.Quantity)*o.UnitTime
}

// Event is one entry of the event log: the audit trail and the source of turnaround times.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Kind      string    `json:"kind"`
	Cell      string    `json:"cell,omitempty"`
	Drop      string    `json:"drop,omitempty"`
	OrderID   string    `json:"order_id,omitempty"`
	WorkOrder int64     `json:"work_order,omitempty"`
	Operation int64     `json:"operation,omitempty"`
	From      State     `json:"from,omitempty"`
	To        State     `json:"to,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Quantity  int       `json:"quantity,omitempty"`
	Batch     string    `json:"batch,omitempty"`
}

// Event kinds.
const (
	EventOrderReceived      = "order.received"
	EventBatchImported      = "batch.imported"
	EventOperation          = "operation.changed"
	EventOperationScrap     = "operation.scrapped_units"
	EventWorkOrderCompleted = "workorder.completed"
	EventWorkOrderScrapped  = "workorder.scrapped"
	EventWorkOrderRemake    = "workorder.remake"
	EventOperationProgress  = "operation.progress"
	EventCellFault          = "cell.fault"
	EventCellRecovered      = "cell.recovered"
	// EventCellReset records a person's reset of a cell: its reason is the person's note of
	// what was done about the fault.
	EventCellReset = "cell.reset"
)

// QueueEntry is an operation in a cell's queue with what the floor needs to see of its work order.
type QueueEntry struct {
	Operation
	OrderID  string    `json:"order_id"`
	Drop     string    `json:"drop"`
	SKU      string    `json:"sku"`
	Priority int       `json:"priority"`
	Due      time.Time `json:"due"`
}

// QueueRef is an operation of a cell's queue: its id and its state (running, paused or queued).
type QueueRef struct {
	ID    int64
	State State
}

// QueueSize is how many operations a cell's queue holds: Total, of which Queued wait to start
// (the others run or are paused).
type QueueSize struct {
	Total, Queued int
}

// WorkOrderFilter selects work orders; zero fields select all.
type WorkOrderFilter struct {
	Drop    string
	State   WorkOrderState
	AfterID int64 // for paging: only ids greater than this
	Limit   int
}

// Completion is one completed work order of a drop, for turnaround: its intake and completion
// times as the event log recorded them. The book's Completions are of orders: an order's
// intake and the completion of its last work order, WorkOrder.
type Completion struct {
	WorkOrder   int64
	OrderID     string
	IntakeAt    time.Time
	CompletedAt time.Time
}

// EventFilter selects events; zero fields select all.
type EventFilter struct {
	WorkOrder int64
	Operation int64
	Cell      string
	// Kinds selects the events of these kinds only; empty selects every kind.
	Kinds []string
	// Since selects the events at or after it only; the zero time sets no bound.
	Since   time.Time
	AfterID int64
	Limit   int
}

// IdempotencyRecord remembers the outcome of a write made with an Idempotency-Key, so that a
// retry of the same request gets the same answer and changes nothing.
type IdempotencyRecord struct {
	Principal   string // who made the request: the key is scoped to them
	Key         string
	RequestHash string // hash of the method, path and body
	Status      int    // the HTTP status of the first answer
	Response    []byte // the body of the first answer
	CreatedAt   time.Time
}

// CellLoad is the standard time queued, running or paused at a cell.
type CellLoad struct {
	Cell string
	Load time.Duration
}

// Unit is one unit a work order made: a record from the transaction that first counted it
// (see Book.Units), with a serial that never changes. It holds nothing of the order's customer.
type Unit struct {
	Serial    string `json:"serial"`
	WorkOrder int64  `json:"work_order"`
	OrderID   string `json:"order_id"`
	Drop      string `json:"drop"`
	SKU       string `json:"sku"`
	// Number is the unit's number within its work order, from 1: unit n is the nth good unit
	// at every step after it was made.
	Number int `json:"number"`
	// OrderUnit is the unit's number within its order, from 1: a remake's units are numbered
	// after those of the order's work orders before it.
	OrderUnit int `json:"order_unit"`
	// Seq is the unit's place in the studio's count of units, from 1.
	Seq       int64     `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	// Scrapped tells where and why the unit was scrapped; nil for a live unit.
	Scrapped *UnitScrap `json:"scrapped,omitempty"`
}

// UnitState is where a unit stands: being made, made, or scrapped.
type UnitState string

// Unit states.
const (
	// UnitLive is a unit its work order is still making.
	UnitLive UnitState = "live"
	// UnitFinished is a unit made: its work order is done and the unit was not scrapped.
	UnitFinished UnitState = "finished"
	// UnitScrapped is a unit scrapped at one of its work order's operations.
	UnitScrapped UnitState = "scrapped"
)

// StateIn returns the state of u, a unit of work order wo.
func (u Unit) StateIn(wo WorkOrder) UnitState {
	switch {
	case u.Scrapped != nil:
		return UnitScrapped
	case wo.State == WorkDone:
		return UnitFinished
	}
	return UnitLive
}

// UnitScrap is where, when and why a unit was scrapped.
type UnitScrap struct {
	Operation int64     `json:"operation"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// UnitsScrapped marks the live units of a work order numbered above Keep as scrapped at an
// operation.
type UnitsScrapped struct {
	WorkOrder int64
	Keep      int
	Operation int64
	Reason    string
	At        time.Time
}

// ErrNotFound is returned by a store when the thing asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is returned, wrapped, by a store whose database cannot be reached for now (a
// database server restarting or cut off): nothing of the write was applied, and the same
// request may be sent again later. The API answers it 503 with Retry-After.
var ErrUnavailable = errors.New("the order book's database is unavailable")
