package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes from the
// module's build information.
var version = ""

// command is one subcommand of cellforge.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env *env) error
}

// env is what a command reads from and writes to.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errUsage marks a usage error: the command printed its usage already.
var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the daemon: the order book, its API and the factory", serve},
		"hub":        {"run the hub of a network of sites: its order book, its links to the sites, its API", hub},
		"network":    {"network tools: 'network keygen FILE' makes a hub's or a site's key and prints its public key", networkCmd},
		"import":     {"send an order batch (CSV or JSON) to a running daemon", importBatch},
		"migrate":    {"copy a SQLite book into PostgreSQL and check the copy", migrateBook},
		"backup":     {"write a backup archive of a data directory (its book, keys and photos), safe while the daemon runs", backupCmd},
		"restore":    {"restore a data directory from a backup archive (its daemon stopped)", restoreCmd},
		"bridge":     {"carry telemetry from an MQTT broker into InfluxDB (for a central site)", runBridge},
		"hash":       {"hash a PIN, password or API token for a factory config", hashSecret},
		"provenance": {"write the units' public pages, certificates and photos as static files (provenance export)", provenanceCmd},
		"schedule":   {"plan a flexible job shop (.fjs file) and print the schedule as JSON", schedule},
		"sim":        {"run the devices of a factory config on the firmware simulator; set their faults", simulate},
		"verify":     {"check a unit's certificate (a file or URL) against the studio's public keys", verifyCert},
		"version":    {"print the version", printVersion},
	}
}

// run runs cellforge with args (without the program name) and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cellforge: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], e)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "cellforge %s: %v\n", args[0], err)
	return 1
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "CellForge: micro-factory workcell controller and shop-floor MES.")
	fmt.Fprintln(w, "\nUsage: cellforge <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cellforge <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to e.stderr and does not exit.
func newFlagSet(name, synopsis string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("cellforge "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: cellforge %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a bad flag to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func printVersion(_ context.Context, args []string, e *env) error {
	fs := newFlagSet("version", "version", e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "cellforge", versionString())
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}
