package configs

import "sort"

// Canonical machine states a profile maps its state register's values to. Any other name is a
// phase of running (a dye station's fill, heat, hold...).
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StateDone    = "done"
	StateFault   = "fault"
)

// Command names a cell controller gives a Modbus device. A profile defines them.
const (
	CommandStart = "start" // start a job; params are the step's params and "units"
	CommandStop  = "stop"  // stop the running job
	CommandReset = "reset" // clear a fault
)

// ProfileInfo is what a factory's checks need to know of a device profile: the profiles
// themselves (package configs/profiles) depend on a driver, which the order book and the store
// must not, so the caller of Parse gives it a catalogue of them.
type ProfileInfo struct {
	// Kind is the device kind the profile describes (KindLoom or KindDyeStation).
	Kind string
	// StartParams are the params the profile's start command takes, sorted.
	StartParams []string
	// Defaults are the start params the profile has defaults for, sorted: a routing step may
	// leave them out.
	Defaults []string
	// Faults are the names of the faults the profile's machine reports (its fault codes'
	// names), sorted: the stops section's machine_faults map them to reasons.
	Faults []string
}

// Profiles is a catalogue of device profiles by name, which a device's profile names one of.
type Profiles map[string]ProfileInfo

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
