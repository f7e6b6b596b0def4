package book

import "time"

// StopKind is what kept a cell from making good product during a stop, as the cell's controller
// saw it.
type StopKind string

// The kinds of stop.
const (
	// StopFault: the machine reported a fault (Detail names it).
	StopFault StopKind = "fault"
	// StopLost: the machine did not answer.
	StopLost StopKind = "lost"
	// StopReported: a person reported a fault at the cell (Detail: the fault's code).
	StopReported StopKind = "reported"
	// StopSetup: the machine was in one of its profile's setup phases.
	StopSetup StopKind = "setup"
	// StopPaused: a person paused the operation (Detail: the pause's reason code).
	StopPaused StopKind = "paused"
	// StopIdle: the cell was idle while work waited in its queue.
	StopIdle StopKind = "idle"
	// StopCheck: the step's units were made and it waited for its quality check, or for the
	// decision on a failed one.
	StopCheck StopKind = "check"
	// StopNoWork: the cell was idle with nothing in its queue. It is recorded as the others
	// are, but it is not planned production time: OEE leaves it out, and nobody is asked why.
	StopNoWork StopKind = "no-work"
)

// StopCondition is what a cell's controller sees at a moment: producing (Kind empty) or stopped
// for a reason it knows.
type StopCondition struct {
	Kind      StopKind
	Operation int64  // the operation the stop holds up, 0 when none
	Detail    string // the machine's fault, the pause's reason code, the reported fault's code
	// Reason is the stop reason the condition gives by itself (a machine fault's, a setup
	// phase's, a pause's), "" when a person must give it.
	Reason string
}

// Stop is an interval a cell did not make good product.
type Stop struct {
	ID        int64      `json:"id"`
	Cell      string     `json:"cell"`
	Kind      StopKind   `json:"kind"`
	Operation int64      `json:"operation,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"` // nil while the stop lasts
	// Reason is the code of the stop's reason in the factory's tree, "" while none is given.
	Reason   string     `json:"reason,omitempty"`
	ReasonBy string     `json:"reason_by,omitempty"`
	ReasonAt *time.Time `json:"reason_at,omitempty"`
	// Auto is true when the reason came with the condition (the machine's fault code, a setup
	// phase, a pause's reason) rather than from a person afterwards.
	Auto bool `json:"auto,omitempty"`
}

// Duration is how long the stop lasted, until now while it lasts.
func (s Stop) Duration(now time.Time) time.Duration {
	if s.End != nil {
		return s.End.Sub(s.Start)
	}
	return now.Sub(s.Start)
}

// StopFilter selects stops.
type StopFilter struct {
	Cell string // "" for every cell
	// From and To select the stops overlapping [From, To); zero for no bound.
	From, To time.Time
	// Unexplained selects the ended stops without a reason.
	Unexplained bool
	// AfterID pages: stops with larger ids only.
	AfterID int64
	// Limit caps the answer; 0 for no cap.
	Limit int
}

// StopsReadTx is what a store reads of stops; ReadTx embeds it.
type StopsReadTx interface {
	// OpenStop returns the stop of a cell that has not ended, or ok false.
	OpenStop(cell string) (s Stop, ok bool, err error)
	// Stop returns the stop with an id, or an error wrapping ErrNotFound.
	Stop(id int64) (Stop, error)
	// Stops returns the stops f selects, by start and then id. Unexplained leaves out the
	// no-work stops: nobody is asked about them.
	Stops(f StopFilter) ([]Stop, error)
	// PromptStops returns up to limit (all when limit <= 0) stops of a cell that ended at or
	// after endedSince, lasted at least minimum, are not of kind no-work and have no reason:
	// newest end first, then highest id.
	PromptStops(cell string, endedSince time.Time, minimum time.Duration, limit int) ([]Stop, error)
}

// StopsTx is what a store writes of stops; Tx embeds it.
type StopsTx interface {
	// InsertStop stores a new stop and sets its ID. A second open stop of a cell is refused.
	InsertStop(s *Stop) error
	// EndStop ends an open stop at end; a stop that does not exist or has ended already is
	// an error wrapping ErrNotFound.
	EndStop(id int64, end time.Time) error
	// SetStopReason records a stop's reason, who gave it, when, and whether it came with the
	// condition; an unknown stop is an error wrapping ErrNotFound.
	SetStopReason(id int64, reason, by string, at time.Time, auto bool) error
}
