package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/sqlite"
)

// migrateBook copies the SQLite book of a data directory into a PostgreSQL database that
// holds none, and checks the copy table by table (see postgres.Store.CopyFrom).
func migrateBook(ctx context.Context, args []string, e *env) error {
	const synopsis = "migrate --from DATA_DIR --to postgres://..."
	fs := newFlagSet("migrate", synopsis, e)
	from := fs.String("from", "", "the data `directory` of the SQLite book (its daemon stopped)")
	to := fs.String("to", "", "the PostgreSQL database's `URL`, holding no book yet (a password belongs in PGPASSWORD or ~/.pgpass)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *from == "" || *to == "":
		fmt.Fprintln(e.stderr, "cellforge migrate: --from and --to are required")
		fs.Usage()
		return errUsage
	case fs.NArg() > 0:
		fmt.Fprintf(e.stderr, "cellforge migrate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	began := time.Now()
	copies, err := copyBook(ctx, filepath.Join(*from, sqliteFile), *to)
	if err != nil {
		return err
	}
	printCopies(e.stdout, copies)
	fmt.Fprintf(e.stdout, "copied and checked %d tables in %s\n", len(copies), time.Since(began).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "the photos' files, the keys and the config stay in %s: the daemon on PostgreSQL still needs them\n", *from)
	return nil
}

// copyBook copies the SQLite book at path into the PostgreSQL database at url and returns
// what it copied of each table. Nothing is written to the database unless every table checks.
func copyBook(ctx context.Context, path, url string) ([]postgres.TableCopy, error) {
	logger := slog.New(slog.DiscardHandler)
	src, err := sqlite.OpenSource(ctx, path, logger)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, url, logger)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	return dst.CopyFrom(ctx, src.DB())
}

// printCopies writes a line per table: its name, its rows and its checksum.
func printCopies(w io.Writer, copies []postgres.TableCopy) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256")
	for _, c := range copies {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", c.Table, c.Rows, c.Checksum)
	}
	tw.Flush()
}
