package uplink

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// stateFile is the name of the uplink's state file in its directory.
const stateFile = "uplink.json"

// state is what the uplink keeps between runs.
type state struct {
	// Cursor is the id of the last event of the book whose progress was reported.
	Cursor int64 `json:"cursor"`
	// Orders are the network orders the site took, by order id.
	Orders map[string]held `json:"orders"`
	// Repairs are the network repairs the site opened, by the network's repair id.
	Repairs map[string]heldRepair `json:"repairs,omitempty"`
}

// held is a network order the site took.
type held struct {
	// Route is the route of the order the site last acknowledged as taken.
	Route int `json:"route"`
	// Withdrawn is set once the site gave the order up at the hub's request: it cannot take it
	// again, since its book keeps the order withdrawn.
	Withdrawn bool `json:"withdrawn,omitempty"`
}

// loadState reads the state file in dir; found is false when there is none yet. It is called
// when the uplink starts, so it also removes what a crash in the middle of a write left behind.
func loadState(dir string) (st state, found bool, err error) {
	if _, err := atomicfile.RemoveTemps(dir, stateFile); err != nil {
		return state{}, false, fmt.Errorf("the uplink's state in %s: %w", dir, err)
	}
	file := filepath.Join(dir, stateFile)
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return state{Orders: map[string]held{}, Repairs: map[string]heldRepair{}}, false, nil
	}
	if err != nil {
		return state{}, false, fmt.Errorf("reading the uplink's state: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return state{}, false, fmt.Errorf("reading the uplink's state %s: %w", file, err)
	}
	if st.Orders == nil {
		st.Orders = map[string]held{}
	}
	if st.Repairs == nil {
		st.Repairs = map[string]heldRepair{}
	}
	if st.Cursor < 0 {
		return state{}, false, fmt.Errorf("reading the uplink's state %s: cursor %d is negative", file, st.Cursor)
	}
	return st, true, nil
}

// saveState replaces the state file in dir with st, whole or not at all, fsync'd: a crash leaves
// the old state or the new one, never a part of either.
func saveState(dir string, st state) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding the uplink's state: %w", err)
	}
	if err := atomicfile.Write(dir, stateFile, raw, 0o600, true); err != nil {
		return fmt.Errorf("the uplink's state in %s: %w", dir, err)
	}
	return nil
}
