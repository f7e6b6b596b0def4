package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/backup"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// TestBackupPostgresUnderLoadRestores takes a backup of a daemon whose book is on PostgreSQL
// while orders are posted to it, with its photos behind a link; restores it into a new
// database and a new directory; and finds on a daemon started there every order acknowledged
// before the backup began, each whole, with the signing key and the photos.
func TestBackupPostgresUnderLoadRestores(t *testing.T) {
	t.Parallel()
	data, url := t.TempDir(), pgtest.URL(t)
	// the photos on shared storage, the data directory's photos/ a link to them
	shared := t.TempDir()
	if err := os.MkdirAll(filepath.Join(shared, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "ab", "ab01.jpg"), []byte("\xff\xd8 a photo's bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(data, photosDir)); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "../../configs/demo.yaml", data, "--store", url)
	w, stopWriter := startWriter(t, d)
	defer stopWriter()
	before, _ := w.ackedSoFar()
	file := filepath.Join(t.TempDir(), "pg.tar.gz")
	code, out, errOut := cli("backup", "--data", data, "--store", url, file)
	if code != 0 || errOut != "" {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	m, err := backup.Verify(file)
	if err != nil {
		t.Fatal(err)
	}
	if m.Book != "postgres" || m.Schema == 0 || !hasMember(m, "book/orders.copy") || !hasMember(m, "book/index.json") {
		t.Fatalf("manifest %+v, want the book's snapshot", m)
	}

	restored, target := filepath.Join(t.TempDir(), "restored"), pgtest.URL(t)
	code, out, errOut = cli("restore", "--data", restored, "--store", target, file)
	if code != 0 || !strings.Contains(out, "restored the order book into") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(restored, "book")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the book's snapshot is left in the data directory: %v", err)
	}
	stopWriter()
	d.kill()
	checkRestored(t, data, restored, before, append([]string(nil), w.sent...), "--store", target)
}

// hasMember tells whether the archive m describes holds member name.
func hasMember(m *backup.Manifest, name string) bool {
	for _, mem := range m.Members {
		if mem.Name == name {
			return true
		}
	}
	return false
}

// pgBackup backs up a stopped PostgreSQL site's data directory with a key, and its book with a
// few orders, and returns the archive.
func pgBackup(t *testing.T) string {
	t.Helper()
	data, url := t.TempDir(), pgtest.URL(t)
	d := startDaemon(t, "../../configs/demo.yaml", data, "--store", url)
	csv := "order_id,sku,quantity,customer\nPG-1,RUG-KILIM-S,1,A\nPG-2,RUG-KILIM-S,2,B\n"
	if code, err := request(context.Background(), "POST", d.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", []byte(csv), nil); err != nil || code != 201 {
		t.Fatalf("posting orders: %d %v", code, err)
	}
	d.kill()
	file := filepath.Join(t.TempDir(), "pg.tar.gz")
	if code, out, errOut := cli("backup", "--data", data, "--store", url, file); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	return file
}

// tables lists the tables of the database at url.
func tables(t *testing.T, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRestorePostgresRefuses: a database that is not empty, a tampered member of the book, a
// book of the other kind than the store named, are refused naming why; neither the database
// nor the data directory is written.
func TestRestorePostgresRefuses(t *testing.T) {
	file := pgBackup(t)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tampered := regzip(t, raw, func(plain []byte) {
		at := bytes.Index(plain, []byte("PG-2\t"))
		plain[at+3] = '3' // the order PG-2 becomes PG-3
	})
	notEmpty := pgtest.URL(t)
	if code, _, errOut := cli("restore", "--data", t.TempDir(), "--store", notEmpty, file); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errOut)
	}
	sqliteArchive := filepath.Join(t.TempDir(), "sqlite.tar.gz")
	if code, _, errOut := cli("backup", "--data", bookDir(t), sqliteArchive); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	tests := []struct {
		name, file, store string
		want              []string
	}{
		{"database not empty", file, notEmpty, []string{"the database is not empty", "schema_migrations", "new, empty database"}},
		{"tampered member", tampered, "", []string{"member book/", "differs from its manifest"}},
		{"no database named", file, "sqlite", []string{"a PostgreSQL book", "--store postgres://"}},
		{"a SQLite book into PostgreSQL", sqliteArchive, "", []string{"a SQLite book", "cellforge migrate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := tt.store
			if store == "" {
				store = pgtest.URL(t)
			}
			before := tables(t, storeURL(store, notEmpty))
			target := filepath.Join(t.TempDir(), "restored")
			code, _, errOut := cli("restore", "--data", target, "--store", store, tt.file)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%q does not say %q", errOut, w)
				}
			}
			if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the refused restore made %s: %v", target, err)
			}
			if after := tables(t, storeURL(store, notEmpty)); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("the refused restore changed the database's tables from %v to %v", before, after)
			}
		})
	}
	if n := countOrders(t, notEmpty); n != 2 {
		t.Errorf("the database restored into first holds %d orders, want 2", n)
	}
}

// storeURL is the database a test case's --store names: store, or fallback when it names
// SQLite.
func storeURL(store, fallback string) string {
	if store == "sqlite" {
		return fallback
	}
	return store
}

// countOrders counts the orders of the book at url.
func countOrders(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRestoreOldPostgresArchive: an archive of a PostgreSQL site taken before backups held
// its book (book "postgres", schema 0) restores the data directory, says the book is to be
// restored from pg_dump, and is refused with --store.
func TestRestoreOldPostgresArchive(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "signing-key.pem")
	if err := os.WriteFile(key, []byte("a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "old.tar.gz")
	w, err := backup.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile(keysDir+"/signing-key.pem", key); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(backup.Manifest{Version: "v0.9.0", Book: "postgres"}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli("restore", "--data", filepath.Join(t.TempDir(), "r"), "--store", "postgres://cellforge@127.0.0.1/book", file)
	if code != 1 || !strings.Contains(errOut, "holds no order book") || !strings.Contains(errOut, "pg_restore") {
		t.Fatalf("restore --store: exit %d, %q", code, errOut)
	}
	target := filepath.Join(t.TempDir(), "r")
	code, out, errOut := cli("restore", "--data", target, file)
	if code != 0 || !strings.Contains(out, "pg_restore") {
		t.Fatalf("restore: exit %d, %q%q", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(target, keysDir, "signing-key.pem")); err != nil || string(b) != "a key" {
		t.Errorf("the key restored as %q (%v)", b, err)
	}
}
