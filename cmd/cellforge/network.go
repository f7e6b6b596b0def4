package main

import (
	"context"
	"fmt"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/link"
)

// networkCmd runs the tools of a network of sites: for now keygen, which makes the key pair of
// a hub or a site.
func networkCmd(_ context.Context, args []string, e *env) error {
	if len(args) == 0 || args[0] != "keygen" {
		fs := newFlagSet("network", "network keygen FILE", e)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		fs.Usage()
		return errUsage
	}
	fs := newFlagSet("network keygen", "network keygen FILE", e)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	pub, err := link.GenerateKey(fs.Arg(0))
	if err != nil {
		return err
	}
	// The line to write as a site's key in the hub's file, or as hub_key in a site's.
	fmt.Fprintln(e.stdout, configs.FormatPublicKey(pub))
	return nil
}
