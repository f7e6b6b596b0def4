package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellforge/cellforge/store/backup"
	"github.com/cellforge/cellforge/store/sqlite"
)

// cli runs cellforge in this process and returns its exit code and what it printed.
func cli(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// orderWriter posts one order at a time to a daemon and remembers those it acknowledged.
type orderWriter struct {
	url   string
	mu    sync.Mutex
	acked []string
	sent  []string
	err   error
}

// run posts orders until stop is closed or a post fails.
func (w *orderWriter) run(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		id := fmt.Sprintf("BK-%05d", i)
		w.mu.Lock()
		w.sent = append(w.sent, id)
		w.mu.Unlock()
		csv := "order_id,sku,quantity,customer\n" + id + ",RUG-KILIM-S,1,Backup Load\n"
		code, err := request(context.Background(), "POST", w.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", []byte(csv), nil)
		w.mu.Lock()
		if err == nil && code != 201 {
			err = fmt.Errorf("posting %s: status %d", id, code)
		}
		if err != nil {
			w.err = err
			w.mu.Unlock()
			return
		}
		w.acked = append(w.acked, id)
		w.mu.Unlock()
	}
}

// ackedSoFar returns the orders acknowledged so far and the first error.
func (w *orderWriter) ackedSoFar() ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...), w.err
}

