package book

import "time"

// CheckResult is a person's answer to one item of a step's checklist: Pass for a pass-or-fail
// item, Value for a measurement.
type CheckResult struct {
	Name  string   `json:"name"`
	Pass  *bool    `json:"pass,omitempty"`
	Value *float64 `json:"value,omitempty"`
}

// CheckOutcome is one item of a recorded check, judged against the step's checklist.
type CheckOutcome struct {
	Name    string   `json:"name"`
	Measure bool     `json:"measure,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Value   *float64 `json:"value,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Pass    bool     `json:"pass"`
}

// CheckRecord is a step's quality check as recorded at the completion of an operation.
type CheckRecord struct {
	ID        int64          `json:"id"`
	Operation int64          `json:"operation"`
	WorkOrder int64          `json:"work_order"`
	Cell      string         `json:"cell"`
	SKU       string         `json:"sku"`
	Step      int            `json:"step"` // the routing step's index
	Units     int            `json:"units"`
	Outcomes  []CheckOutcome `json:"outcomes"`
	Passed    bool           `json:"passed"`
	By        string         `json:"by"`
	At        time.Time      `json:"at"`
}

// NCState is where a non-conformance stands: open until a person decides it.
type NCState string

// The states of a non-conformance; each but NCOpen is a decision.
const (
	NCOpen   NCState = "open"
	NCRework NCState = "rework" // an extra operation redoes the step
	NCScrap  NCState = "scrap"  // the operation's units are scrapped
	NCAccept NCState = "accept" // a manager accepts the units as they are, with a note
)

// NonConformance is a failed quality check waiting for, or given, a decision.
type NonConformance struct {
	ID        int64     `json:"id"`
	Check     int64     `json:"check"`
	Operation int64     `json:"operation"`
	WorkOrder int64     `json:"work_order"`
	Cell      string    `json:"cell"`
	SKU       string    `json:"sku"`
	Failed    []string  `json:"failed"` // the names of the items that failed
	State     NCState   `json:"state"`
	OpenedAt  time.Time `json:"opened_at"`
	OpenedBy  string    `json:"opened_by"`
	// DecidedBy, DecidedAt and Note record the decision.
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Note      string     `json:"note,omitempty"`
	// Rework is the id of the operation a rework decision added, 0 otherwise.
	Rework int64 `json:"rework,omitempty"`
}

// NCDecision decides a non-conformance.
type NCDecision struct {
	ID       int64
	Decision NCState // NCRework, NCScrap or NCAccept
	Note     string  // required to accept
	Actor    Actor
	// MayAccept is true when the actor is a manager (or admin): only they accept units that
	// failed their check.
	MayAccept   bool
	Idempotency *Idempotency
}

// NCFilter selects non-conformances.
type NCFilter struct {
	State NCState // "" for every state
	Cell  string
	Limit int
}

// QualityReadTx is what a store reads of quality checks and non-conformances; ReadTx embeds it.
type QualityReadTx interface {
	// Checks returns the checks recorded at an operation, by id.
	Checks(operation int64) ([]CheckRecord, error)
	// WorkOrderChecks returns the checks recorded at a work order's operations, by id.
	WorkOrderChecks(workOrder int64) ([]CheckRecord, error)
	// NonConformance returns the non-conformance of an id, or an error wrapping ErrNotFound.
	NonConformance(id int64) (NonConformance, error)
	// NonConformances returns the non-conformances f selects, by id.
	NonConformances(f NCFilter) ([]NonConformance, error)
	// WorkOrderNonConformances returns the non-conformances of a work order's operations, by id.
	WorkOrderNonConformances(workOrder int64) ([]NonConformance, error)
}

// QualityTx is what a store writes of quality checks and non-conformances; Tx embeds it.
type QualityTx interface {
	// InsertCheck stores a check, setting its id.
	InsertCheck(c *CheckRecord) error
	// InsertNonConformance stores a non-conformance, setting its id.
	InsertNonConformance(nc *NonConformance) error
	// DecideNonConformance stores the decision of a non-conformance (its State, DecidedBy,
	// DecidedAt, Note and Rework); ErrNotFound when there is none of its id.
	DecideNonConformance(nc NonConformance) error
	// InsertOperationAt stores op in its work order at op.Seq, setting its id: the operations
	// at op.Seq and after move one place up (their Seq, not their Step).
	InsertOperationAt(op *Operation) error
}
