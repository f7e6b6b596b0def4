package book

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Estimate is the price of a repair's services and its turnaround choices, made by its
// diagnosis. All money is in the currency's minor unit.
type Estimate struct {
	Currency string         `json:"currency"`
	Lines    []EstimateLine `json:"lines"`
	// Subtotal is what the lines charge: those a care plan covers charge nothing.
	Subtotal configs.Money `json:"subtotal"`
	// Standard is the standard date, at StandardTotal (the subtotal).
	Standard      time.Time     `json:"standard"`
	StandardTotal configs.Money `json:"standard_total"`
	// Express is the express date, nil when the estimate offers none (it is not earlier than
	// the standard one); Premium is its premium and ExpressTotal the subtotal with it.
	Express      *time.Time    `json:"express,omitempty"`
	Premium      configs.Money `json:"premium,omitempty"`
	ExpressTotal configs.Money `json:"express_total,omitempty"`
	// At is when it was made; ExpiresAt when it can no longer be approved.
	At        time.Time `json:"at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Total returns what the estimate charges with the express date or without.
func (e Estimate) Total(express bool) configs.Money {
	if express {
		return e.ExpressTotal
	}
	return e.StandardTotal
}

// EstimateLine is one service of an estimate.
type EstimateLine struct {
	Service string        `json:"service"`
	Name    string        `json:"name"`
	Fee     configs.Money `json:"fee"`
	// LabourTime is the service routing's standard time for one item (setup and unit time of
	// every step); Labour its price at the labour rate.
	LabourTime time.Duration  `json:"labour_ns"`
	Labour     configs.Money  `json:"labour"`
	Parts      []EstimatePart `json:"parts,omitempty"`
	// Price is fee, labour and parts; Charged is Price, or 0 when a care plan covers it.
	Price   configs.Money `json:"price"`
	Charged configs.Money `json:"charged"`
	// CoveredBy is the care plan holding that covers the line, nil when none does.
	CoveredBy *Coverage `json:"covered_by,omitempty"`
}

// LabourMinutes returns the line's labour time in minutes.
func (l EstimateLine) LabourMinutes() float64 { return l.LabourTime.Minutes() }

// EstimatePart is a part a service uses, at its price.
type EstimatePart struct {
	Name  string        `json:"name"`
	Price configs.Money `json:"price"`
}

// Coverage is the care plan holding that covers a service of an estimate.
type Coverage struct {
	Holding int64  `json:"holding"`
	Plan    string `json:"plan"`
}

// PriceEstimate prices services, in order, under a's prices: per service its fee, its labour
// (its routing's standard time for one item at a.LabourRate an hour, rounded half up to the
// cent) and its parts; a service in covered charges nothing and names its holding. The
// standard total is the subtotal; an express date earlier than standard adds
// a.ExpressPremium percent of the subtotal (rounded half up), and a later or equal one (or
// none) offers no express choice. It sets neither At nor ExpiresAt.
func PriceEstimate(a *configs.Aftercare, services []string, covered map[string]Coverage, standard, express time.Time) (Estimate, error) {
	if a == nil {
		return Estimate{}, fmt.Errorf("%w (the factory has no aftercare section)", ErrNoAftercare)
	}
	if err := checkServices(a, "", services); err != nil {
		return Estimate{}, err
	}
	if standard.IsZero() {
		return Estimate{}, fieldErr("standard", "the standard date is required")
	}
	e := Estimate{Currency: a.Currency, Standard: standard}
	if e.Currency == "" {
		e.Currency = configs.DefaultCurrency
	}
	for _, id := range services {
		s, _ := a.Service(id)
		l := EstimateLine{Service: id, Name: s.Name, Fee: s.Fee}
		for _, st := range s.Routing {
			l.LabourTime += st.Setup + st.UnitTime
		}
		l.Labour = labour(l.LabourTime, a.LabourRate)
		l.Price = l.Fee + l.Labour
		for _, p := range s.Parts {
			l.Parts = append(l.Parts, EstimatePart{Name: p.Name, Price: p.Price})
			l.Price += p.Price
		}
		l.Charged = l.Price
		if c, ok := covered[id]; ok {
			c := c
			l.CoveredBy, l.Charged = &c, 0
		}
		e.Subtotal += l.Charged
		e.Lines = append(e.Lines, l)
	}
	e.StandardTotal = e.Subtotal
	if !express.IsZero() && express.Before(standard) {
		x := express
		e.Express = &x
		e.Premium = halfUp(new(big.Int).Mul(big.NewInt(int64(e.Subtotal)), big.NewInt(int64(a.ExpressPremium))), big.NewInt(100))
		e.ExpressTotal = e.Subtotal + e.Premium
	}
	return e, nil
}

// labour is the price of d at rate an hour, rounded half up to the cent.
func labour(d time.Duration, rate configs.Money) configs.Money {
	num := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(int64(rate)))
	return halfUp(num, big.NewInt(int64(time.Hour)))
}

// halfUp is num/den rounded half up (num >= 0, den > 0).
func halfUp(num, den *big.Int) configs.Money {
	n := new(big.Int).Mul(num, big.NewInt(2))
	n.Add(n, den)
	n.Quo(n, new(big.Int).Mul(den, big.NewInt(2)))
	return configs.Money(n.Int64())
}

// DiagnoseRequest is a maker's diagnosis of a repair, at the end of its diagnosis operation.
type DiagnoseRequest struct {
	Repair string
	// Operation is the repair's diagnosis operation, running.
	Operation int64
	Findings  string
	// Services are the ids of the services chosen, in order.
	Services []string
	// Standard and Express are the promise dates of the services' work, from the planner;
	// Express not earlier than Standard (or zero) offers no express choice.
	Standard, Express time.Time
	Actor             Actor
	// Idempotency, when set, makes a retry of the request answer as the first did and change
	// nothing (see DiagnoseOnce).
	Idempotency *Idempotency
}

// Diagnose records a repair's diagnosis, in one transaction: it completes the diagnosis
// operation as the usual completion of one good unit (completing its work order), stores the
// findings and the estimate (the care plan entitlements it applies reserved with it), and the
// repair is estimated until the studio's estimate validity has passed.
func (b *Book) Diagnose(ctx context.Context, req DiagnoseRequest) (Repair, error) {
	r, _, err := b.DiagnoseOnce(ctx, req)
	return r, err
}

// DiagnoseOnce is Diagnose that also reports whether req.Idempotency named a key used before
// for the same request: the repair is then answered as the first request left it, and nothing
// changes.
func (b *Book) DiagnoseOnce(ctx context.Context, req DiagnoseRequest) (Repair, bool, error) {
	a, err := b.aftercare()
	if err != nil {
		return Repair{}, false, err
	}
	findings, err := repairText("findings", req.Findings, MaxFindings, true, true)
	if err != nil {
		return Repair{}, false, err
	}
	var (
		r        Repair
		replayed bool
	)
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		var err error
		r, replayed, err = idempotent(tx, req.Idempotency, now, func() (Repair, error) {
			return b.diagnose(tx, a, req, findings, now)
		})
		return err
	})
	if err != nil {
		var te *TransitionError
		if errors.As(err, &te) {
			return Repair{}, false, fmt.Errorf("diagnosing repair %s: %w", req.Repair, err)
		}
		return Repair{}, false, err
	}
	return r, replayed, nil
}

// diagnose is DiagnoseOnce's transaction, without the idempotency key.
func (b *Book) diagnose(tx Tx, a *configs.Aftercare, req DiagnoseRequest, findings string, now time.Time) (Repair, error) {
	r, err := readRepair(tx, req.Repair, now)
	if err != nil {
		return Repair{}, err
	}
	err = func() error {
		if r.State != RepairReceived {
			return &RepairStateError{Repair: r.ID, State: r.State, Action: "be diagnosed", Want: []RepairState{RepairReceived}}
		}
		if err := checkServices(a, r.Kind, req.Services); err != nil {
			return err
		}
		op, err := tx.Operation(req.Operation)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("reading operation %d: %w", req.Operation, err)
		}
		if err != nil || op.WorkOrder != r.DiagnosisWorkOrder {
			return fieldErr("operation", "%d is not the diagnosis operation of repair %s", req.Operation, r.ID)
		}
		covered, uses, err := b.coverage(tx, a, r, req.Services, now)
		if err != nil {
			return err
		}
		e, err := PriceEstimate(a, req.Services, covered, req.Standard, req.Express)
		if err != nil {
			return err
		}
		good := 1
		if _, err := b.transition(tx, TransitionRequest{Operation: op.ID, Action: ActionComplete, Actor: req.Actor, Good: &good}, "", now); err != nil {
			return err
		}
		valid := a.EstimateValid
		if valid <= 0 {
			valid = configs.DefaultEstimateValid
		}
		e.At, e.ExpiresAt = now, now.Add(valid)
		r.Diagnosis = &Diagnosis{Findings: findings, Services: append([]string(nil), req.Services...), Operation: op.ID, By: req.Actor, At: now}
		r.Estimate = &e
		r.State = RepairEstimated
		if err := tx.UpdateRepair(r); err != nil {
			return fmt.Errorf("storing repair %s: %w", r.ID, err)
		}
		if err := tx.InsertCarePlanUses(uses); err != nil {
			return fmt.Errorf("reserving the care plan uses of repair %s: %w", r.ID, err)
		}
		return b.event(tx, Event{At: now, Actor: string(req.Actor), Kind: EventRepairEstimated, OrderID: r.ID,
			WorkOrder: r.DiagnosisWorkOrder, Operation: op.ID, Quantity: len(req.Services)})
	}()
	if err != nil {
		return Repair{}, err
	}
	return r, nil
}