// TestBackupUnderLoadRestores takes a backup of a running daemon's data directory while orders
// are posted to it, restores it into a new directory, and finds on a daemon started there every
// order acknowledged before the backup began, each whole, with the signing key and the photos.
func TestBackupUnderLoadRestores(t *testing.T) {
	data := t.TempDir()
	photo := filepath.Join(data, photosDir, "ab", "ab01.jpg")
	if err := os.MkdirAll(filepath.Dir(photo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, []byte("\xff\xd8 a photo's bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "../../configs/demo.yaml", data)
	w, stopWriter := startWriter(t, d)
	defer stopWriter()
	before, _ := w.ackedSoFar()
	file := filepath.Join(t.TempDir(), "backup.tar.gz")
	if code, out, errOut := cli("backup", "--data", data, file); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	after, err := w.ackedSoFar()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders acknowledged before the backup began, %d more while it ran", len(before), len(after)-len(before))

	// the running daemon's directory is not restored over
	if code, _, errOut := cli("restore", "--force", "--data", data, file); code != 1 || !strings.Contains(errOut, "a daemon runs on it (daemon.lock is locked)") {
		t.Fatalf("restore over a running daemon: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, sqliteFile)); err != nil {
		t.Fatalf("the refused restore touched the daemon's book: %v", err)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := cli("restore", "--data", restored, file); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	stopWriter()
	d.kill()
	sent := append([]string(nil), w.sent...)
	checkRestored(t, data, restored, before, sent)
}

// startWriter starts posting orders to d, and returns once it acknowledged 10; the function
// returned stops it.
func startWriter(t *testing.T, d *daemon) (*orderWriter, func()) {
	t.Helper()
	w := &orderWriter{url: d.url}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); w.run(stop) }()
	stopWriter := sync.OnceFunc(func() { close(stop); <-done })
	deadline := time.Now().Add(60 * time.Second)
	for {
		acked, err := w.ackedSoFar()
		if err != nil {
			stopWriter()
			t.Fatal(err)
		}
		if len(acked) >= 10 {
			return w, stopWriter
		}
		if time.Now().After(deadline) {
			stopWriter()
			t.Fatalf("only %d orders acknowledged in time", len(acked))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkRestored starts a daemon on restored (with the flags extra) and finds every order of
// want, and of sent each either whole or absent; and the signing key and photo of data byte
// for byte.
func checkRestored(t *testing.T, data, restored string, want, sent []string, extra ...string) {
	t.Helper()
	for _, name := range []string{keysDir + "/signing-key.pem", photosDir + "/ab/ab01.jpg"} {
		a, err := os.ReadFile(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(restored, name)); err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s restored as %q (%v), want the original's bytes", name, b, err)
		}
	}
	d := startDaemon(t, "../../configs/demo.yaml", restored, extra...)
	must := map[string]bool{}
	for _, id := range want {
		must[id] = true
	}
	for _, id := range sent {
		var got struct {
			WorkOrder struct {
				ID      int64  `json:"id"`
				OrderID string `json:"order_id"`
			} `json:"work_order"`
		}
		code, err := request(context.Background(), "GET", d.url+"/api/v1/orders/"+id, demoPlanner, "", nil, &got)
		switch {
		case err != nil:
			t.Fatal(err)
		case code == 404 && !must[id]:
		case code != 200:
			t.Errorf("order %s (acknowledged before the backup: %v): status %d", id, must[id], code)
		case got.WorkOrder.ID == 0 || got.WorkOrder.OrderID != id:
			t.Errorf("order %s restored without its work order: %+v", id, got)
		}
	}
}

// bookDir makes a data directory holding a book with a few orders and a signing key, as a
// stopped daemon leaves one.
func bookDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, keysDir), 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, sqliteFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, keysDir, "signing-key.pem"), []byte("a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// regzip writes raw's decompressed tar, changed by change, compressed again to a new file.
func regzip(t *testing.T, raw []byte, change func([]byte)) string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	change(plain)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(plain)
	zw.Close()
	p := filepath.Join(t.TempDir(), "changed.tar.gz")
	if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newerSchema writes an archive whose book claims a schema one past this program's.
func newerSchema(t *testing.T, dir string) (string, int) {
	t.Helper()
	known, err := sqlite.Schema()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "newer.tar.gz")
	w, err := backup.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile(sqliteFile, filepath.Join(dir, sqliteFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(backup.Manifest{Version: "v9.9.9", Book: "sqlite", Schema: known + 1}); err != nil {
		t.Fatal(err)
	}
	return p, known
}

// TestRestoreRefuses: a tampered, truncated or too new archive, or a directory that is not
// empty, is refused naming why, and nothing is written: the target is as it was and no
// temporary directory is left beside it.
func TestRestoreRefuses(t *testing.T) {
	dir := bookDir(t)
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if code, out, errOut := cli("backup", "--data", dir, file); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "cut.tar.gz")
	if err := os.WriteFile(truncated, raw[:len(raw)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	tampered := regzip(t, raw, func(plain []byte) {
		at := bytes.Index(plain, []byte("SQLite format 3"))
		plain[at+4000] ^= 1 // a byte of the book's pages
	})
	newer, known := newerSchema(t, dir)
	tests := []struct {
		name, file string
		args       []string
		want       []string
	}{
		{"tampered member", tampered, nil, []string{"member cellforge.db", "differs from its manifest", "SHA-256"}},
		{"truncated archive", truncated, nil, []string{"truncated"}},
		{"newer schema", newer, nil, []string{"schema version " + strconv.Itoa(known+1), "version " + strconv.Itoa(known) + " that this cellforge", "v9.9.9"}},
		{"not empty", file, []string{"--data", dir}, []string{"is not empty", "--force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			target := filepath.Join(parent, "restored")
			args := append([]string{"restore", "--data", target}, tt.args...)
			if tt.args != nil {
				target, parent = tt.args[1], filepath.Dir(tt.args[1])
			}
			code, _, errOut := cli(append(args, tt.file)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%q does not say %q", errOut, w)
				}
			}
			entries, _ := os.ReadDir(parent)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".restore-") {
					t.Errorf("left behind: %s", e.Name())
				}
			}
			if tt.args == nil {
				if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the refused restore made %s: %v", target, err)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, sqliteFile)); err != nil {
		t.Fatalf("a refused restore touched the directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, daemonLock)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused restore left its lock file in the directory: %v", err)
	}
	empty := t.TempDir()
	if code, _, _ := cli("restore", "--data", empty, tampered); code != 1 {
		t.Fatalf("restoring a tampered archive into an empty directory: exit %d", code)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused restore wrote into the empty directory: %v", entries)
	}
	// --force replaces what the directory held, and only then
	stray := filepath.Join(dir, "stray")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli("restore", "--force", "--data", dir, file); code != 0 {
		t.Fatalf("restore --force: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("restore --force kept a file the backup does not hold: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, keysDir, "signing-key.pem")); err != nil || string(b) != "a key" {
		t.Errorf("the key restored as %q (%v)", b, err)
	}
}

// TestBackupKilledLeavesNoFile kills the backup process while it writes: no archive is left
// under the file's name, and the next backup writes one whole.
func TestBackupKilledLeavesNoFile(t *testing.T) {
	dir := bookDir(t)
	// photos that do not compress, enough for the kill to land while the archive is written
	for i := range 4 {
		b := make([]byte, 8<<20)
		rand.Read(b)
		p := filepath.Join(dir, photosDir, fmt.Sprintf("%02x", i), fmt.Sprintf("%02x.jpg", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	cmd := exec.Command(binary(t), "backup", "--data", dir, file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if info, err := os.Stat(file + ".tmp"); err == nil && info.Size() > 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the backup wrote no megabyte in time")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the backup ended before it was killed: %v", cmd.ProcessState)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a killed backup left %s: %v", file, err)
	}
	if out, err := exec.Command(binary(t), "backup", "--data", dir, file).CombinedOutput(); err != nil {
		t.Fatalf("backup after the kill: %v\n%s", err, out)
	}
	if _, err := backup.Verify(file); err != nil {
		t.Fatalf("the backup after the kill: %v", err)
	}
	if _, err := os.Stat(file + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is left after a backup: %v", err)
	}
}

// TestRestoreMigratesOlderBook: a backup of a book one schema version behind is restored with
// its book migrated, as the daemon would on its start.
func TestRestoreMigratesOlderBook(t *testing.T) {
	dir := bookDir(t)
	known, err := sqlite.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if known != 19 {
		t.Fatalf("the newest migration is %d, no longer 0019: make this test undo the newest", known)
	}
	// undo migration 0019 (a column and its index): the book is as a version before left it
	db, err := sql.Open("sqlite", filepath.Join(dir, sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX repairs_external`,
		`ALTER TABLE repairs DROP COLUMN external`,
		`DELETE FROM schema_migrations WHERE version = 19`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	file := filepath.Join(t.TempDir(), "old.tar.gz")
	if code, out, errOut := cli("backup", "--data", dir, file); code != 0 || !strings.Contains(out, "book schema 18") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	target := filepath.Join(t.TempDir(), "restored")
	code, out, errOut := cli("restore", "--data", target, file)
	want := fmt.Sprintf("migrated from version 18 to %d", known)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("restore: exit %d, %q%q, want %q", code, out, errOut, want)
	}
	if v, err := sqlite.SchemaOf(context.Background(), filepath.Join(target, sqliteFile)); err != nil || v != known {
		t.Fatalf("the restored book's schema: %d %v, want %d", v, err, known)
	}
}
