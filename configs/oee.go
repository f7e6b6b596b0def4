package configs

import "time"

// The stops section says how the floor's stops are explained and counted for OEE: the tree of
// reasons (planned and unplanned), the loss each reason counts as, which reasons the machines
// give by themselves, when the tablet asks a person, and the shifts OEE is reported by.

// Stops is the stops section (DefaultStops when the file has none).
type Stops struct {
	// Prompt is the shortest stop whose reason the tablet asks for when it ends (default 2m);
	// a shorter stop counts as a small stop, a performance loss, and is never asked about.
	Prompt time.Duration
	// ReasonWindow is how long after a stop ends a reason can still be given or changed
	// (default 24h); a stop with none by then counts as "not given".
	ReasonWindow time.Duration
	// Reasons is the tree: every reason is planned or unplanned (its branch in the file), in
	// the file's order within each branch.
	Reasons []StopReason
	// MachineFaults maps a machine fault's name, as its profile names it (for example
	// "over-temperature"), to the reason it gives by itself; a fault not listed gives no
	// reason by itself, and the tablet asks a person for one.
	MachineFaults map[string]string
	// Fault is the reason of a fault a person reports from the tablet (default "breakdown").
	Fault string
	// Setup is the reason of the time a machine spends in its profile's setup phases (default
	// "changeover").
	Setup string
	// Check is the reason of the time a step waits for its quality check or a decision on a
	// failed one (default "quality-check").
	Check string
	// Pauses maps a pause reason's code (Reasons.Pause) to the stop reason a pause with it
	// gives; a pause reason not listed gives none, and the tablet asks.
	Pauses map[string]string
	// Shifts divide each day for OEE by shift, by start time; each lasts until the next one
	// starts (the last until the first of the next day). Default: one shift, "day", from 00:00.
	Shifts []Shift
	// Line is the line of the section in the file, 0 when it has none.
	Line int
}

// StopReason is one reason of the tree.
type StopReason struct {
	// Code is 1 to 32 of a-z, 0-9 and '-', unique in the tree.
	Code  string
	Label string
	// Planned is true for a reason of the planned branch (a changeover, a break).
	Planned bool
	// Loss is what the stop's time counts as: LossBreakdowns or LossSetup (availability
	// losses), or LossNone for time that is not planned production time (a break, planned
	// maintenance), which OEE leaves out.
	Loss Loss
	Line int
}

// Loss is one of the six big losses, or LossNone.
type Loss string

// The six big losses. Stops count as breakdowns or set-up and adjustments (availability); a
// stop shorter than Stops.Prompt as a small stop, and a slower pace than the routing's
// standard time as reduced speed (performance); units scrapped or reworked before an
// operation's first good unit as start-up rejects, and after it as production rejects
// (quality).
const (
	LossBreakdowns        Loss = "breakdowns"
	LossSetup             Loss = "setup-adjustments"
	LossSmallStops        Loss = "small-stops"
	LossReducedSpeed      Loss = "reduced-speed"
	LossStartupRejects    Loss = "startup-rejects"
	LossProductionRejects Loss = "production-rejects"
	// LossNone is time that is not planned production time: OEE leaves it out.
	LossNone Loss = "none"
)

// SixBigLosses lists the six losses in the order reports show them.
func SixBigLosses() []Loss {
	return []Loss{LossBreakdowns, LossSetup, LossSmallStops, LossReducedSpeed, LossStartupRejects, LossProductionRejects}
}

// Shift is a named part of the day.
type Shift struct {
	Name string
	// Start is the time of day the shift starts, in the factory's time zone (that of its
	// working hours, UTC without them).
	Start time.Duration
	Line  int
}

// Defaults of the stops section.
const (
	DefaultStopPrompt       = 2 * time.Minute
	DefaultStopReasonWindow = 24 * time.Hour
)

// DefaultStops returns the stops section a factory gets when its file has none. Each call returns
// fresh values.
func DefaultStops() Stops {
	return Stops{
		Prompt:       DefaultStopPrompt,
		ReasonWindow: DefaultStopReasonWindow,
		Reasons: []StopReason{
			{Code: "changeover", Label: "Changeover", Planned: true, Loss: LossSetup},
			{Code: "maintenance", Label: "Planned maintenance", Planned: true, Loss: LossNone},
			{Code: "quality-check", Label: "Quality check", Planned: true, Loss: LossSetup},
			{Code: "break", Label: "Break", Planned: true, Loss: LossNone},
			{Code: "breakdown", Label: "Breakdown", Loss: LossBreakdowns},
			{Code: "material", Label: "Waiting for material", Loss: LossBreakdowns},
			{Code: "no-operator", Label: "No operator", Loss: LossBreakdowns},
			{Code: "other", Label: "Other", Loss: LossBreakdowns},
		},
		MachineFaults: map[string]string{},
		Fault:         "breakdown",
		Setup:         "changeover",
		Check:         "quality-check",
		Pauses: map[string]string{
			"break": "break", "material": "material", "adjust": "maintenance",
			"shift-end": "break", "other": "other",
		},
		Shifts: []Shift{{Name: "day"}},
	}
}

// StopReason returns the reason of the tree with the given code.
func (s Stops) StopReason(code string) (StopReason, bool) {
	for _, r := range s.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return StopReason{}, false
}

// Check is one item of a routing step's quality checklist: a pass-or-fail item ("No loose
// knots"), or a measurement with inclusive limits and a unit (width 160 ± 2 cm: Min 158, Max
// 162).
type Check struct {
	Name string
	// Measure is true for a measurement, false for a pass-or-fail item.
	Measure  bool
	Unit     string
	Min, Max float64
	Line     int
}

// Within reports whether a measured value passes the check's limits.
func (c Check) Within(v float64) bool { return v >= c.Min && v <= c.Max }
