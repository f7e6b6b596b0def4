package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/sqlite"
)

// migrateBookDir makes a data directory with the book of fillExportBook and returns it.
func migrateBookDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "factory.yaml")
	if err := os.WriteFile(config, []byte(exportFactory), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	fillExportBook(t, config, data, storeChoice{})
	return data
}

// runMigrate runs cellforge migrate with args and returns its exit code, stdout and stderr.
func runMigrate(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"migrate"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// countRows counts the rows of table in the PostgreSQL database at url.
func countRows(t *testing.T, url, table string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrate copies a book into PostgreSQL: a line per table with its rows and checksum, the
// time taken; the rows are there. Copying it again is refused, naming the table.
func TestMigrate(t *testing.T) {
	data, url := migrateBookDir(t), pgtest.URL(t)
	code, stdout, stderr := runMigrate("--from", data, "--to", url)
	if code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	for _, table := range []string{"orders", "work_orders", "operations", "events", "units", "photos"} {
		line := regexp.MustCompile(`(?m)^` + table + ` +(\d+) +[0-9a-f]{64}$`).FindStringSubmatch(stdout)
		if line == nil || line[1] == "0" {
			t.Errorf("no line with the rows of %s in:\n%s", table, stdout)
		}
	}
	if !regexp.MustCompile(`copied and checked \d+ tables in \d`).MatchString(stdout) {
		t.Errorf("no summary with the time taken in:\n%s", stdout)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "cellforge.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"orders", "events", "units"} {
		var want int64
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, url, table); got != want || want == 0 {
			t.Errorf("%s: %d rows in PostgreSQL, %d in SQLite", table, got, want)
		}
	}
	code, _, stderr = runMigrate("--from", data, "--to", url)
	if code != 1 || !strings.Contains(stderr, "table orders has rows: copy into a database that holds no book") {
		t.Fatalf("migrating again: exit %d, %q; want 1 and the table named", code, stderr)
	}
}

// TestMigrateRefuses: bad flags, no book, a book a daemon holds and a book PostgreSQL cannot
// hold as it is are refused, and the target is left empty.
func TestMigrateRefuses(t *testing.T) {
	data, url := migrateBookDir(t), pgtest.URL(t)
	daemon, err := sqlite.Open(context.Background(), filepath.Join(data, "cellforge.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMigrate("--from", data, "--to", url)
	daemon.Close()
	if code != 1 || !strings.Contains(stderr, "held by another process") {
		t.Fatalf("migrating a daemon's book: exit %d, %q", code, stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --to", []string{"--from", data}, 2, "--from and --to are required"},
		{"no --from", []string{"--to", url}, 2, "--from and --to are required"},
		{"an argument more", []string{"--from", data, "--to", url, "x"}, 2, `unexpected argument "x"`},
		{"no book", []string{"--from", t.TempDir(), "--to", url}, 1, "no order book there"},
		{"a bad URL", []string{"--from", data, "--to", "postgres://%zz"}, 1, "the database URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMigrate(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "cellforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE units SET number = 'two' WHERE number = 2`); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runMigrate("--from", data, "--to", url)
	if code != 1 || !strings.Contains(stderr, `copying table units: row (work_order="1", number="two"): column number: string value "two"`) {
		t.Fatalf("migrating a bad value: exit %d, %q", code, stderr)
	}
	for _, table := range []string{"orders", "events", "operations"} {
		if n := countRows(t, url, table); n != 0 {
			t.Errorf("a failed migration left %d rows in %s", n, table)
		}
	}
}
