package book

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// An order is made by work orders: its first, for the quantity ordered, and a remake for the
// units it lost, as often as it lost some. A unit is lost when it is scrapped (some units at an
// operation, or every unit left when a work order is scrapped); the operations after a partial
// scrap plan fewer units, so the order silently falls short unless its shortfall is made again.
// The shortfall is read from the operations' scrapped counts and the work orders' states, so it
// holds however the units were scrapped.

// OrderState is the state of an order, derived from its work orders.
type OrderState string

// Order states. An order is open while a work order makes it, short when none does and it
// lacks units, and done when none does and it lacks none; OrderWithdrawn (withdraw.go) once it
// was withdrawn, when it lacks nothing any more.
const (
	OrderOpen  OrderState = "open"
	OrderShort OrderState = "short"
	OrderDone  OrderState = "done"
)

// Shortfall is how an order's units stand across its work orders.
type Shortfall struct {
	Ordered int `json:"ordered"`
	// Good is the units made: those left in its done work orders.
	Good int `json:"good"`
	// Making is the units being made: those left in its open work orders.
	Making int `json:"making"`
	// Remaking is the part of Making that remakes make.
	Remaking int `json:"remaking"`
	// Lost is the units scrapped in all its work orders.
	Lost int `json:"lost"`
	// Short is the units neither made nor being made: Ordered - Good - Making, at least zero.
	// It is what a remake makes.
	Short int `json:"short"`
	// Losses says where the units were lost, by work order and routing order.
	Losses []Loss `json:"losses"`
}

// Loss is the units an operation scrapped.
type Loss struct {
	WorkOrder int64  `json:"work_order"`
	Operation int64  `json:"operation"`
	Step      string `json:"step"`
	Cell      string `json:"cell,omitempty"`
	Units     int    `json:"units"`
	// Reason is the reason of the operation's last scrap.
	Reason string `json:"reason,omitempty"`
}

// OrderDetail is an order with its work orders (its first, then its remakes) and how its units
// stand.
type OrderDetail struct {
	Order      Order       `json:"order"`
	State      OrderState  `json:"state"`
	Shortfall  Shortfall   `json:"shortfall"`
	WorkOrders []WorkOrder `json:"work_orders"`
}

// Latest returns the order's latest work order: a remake, when it has one.
func (d OrderDetail) Latest() WorkOrder {
	if len(d.WorkOrders) == 0 {
		return WorkOrder{}
	}
	return d.WorkOrders[len(d.WorkOrders)-1]
}

// left returns the units a work order still holds: none once scrapped, else its quantity less
// the units its operations scrapped.
func left(wo WorkOrder, lost int) int {
	if wo.State == WorkScrapped {
		return 0
	}
	return max(wo.Quantity-lost, 0)
}

// account works out an order's state and shortfall from its work orders (by id) and the
// operations of theirs that scrapped units.
func account(o Order, wos []WorkOrder, lost []Operation) OrderDetail {
	d := OrderDetail{Order: o, WorkOrders: wos, State: OrderDone}
	d.Shortfall.Ordered = o.Quantity
	scrapped := make(map[int64]int, len(wos))
	for _, op := range lost {
		scrapped[op.WorkOrder] += op.Scrapped
		d.Shortfall.Losses = append(d.Shortfall.Losses, Loss{WorkOrder: op.WorkOrder, Operation: op.ID, Step: op.Name,
			Cell: op.Cell, Units: op.Scrapped, Reason: op.Reason})
	}
	if d.Shortfall.Losses == nil {
		d.Shortfall.Losses = []Loss{}
	}
	for _, wo := range wos {
		n := left(wo, scrapped[wo.ID])
		d.Shortfall.Lost += wo.Quantity - n
		switch wo.State {
		case WorkDone:
			d.Shortfall.Good += n
		case WorkOpen:
			d.State = OrderOpen
			d.Shortfall.Making += n
			if wo.RemakeOf != 0 {
				d.Shortfall.Remaking += n
			}
		}
	}
	d.Shortfall.Short = max(o.Quantity-d.Shortfall.Good-d.Shortfall.Making, 0)
	if o.Withdrawn != nil {
		d.State, d.Shortfall.Short = OrderWithdrawn, 0
		return d
	}
	if d.State == OrderDone && d.Shortfall.Short > 0 {
		d.State = OrderShort
	}
	return d
}

