//go:build linux || darwin

package pty

import (
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Every byte value, including those a cooked terminal would translate or
// swallow (CR, LF, ^C, ^S, DEL), must cross the pair unchanged both ways.
func TestPairIsTransparentBothWays(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	term, err := os.OpenFile(p.Path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()

	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := p.Master.Write(all); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(all))
	if _, err := io.ReadFull(term, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, all) {
		t.Fatalf("master to terminal changed bytes:\n got % x\nwant % x", got, all)
	}

	if _, err := term.Write(all); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(p.Master, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, all) {
		t.Fatalf("terminal to master changed bytes:\n got % x\nwant % x", got, all)
	}
}

func TestCloseUnblocksReader(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Master.Read(make([]byte, 1))
		done <- err
	}()
	p.Close()
	if err := <-done; err == nil {
		t.Fatal("read after close returned no error")
	}
}
