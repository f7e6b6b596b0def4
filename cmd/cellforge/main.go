// Command cellforge is the CellForge daemon and its command-line tools: serve a factory, import
// an order batch into a running daemon, copy a SQLite book into PostgreSQL, back a data
// directory up and restore it, plan a job shop offline, verify a unit's certificate, print the
// version.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal stops the daemon in order; a second one stops the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
