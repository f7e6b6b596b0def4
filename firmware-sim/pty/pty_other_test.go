//go:build !linux && !darwin

package pty

import (
	"errors"
	"testing"
)

func TestOpenUnsupported(t *testing.T) {
	if p, err := Open(); !errors.Is(err, errors.ErrUnsupported) {
		if p != nil {
			p.Close()
		}
		t.Fatalf("Open where no pseudo-terminal exists: got %v, want errors.ErrUnsupported", err)
	}
}
