package book

import (
	"context"
	"time"
)

// Store persists the order book. Every Write is one transaction: it is durable when Write
// returns nil and leaves nothing behind when fn returns an error. Implementations must be safe
// for concurrent use; writes may be serialized.
//
// The interface speaks of the book's own types only, so that a PostgreSQL implementation can
// sit beside the embedded SQLite one.
type Store interface {
	Read(ctx context.Context, fn func(ReadTx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// ReadTx reads a consistent snapshot of the book.
type ReadTx interface {
	StopsReadTx
	QualityReadTx
	OEEReadTx
	MarginReadTx

	// Orders returns the stored orders among ids, keyed by order id, each with its Withdrawn
	// when it was withdrawn.
	Orders(ids []string) (map[string]Order, error)
	// DropUnits returns the units ordered so far per SKU in a drop, less those of the orders
	// withdrawn.
	DropUnits(drop string) (map[string]int, error)

	WorkOrder(id int64) (WorkOrder, error) // ErrNotFound
	WorkOrderByOrder(orderID string) (WorkOrder, error)
	// WorkOrdersOf returns the work orders of the orders among ids (an order's first, then its
	// remakes), by id ascending.
	WorkOrdersOf(orderIDs []string) ([]WorkOrder, error)
	// OrdersWithLosses returns the ids of the orders of a drop (of every drop when drop is
	// empty) that lost units, by order id: one of their work orders was scrapped, or scrapped
	// units at an operation.
	OrdersWithLosses(drop string) ([]string, error)
	// LostOperations returns the operations of the work orders among ids that scrapped units
	// (Scrapped above zero), by work order id and routing order.
	LostOperations(workOrders []int64) ([]Operation, error)
	WorkOrders(f WorkOrderFilter) ([]WorkOrder, error) // by id ascending
	// Operations returns the operations of a work order in routing order.
	Operations(workOrder int64) ([]Operation, error)
	// OpenOperations returns the operations of the open work orders with ids in (after,
	// through], by work order id and routing order.
	OpenOperations(after, through int64) ([]Operation, error)
	Operation(id int64) (Operation, error) // ErrNotFound
	// ReadyOperations returns the operations in state ready, earliest due first, then higher
	// priority first, then by work order id and seq.
	ReadyOperations(limit int) ([]QueueEntry, error)
	// Queue returns the operations queued, running or paused at a cell: running first, then
	// paused, then queued; within each, earliest due first, then higher priority, then work
	// order id and seq.
	Queue(cell string, limit int) ([]QueueEntry, error)
	// QueueOrder returns the operations of a cell's queue, in Queue's order, by id and state
	// only: what ordering a long queue by plan needs, read from an index.
	QueueOrder(cell string) ([]QueueRef, error)
	// QueueEntries returns the queue entries of operations by id, in no particular order.
	QueueEntries(ids []int64) ([]QueueEntry, error)
	// FinishedOperations returns up to limit (all when limit <= 0) operations in state done or
	// scrapped that ended at or after since, by end time and then id.
	FinishedOperations(since time.Time, limit int) ([]QueueEntry, error)
	// CellLoads returns the standard time queued, running or paused at each cell that has any.
	CellLoads() ([]CellLoad, error)
	// Completions returns the completed work orders of a drop, by work order id, each with
	// its order id.
	Completions(drop string) ([]Completion, error)
	Events(f EventFilter) ([]Event, error) // by id ascending
	// LastEventID returns the id of the latest event, 0 when there is none.
	LastEventID() (int64, error)
	// Idempotency returns the record of a key, or ok false.
	Idempotency(principal, key string) (rec IdempotencyRecord, ok bool, err error)
	// Counts returns the number of work orders per state and operations per state.
	Counts() (map[WorkOrderState]int, map[State]int, error)

	// CellsDown returns the cells out of service, by cell id.
	CellsDown() ([]CellDown, error)
	// CellReport returns the fault a person reported at a cell, or ok false.
	CellReport(cell string) (r CellReport, ok bool, err error)
	// FaultPaused returns the operations that taking a cell down paused, by id.
	FaultPaused(cell string) ([]int64, error)
	// OwedLabels returns up to limit (all when limit <= 0) labels a cell owes, oldest first,
	// with their work orders' order, drop and SKU.
	OwedLabels(cell string, limit int) ([]OwedLabel, error)
	// CountOwedLabels returns how many labels a cell owes.
	CountOwedLabels(cell string) (int, error)
	// OwedSlips returns up to limit (all when limit <= 0) parcel slips owed, oldest first,
	// with what their repairs show.
	OwedSlips(limit int) ([]OwedSlip, error)
	// CountOwedSlips returns how many parcel slips are owed.
	CountOwedSlips() (int, error)
	// Cursor returns a follower's position in the event log, or ok false before it has one.
	Cursor(name string) (after int64, ok bool, err error)

	// Makers' notes and photos.

	// Notes returns the notes of every operation of a work order, by time and then id.
	Notes(workOrder int64) ([]Note, error)
	// Photos returns the photo records of every operation of a work order, by time and then id.
	Photos(workOrder int64) ([]Photo, error)
	// PhotoRecorded reports whether any photo record names the hash.
	PhotoRecorded(hash string) (bool, error)

	// Readings returns the summaries of the readings of an operation's machine, by quantity.
	Readings(operation int64) ([]ReadingSummary, error)

	// Units as records.

	// Unit returns the unit with a serial, or an error wrapping ErrNotFound.
	Unit(serial string) (Unit, error)
	// WorkOrderUnit returns unit number of a work order, or an error wrapping ErrNotFound.
	WorkOrderUnit(workOrder int64, number int) (Unit, error)
	// Units returns the units of a work order, by number.
	Units(workOrder int64) ([]Unit, error)
	// UnitsOfOrder returns the units of an order's work orders, by work order id and number.
	UnitsOfOrder(orderID string) ([]Unit, error)
	// TracedUnits returns the units of the work orders ids (at most MaxWorkOrdersPerRead of
	// them), by work order id and number, in one read: each with its work order, serial,
	// number and scrap mark (its State left for the caller to tell).
	TracedUnits(ids []int64) ([]TracedUnit, error)
	// UnitCount returns how many units a work order has, scrapped ones included: its
	// highest unit number.
	UnitCount(workOrder int64) (int, error)
	// LiveUnitCount returns how many live units a work order has: they are its units
	// numbered 1 to that count.
	LiveUnitCount(workOrder int64) (int, error)
	// LastUnitSeq returns the largest Seq of a unit, 0 when there is none.
	LastUnitSeq() (int64, error)

	// CertificateRevisions returns every revision of the certificate of the unit serial, by
	// number.
	CertificateRevisions(serial string) ([]CertificateRevision, error)

	// Lots: what operations made and consumed, for the recall trace.

	// OperationLots returns the lots of an operation: the one it made first, then the ones it
	// consumed by material.
	OperationLots(operation int64) ([]OperationLot, error)
	// LotUses returns the operations that made or consumed a lot, by operation id, each with
	// its work order and its order's customer.
	LotUses(lot string) ([]LotUse, error)
	// LotsLike returns up to limit distinct lot ids that start with prefix, in order.
	LotsLike(prefix string, limit int) ([]string, error)

	// Repairs and care plans.

	// Repair returns a repair in its stored state, with ReadyAt its work order's completion
	// once that is done; ErrNotFound when there is none of that id.
	Repair(id string) (Repair, error)
	// RepairByLink returns the repair whose customer link's SHA-256 (hex) is hash, as Repair
	// does; ErrNotFound when none has it.
	RepairByLink(hash string) (Repair, error)
	// RepairByExternal returns the repair whose external id (Repair.External) is external, as
	// Repair does; ErrNotFound when none has it.
	RepairByExternal(external string) (Repair, error)
	// Repairs returns the repairs f selects (a derived state told at f.At), by id, as Repair
	// returns them.
	Repairs(f RepairFilter) ([]Repair, error)
	// CarePlanHoldings returns the holdings of the unit serial and those of the customer by
	// exact name (either may be empty), by id.
	CarePlanHoldings(serial, customer string) ([]CarePlanHolding, error)
	// ActiveCarePlanHoldings returns the holdings active at at, by id.
	ActiveCarePlanHoldings(at time.Time) ([]CarePlanHolding, error)
	// CarePlanUses returns the live uses of the holdings among ids at at: not released, and
	// of a repair whose estimate has not expired unreleased at at.
	CarePlanUses(holdings []int64, at time.Time) ([]CarePlanUse, error)
	// FinishedUnitCount returns how many units are finished: their work order done, not
	// scrapped.
	FinishedUnitCount() (int, error)
	// OrderCustomers returns how many distinct customers (not empty) the orders of drops
	// have.
	OrderCustomers() (int, error)
}

// Tx reads and writes inside one transaction.
type Tx interface {
	StopsTx
	QualityTx

	ReadTx
	InsertOrder(o Order) error
	// InsertWorkOrder stores a work order and its operations, setting their ids.
	InsertWorkOrder(wo *WorkOrder, ops []Operation) error
	UpdateWorkOrder(wo WorkOrder) error
	// UpdateOperation stores op; it increments op.Version in the store and fails when the stored
	// version is not op.Version (a concurrent change).
	UpdateOperation(op *Operation) error
	AppendEvent(e *Event) error // sets e.ID
	PutIdempotency(rec IdempotencyRecord) error
	// ExpireIdempotency drops records created before t.
	ExpireIdempotency(before time.Time) error

	// PutCellDown stores a cell as out of service, replacing what was stored for it.
	PutCellDown(d CellDown) error
	// DeleteCellDown stores a cell as in service.
	DeleteCellDown(cell string) error
	// PutCellReport stores a fault a person reported, replacing one reported before.
	PutCellReport(r CellReport) error
	// DeleteCellReport forgets the fault reported at a cell and reports whether there was one.
	DeleteCellReport(cell string) (bool, error)
	// AddFaultPaused records that taking a cell down paused an operation.
	AddFaultPaused(cell string, operation int64) error
	// DeleteFaultPaused forgets that a fault paused an operation; none recorded is no error.
	DeleteFaultPaused(operation int64) error
	// OweLabels records the labels of units l.First through l.Last of an operation as owed.
	OweLabels(l LabelsOwed) error
	// DeleteOwedLabel forgets an owed label, printed, and reports whether it was owed.
	DeleteOwedLabel(id int64) (bool, error)
	// OweSlip records the parcel slip of a repair as owed.
	OweSlip(repair string, reprint bool, at time.Time) error
	// DeleteOwedSlip forgets an owed slip, printed, and reports whether it was owed.
	DeleteOwedSlip(id int64) (bool, error)
	// SetCursor stores a follower's position in the event log.
	SetCursor(name string, after int64) error

	// InsertNote stores a maker's note, setting its id.
	InsertNote(n *Note) error
	// InsertPhoto stores the record of a maker's photo, setting its id.
	InsertPhoto(p *Photo) error

	// PutReadings stores summaries of the readings of an operation's machine, each replacing
	// what was stored for its quantity.
	PutReadings(operation int64, rs []ReadingSummary) error

	// InsertUnits stores new units (their OrderID, Drop and SKU are their work order's). A
	// serial or seq another unit holds fails with an error wrapping ErrSerialTaken.
	InsertUnits(units []Unit) error
	// ScrapUnits marks the live units of a work order numbered above s.Keep as scrapped and
	// returns how many it marked.
	ScrapUnits(s UnitsScrapped) (int, error)

	// AppendCertificateRevision stores a revision of a unit's certificate; one of that number
	// stored already is ErrRevisionTaken.
	AppendCertificateRevision(r CertificateRevision) error

	// PutOperationLot stores a lot an operation made or consumed, replacing the one stored for
	// the same operation and material.
	PutOperationLot(l OperationLot) error
	// NextLotSeq takes the next number of the studio's lot sequence, from 1.
	NextLotSeq() (int64, error)

	// Repairs and care plans.

	// NextRepairSeq takes the next number of the studio's repair sequence, from 1.
	NextRepairSeq() (int64, error)
	// InsertRepair stores a new repair with the SHA-256 (hex) of its customer link, and its
	// External id when it has one: a link hash or an external id another repair holds is
	// refused.
	InsertRepair(r Repair, linkHash string) error
	// UpdateRepair stores what changed of a repair (its state, diagnosis, estimate, decision,
	// work orders and times); ErrNotFound when there is none of its id.
	UpdateRepair(r Repair) error
	// SetRepairLink replaces the hash of a repair's customer link.
	SetRepairLink(id, linkHash string) error
	// InsertCarePlanHolding stores a holding, setting its id.
	InsertCarePlanHolding(h *CarePlanHolding) error
	// InsertCarePlanUses stores the uses an estimate reserves; a holding, repair and service
	// recorded already is an error.
	InsertCarePlanUses(uses []CarePlanUse) error
	// ReleaseCarePlanUses releases the live uses of a repair at at and returns how many.
	ReleaseCarePlanUses(repair string, at time.Time) (int, error)

	// WithdrawOrder records an order's withdrawal (Orders returns it with the order from then
	// on) and takes its quantity off its drop's ordered units (DropUnits). The order must be
	// stored (else an error wrapping ErrNotFound) and not withdrawn already (else an error).
	WithdrawOrder(w Withdrawal) error
}

// BatchStore is a Store that can write a large batch without holding the write lock for the
// whole of it: the rows that fill inserts are written in several short transactions, between
// which other writes go, and no read sees any of them until finish's transaction commits,
// which makes them visible together. If anything fails before that commit, or the process
// dies, none of the batch is ever visible: what was written is removed, at once or at the
// next start.
//
// events is how many events fill appends at most; their ids are set aside before fill runs, after the
// ids that other writes may take meanwhile, so that every event that becomes visible has a
// larger id than every event visible before (a reader following the log never misses one).
// fill must not rely on the book staying as it was: other writes change it between the
// batch's transactions. finish runs in the transaction that makes the batch visible, and sees
// the book whole, the batch included; it is where decisions that need the current book
// (dispatching, an idempotency record) belong.
type BatchStore interface {
	WriteBatch(ctx context.Context, events int, fill func(BatchTx) error, finish func(Tx) error) error
}

// BatchTx inserts the rows of a batch being written by BatchStore.WriteBatch. The ids it sets
// are final; the rows stay invisible until the batch is.
type BatchTx interface {
	InsertOrder(o Order) error
	// InsertWorkOrder stores a work order and its operations, setting their ids.
	InsertWorkOrder(wo *WorkOrder, ops []Operation) error
	AppendEvent(e *Event) error // sets e.ID
}