// uncovered returns the work order whose lost units a remake of d makes up for: walking the
// work orders in order, the first whose losses the remakes made so far do not cover.
func (d OrderDetail) uncovered() int64 {
	covered := 0
	for _, wo := range d.WorkOrders {
		if wo.RemakeOf != 0 {
			covered += wo.Quantity
		}
	}
	lost := make(map[int64]int)
	for _, l := range d.Shortfall.Losses {
		lost[l.WorkOrder] += l.Units
	}
	sum := 0
	for _, wo := range d.WorkOrders {
		sum += wo.Quantity - left(wo, lost[wo.ID])
		if sum > covered {
			return wo.ID
		}
	}
	return d.Latest().ID
}

// orderDetails reads the orders among ids with their work orders and losses, in the order of
// ids; ids the book does not hold are left out.
func orderDetails(tx ReadTx, ids []string) ([]OrderDetail, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	orders, err := tx.Orders(ids)
	if err != nil {
		return nil, err
	}
	wos, err := tx.WorkOrdersOf(ids)
	if err != nil {
		return nil, err
	}
	woIDs := make([]int64, len(wos))
	byOrder := make(map[string][]WorkOrder, len(orders))
	for i, wo := range wos {
		woIDs[i] = wo.ID
		byOrder[wo.OrderID] = append(byOrder[wo.OrderID], wo)
	}
	lost, err := tx.LostOperations(woIDs)
	if err != nil {
		return nil, err
	}
	of := make(map[int64]string, len(wos))
	for _, wo := range wos {
		of[wo.ID] = wo.OrderID
	}
	lostBy := make(map[string][]Operation)
	for _, op := range lost {
		lostBy[of[op.WorkOrder]] = append(lostBy[of[op.WorkOrder]], op)
	}
	out := make([]OrderDetail, 0, len(ids))
	for _, id := range ids {
		o, ok := orders[id]
		if !ok {
			continue
		}
		out = append(out, account(o, byOrder[id], lostBy[id]))
	}
	return out, nil
}

// orderDetail reads one order's detail; ErrUnknownOrder when the book does not hold it.
func orderDetail(tx ReadTx, orderID string) (OrderDetail, error) {
	ds, err := orderDetails(tx, []string{orderID})
	if err != nil {
		return OrderDetail{}, fmt.Errorf("reading order %q: %w", orderID, err)
	}
	if len(ds) == 0 {
		return OrderDetail{}, fmt.Errorf("%w: %q", ErrUnknownOrder, orderID)
	}
	return ds[0], nil
}

// OrderDetail returns an order with its work orders and how its units stand.
func (b *Book) OrderDetail(ctx context.Context, orderID string) (OrderDetail, error) {
	var d OrderDetail
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		d, err = orderDetail(tx, orderID)
		return err
	})
	return d, err
}

// Shortfalls returns the orders of a drop (of every drop when drop is empty) that lost units
// and are short of units or have them made again: earliest due first, then by order id.
func (b *Book) Shortfalls(ctx context.Context, drop string) ([]OrderDetail, error) {
	if _, ok := b.cfg().drops[drop]; drop != "" && !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDrop, drop)
	}
	var out []OrderDetail
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = lossyOrders(tx, drop)
		return err
	})
	if err != nil {
		return nil, err
	}
	out = slices.DeleteFunc(out, func(d OrderDetail) bool { return d.Shortfall.Short == 0 && d.Shortfall.Remaking == 0 })
	slices.SortStableFunc(out, func(x, y OrderDetail) int {
		return cmp.Or(x.Order.Due.Compare(y.Order.Due), cmp.Compare(x.Order.OrderID, y.Order.OrderID))
	})
	return out, nil
}

// lossyOrders reads the orders of a drop (every drop when drop is empty) that lost units. A
// repair's orders (configs.IsRepairSKU), of no drop, are left out: a repair is not made again.
func lossyOrders(tx ReadTx, drop string) ([]OrderDetail, error) {
	ids, err := tx.OrdersWithLosses(drop)
	if err != nil {
		return nil, err
	}
	ds, err := orderDetails(tx, ids)
	return slices.DeleteFunc(ds, func(d OrderDetail) bool { return configs.IsRepairSKU(d.Order.SKU) }), err
}

// ErrNotShort is returned, in a *NotShortError, when a remake is asked of an order that lacks
// no unit.
var ErrNotShort = errors.New("order is not short of units")

// NotShortError says that an order lacks no unit, so there is nothing to make again.
type NotShortError struct {
	Order                  string
	Ordered, Good, Making  int
	Remaking               int
	RemakeOf, LatestRemake int64
}

func (e *NotShortError) Error() string {
	msg := fmt.Sprintf("order %q is not short of units: %d ordered, %d made, %d being made", e.Order, e.Ordered, e.Good, e.Making)
	if e.Remaking > 0 {
		msg += fmt.Sprintf(" (%d of them again, by work order %d)", e.Remaking, e.LatestRemake)
	}
	return msg + ": there is nothing to make again"
}

