//go:build !linux && !darwin

package pty

import (
	"errors"
	"fmt"
	"runtime"
)

// Supported reports whether this platform has pseudo-terminals.
const Supported = false

// Open fails: this platform has no pseudo-terminals.
func Open() (*Pair, error) {
	return nil, fmt.Errorf("pseudo-terminals on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
