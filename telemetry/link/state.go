package link

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cellforge/cellforge/store/atomicfile"
)

// The files of a link's state under Config.Dir.
const (
	queueDir   = "queue"
	sendFile   = "send.json"
	ledgerFile = "ledger.json"
)

// position is a message's place in its sender's sequence: (Epoch, Seq) orders a sender's
// messages.
type position struct {
	Epoch int64  `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// after tells whether p comes after q.
func (p position) after(q position) bool {
	return p.Epoch > q.Epoch || p.Epoch == q.Epoch && p.Seq > q.Seq
}

// sendState is what this end has numbered: its epoch, and the last sequence number given to a
// message for each receiver.
type sendState struct {
	Epoch int64             `json:"epoch"`
	Last  map[string]uint64 `json:"last"`
}

// ledger is the last position applied from each sender.
type ledger map[string]position

// loadSendState reads send.json, or creates it with a new epoch (now, in unix microseconds).
func loadSendState(dir string, now time.Time) (sendState, error) {
	var s sendState
	found, err := readJSON(dir, sendFile, &s)
	if err != nil {
		return sendState{}, err
	}
	if found {
		if s.Epoch <= 0 {
			return sendState{}, fmt.Errorf("%s: epoch %d, want a positive number", filepath.Join(dir, sendFile), s.Epoch)
		}
		if s.Last == nil {
			s.Last = make(map[string]uint64)
		}
		return s, nil
	}
	s = sendState{Epoch: now.UnixMicro(), Last: make(map[string]uint64)}
	return s, writeJSON(dir, sendFile, s)
}

// loadLedger reads ledger.json; none is an empty ledger.
func loadLedger(dir string) (ledger, error) {
	l := make(ledger)
	if _, err := readJSON(dir, ledgerFile, &l); err != nil {
		return nil, err
	}
	for from, p := range l {
		if p.Epoch <= 0 || p.Seq == 0 {
			return nil, fmt.Errorf("%s: sender %q: position (%d, %d) is not one a message can have",
				filepath.Join(dir, ledgerFile), from, p.Epoch, p.Seq)
		}
	}
	return l, nil
}

// readJSON reads dir/name into v; found is false when there is no such file. It is called when
// the link opens, so it also removes what a crash in the middle of a write left behind.
func readJSON(dir, name string, v any) (found bool, err error) {
	if _, err := atomicfile.RemoveTemps(dir, name); err != nil {
		return false, fmt.Errorf("the link's state in %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the link's state: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: damaged: %w", path, err)
	}
	return true, nil
}

// writeJSON writes v to dir/name, whole or not at all, fsync'd.
func writeJSON(dir, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	if err := atomicfile.Write(dir, name, b, 0o600, true); err != nil {
		return fmt.Errorf("the link's state in %s: %w", dir, err)
	}
	return nil
}