// Is makes errors.Is(err, ErrNotShort) hold.
func (e *NotShortError) Is(target error) bool { return target == ErrNotShort }

// RemakeRequest asks to make again the units an order lacks.
type RemakeRequest struct {
	OrderID string
	Actor   Actor
	// Idempotency, when set, makes a retry of the request change nothing.
	Idempotency *Idempotency
}

// RemakeResult is the remake made: its work order and operations, and the order as it stands
// with it.
type RemakeResult struct {
	WorkOrder  WorkOrder   `json:"work_order"`
	Operations []Operation `json:"operations"`
	Order      OrderDetail `json:"order"`
	// Replayed is true when the result is the remembered answer to an earlier request with the
	// same idempotency key.
	Replayed bool `json:"-"`
}

// Remake makes again, in one transaction, the units an order lacks: a new work order of the
// order's SKU for its shortfall, with operations that follow the SKU's routing from the first
// step (a lost unit is made again from the start), due as the order, its first operation
// dispatched as any new work's, and a workorder.remake event naming the work order whose lost
// units it makes up for. The order is done only once every work order of it has ended and it
// lacks no unit.
//
// Writes are serialized and the shortfall is read in the remake's own transaction, so that
// requests made at once (a double tap, several people) make one remake: the others find the
// order no longer short and get a *NotShortError, as does a request for an order that lacks
// nothing. With an idempotency key, a retry gets the first answer back.
func (b *Book) Remake(ctx context.Context, req RemakeRequest) (RemakeResult, error) {
	var res RemakeResult
	err := b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var replayed bool
		var err error
		res, replayed, err = idempotent(tx, req.Idempotency, now, func() (RemakeResult, error) {
			return b.remake(tx, req, now)
		})
		res.Replayed = replayed
		return err
	})
	if err != nil {
		return RemakeResult{}, err
	}
	return res, nil
}

func (b *Book) remake(tx Tx, req RemakeRequest, now time.Time) (RemakeResult, error) {
	d, err := orderDetail(tx, req.OrderID)
	if err != nil {
		return RemakeResult{}, err
	}
	if configs.IsRepairSKU(d.Order.SKU) {
		return RemakeResult{}, fmt.Errorf("%w: order %q is a repair's: a repair is not made again", ErrInvalid, d.Order.OrderID)
	}
	if d.Order.Withdrawn != nil {
		return RemakeResult{}, fmt.Errorf("%w: order %q was withdrawn: nothing of it is made again", ErrInvalid, d.Order.OrderID)
	}
	s := d.Shortfall
	if s.Short == 0 {
		e := &NotShortError{Order: d.Order.OrderID, Ordered: s.Ordered, Good: s.Good, Making: s.Making, Remaking: s.Remaking}
		for _, wo := range d.WorkOrders {
			if wo.RemakeOf != 0 && wo.State == WorkOpen {
				e.LatestRemake = wo.ID
			}
		}
		return RemakeResult{}, e
	}
	if _, ok := b.cfg().products[d.Order.SKU]; !ok {
		return RemakeResult{}, fmt.Errorf("%w: order %q: its SKU %q is no longer among the factory's products", ErrInvalid,
			d.Order.OrderID, d.Order.SKU)
	}
	o := d.Order
	o.Quantity = s.Short
	wo := newWorkOrder(o)
	wo.RemakeOf = d.uncovered()
	ops := b.routing(o)
	if err := tx.InsertWorkOrder(&wo, ops); err != nil {
		return RemakeResult{}, fmt.Errorf("storing the remake of order %q: %w", o.OrderID, err)
	}
	if err := b.event(tx, Event{At: now, Actor: string(req.Actor), Kind: EventWorkOrderRemake, Drop: o.Drop,
		OrderID: o.OrderID, WorkOrder: wo.ID, Quantity: s.Short,
		Reason: fmt.Sprintf("makes again %d unit(s) lost in work order %d", s.Short, wo.RemakeOf)}); err != nil {
		return RemakeResult{}, err
	}
	if _, err := b.dispatch(tx, now); err != nil {
		return RemakeResult{}, err
	}
	res := RemakeResult{WorkOrder: wo}
	if res.Operations, err = tx.Operations(wo.ID); err != nil {
		return RemakeResult{}, fmt.Errorf("reading the operations of remake %d: %w", wo.ID, err)
	}
	if res.Order, err = orderDetail(tx, o.OrderID); err != nil {
		return RemakeResult{}, err
	}
	return res, nil
}
