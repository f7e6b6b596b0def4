package photos

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRemove(t *testing.T) {
	s, dir := newStore(t, Options{})
	p, err := s.Put(context.Background(), bytes.NewReader(fixture(t, "upright.png")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hash string
		want error
	}{
		{name: "stored", hash: p.Hash},
		{name: "again", hash: p.Hash},
		{name: "in capitals, never stored", hash: strings.ToUpper(strings.Repeat("ab", 32))},
		{name: "not a hash", hash: "../x", want: ErrBadHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Remove(tc.hash); !errors.Is(err, tc.want) {
				t.Fatalf("Remove: %v, want %v", err, tc.want)
			}
		})
	}
	if _, _, err := s.Open(p.Hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Remove: %v", err)
	}
	if got := files(t, dir); len(got) != 1 || got[0] != p.Hash[:2] {
		t.Errorf("files left: %v, want the empty fan-out directory only", got)
	}
}
