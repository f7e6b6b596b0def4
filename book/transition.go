package book

import (
	"errors"
	"fmt"
)

// Action is something a person (or a cell controller) does to an operation.
type Action string

// Actions on operations.
const (
	ActionStart    Action = "start"
	ActionPause    Action = "pause"
	ActionResume   Action = "resume"
	ActionComplete Action = "complete"
	ActionScrap    Action = "scrap"
)

// ParseAction returns the action named s.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case ActionStart, ActionPause, ActionResume, ActionComplete, ActionScrap:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (want start, pause, resume, complete or scrap)", s)
}

// from lists the states each action may be taken from.
var from = map[Action][]State{
	ActionStart:    {Queued},
	ActionPause:    {Running},
	ActionResume:   {Paused},
	ActionComplete: {Running},
	ActionScrap:    {Queued, Running, Paused},
}

// TransitionError is returned when an action is not allowed in the operation's state. Nothing
// was changed.
type TransitionError struct {
	Operation int64
	State     State
	Action    Action
}

func (e *TransitionError) Error() string {
	allowed := from[e.Action]
	want := make([]string, len(allowed))
	for i, s := range allowed {
		want[i] = string(s)
	}
	return fmt.Sprintf("operation %d is %s: it cannot %s (%s needs an operation that is %s)",
		e.Operation, e.State, e.Action, e.Action, joinOr(want))
}

// next returns the state an action leads to from state s, or a *TransitionError.
func next(op Operation, a Action) (State, error) {
	for _, s := range from[a] {
		if s == op.State {
			switch a {
			case ActionStart, ActionResume:
				return Running, nil
			case ActionPause:
				return Paused, nil
			case ActionComplete:
				return Done, nil
			case ActionScrap:
				return Scrapped, nil
			}
		}
	}
	return "", &TransitionError{Operation: op.ID, State: op.State, Action: a}
}

// ErrInvalid marks a request that is malformed whatever the state of the book (a missing
// reason, a quantity out of range). Errors wrapping it are safe to show to the person.
var ErrInvalid = errors.New("invalid request")

// CellBusyError is returned when an operation would start at a cell that is already running
// another one.
type CellBusyError struct {
	Cell      string
	Operation int64
}

func (e *CellBusyError) Error() string {
	return fmt.Sprintf("cell %s is already running operation %d: pause or complete it first", e.Cell, e.Operation)
}

// StaleError is returned when a client acted on an operation version it no longer has.
type StaleError struct {
	Operation int64
	Have      int64
	Current   int64
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("operation %d has changed since version %d (it is now at version %d): reload and try again",
		e.Operation, e.Have, e.Current)
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for i := 1; i < len(s)-1; i++ {
		out += ", " + s[i]
	}
	return out + " or " + s[len(s)-1]
}
