package streamtest

import (
	"context"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestServeTCPStopsWhenTheTestEnds(t *testing.T) {
	var accepted, returned atomic.Bool
	t.Run("serving", func(t *testing.T) {
		addr := ServeTCP(t, func(ctx context.Context, l net.Listener) error {
			defer returned.Store(true)
			context.AfterFunc(ctx, func() { l.Close() })
			c, err := l.Accept()
			if err != nil {
				return nil
			}
			accepted.Store(true)
			c.Close()
			<-ctx.Done()
			return nil
		})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		Eventually(t, "the connection to be accepted", accepted.Load)
		if returned.Load() {
			t.Fatal("serve returned before the test ended")
		}
	})
	if !returned.Load() {
		t.Fatal("serve still running after the test ended")
	}
}

func TestServePTYStopsOnce(t *testing.T) {
	var runs, returned atomic.Int32
	path, stop := ServePTY(t, func(ctx context.Context, rw io.ReadWriter) error {
		runs.Add(1)
		<-ctx.Done()
		returned.Add(1)
		return nil
	})
	term, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the terminal end: %v", err)
	}
	term.Close()
	stop()
	stop()
	if runs.Load() != 1 || returned.Load() != 1 {
		t.Fatalf("serve ran %d times and returned %d times, want once each", runs.Load(), returned.Load())
	}
}
