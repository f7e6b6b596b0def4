// Package profiles owns the device profiles of the Modbus machines (the YAML files beside this
// package's code, embedded): their strict parser, and the built-in profiles a factory's devices
// name. A profile's register map, poll groups and commands decode into drivers/modbus's own types,
// and their rules are that package's alone ([modbus.Profile.Validate]): the parser maps each of
// its problems back to the file's line, object and field. What only a file can get wrong (a node
// of the wrong type, an unknown key, an address beyond 16 bits, a scale written as 0, the shape
// of a name, a name used twice) and what a cell controller needs of a machine (the states, the
// units, the fault codes, the start, stop and reset commands) are checked here.
//
// It imports configs (the kinds, states and commands), configs/internal/yamlfile and
// drivers/modbus; configs does not import it, but takes its catalogue ([Catalogue]) as an
// argument of Parse, so that the order book and the store do not depend on a driver.
package profiles

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"sort"
	"sync"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/modbus"
)

// Profile is a Modbus device profile: the register map, poll groups and commands the driver
// uses, and what a cell controller reads from them (the machine's state, the units it has made,
// its fault code).
type Profile struct {
	Name string
	// Kind is the device kind the profile describes (configs.KindLoom or
	// configs.KindDyeStation).
	Kind string
	// File is the file the profile was parsed from, for messages.
	File   string
	Modbus *modbus.Profile
	// StateRegister holds the machine's state; States maps its values to configs.StateIdle,
	// StateRunning, StateDone, StateFault or the name of a running phase.
	StateRegister string
	States        map[int]string
	// Setup names the running phases that prepare a job rather than make units (a dye
	// bath filling and heating): time in them counts as setup, not running.
	Setup []string
	// UnitsRegister counts the units completed of the current job; empty for a machine that
	// finishes all the units of a job at once (a dye bath), whose units are done when it is.
	UnitsRegister string
	// FaultRegister holds the machine's fault code (optional); Faults names the codes.
	FaultRegister string
	Faults        map[int]string
	// Defaults are values of start parameters a routing step may leave out.
	Defaults map[string]float64
	// Recorded are the quantities worth keeping in the record of an operation the machine
	// works (a dye bath's temperature and pH): the registers the file marks record, in file
	// order. A cell controller summarises each while a job runs.
	Recorded []Recorded
}

// Recorded is a register whose readings an operation's record summarises.
type Recorded struct {
	Register string
	// Unit is the register's unit, as the profile gives it ("" for none).
	Unit string
	// HoldTolerance is how far, in Unit, the value may stray either way and still count as
	// held; 0 takes the default, 2 % of the value the hold began at.
	HoldTolerance float64
}

// StartParams returns the parameters the profile's start command takes, sorted.
func (p *Profile) StartParams() []string {
	var out []string
	for _, c := range p.Modbus.Commands {
		if c.Name != configs.CommandStart {
			continue
		}
		for _, w := range c.Writes {
			if w.Param != "" && !slices.Contains(out, w.Param) {
				out = append(out, w.Param)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Info returns what a factory's checks need to know of the profile.
func (p *Profile) Info() configs.ProfileInfo {
	defaults := make([]string, 0, len(p.Defaults))
	for k := range p.Defaults {
		defaults = append(defaults, k)
	}
	sort.Strings(defaults)
	faults := make([]string, 0, len(p.Faults))
	for _, name := range p.Faults {
		faults = append(faults, name)
	}
	sort.Strings(faults)
	faults = slices.Compact(faults)
	return configs.ProfileInfo{Kind: p.Kind, StartParams: p.StartParams(), Defaults: defaults, Faults: faults}
}

//go:embed *.yaml
var builtinFiles embed.FS

// builtins are the built-in profiles, parsed once.
var builtins = sync.OnceValues(parseBuiltin)

// Builtin returns the profiles shipped in configs/profiles, by name. They are parsed once and
// shared: treat them as read-only.
func Builtin() (map[string]*Profile, error) { return builtins() }

// Find returns the built-in profile named name.
func Find(name string) (*Profile, error) {
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	p, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q", name)
	}
	return p, nil
}

// Catalogue returns what configs.Parse needs to know of the built-in profiles.
func Catalogue() (configs.Profiles, error) {
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	out := make(configs.Profiles, len(all))
	for name, p := range all {
		out[name] = p.Info()
	}
	return out, nil
}

func parseBuiltin() (map[string]*Profile, error) {
	entries, err := builtinFiles.ReadDir(".")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Profile, len(entries))
	for _, e := range entries {
		data, err := builtinFiles.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		name := path.Join("configs/profiles", e.Name())
		p, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		if _, dup := out[p.Name]; dup {
			return nil, fmt.Errorf("%s: profile name %q used twice", name, p.Name)
		}
		out[p.Name] = p
	}
	return out, nil
}
