package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellforge/cellforge/store/atomicfile"
	"github.com/cellforge/cellforge/store/backup"
	"github.com/cellforge/cellforge/store/filelock"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/sqlite"
)

// restoreCmd restores a data directory from a backup archive, refused while a daemon runs on
// it, and the book on PostgreSQL the archive holds into the empty database --store or the
// config names.
func restoreCmd(ctx context.Context, args []string, e *env) error {
	const synopsis = "restore [--data DIR] [--force] [--store sqlite|URL] [--config FILE] FILE"
	fs := newFlagSet("restore", synopsis, e)
	dataDir := fs.String("data", "./data", "the data `directory` to restore into: empty or new, unless --force")
	force := fs.Bool("force", false, "replace what the data directory holds (never what a database holds)")
	storeFlag := fs.String("store", "", "where the book goes: sqlite (in the data directory, the default) or the postgres:// `URL` of an empty database")
	configPath := fs.String("config", "", "the factory config `file`, read for its store section only (optional)")
	file, err := oneArgument(fs, args, "name the archive to restore")
	if err != nil {
		return err
	}
	choice, err := backupStore(*storeFlag, *configPath)
	if err != nil {
		return err
	}
	r, err := restoreBackup(ctx, file, *dataDir, *force, choice)
	if err != nil {
		return err
	}
	m := r.manifest
	fmt.Fprintf(e.stdout, "restored %d files into %s from the backup cellforge %s took at %s\n",
		len(m.Members), *dataDir, m.Version, m.Created.Format("2006-01-02T15:04:05Z"))
	switch {
	case m.Book == "postgres" && m.Schema == 0:
		fmt.Fprintln(e.stdout, "the backup holds no order book (it was on PostgreSQL): restore the book from its pg_dump with pg_restore into an empty database")
	case m.Book == "postgres":
		fmt.Fprintf(e.stdout, "restored the order book into %s: %d tables, %d rows\n", choice, r.tables, r.rows)
	}
	if m.Schema != 0 && r.schema != m.Schema {
		fmt.Fprintf(e.stdout, "the order book's schema was migrated from version %d to %d\n", m.Schema, r.schema)
	}
	return nil
}

// restored is what a restore did.
type restored struct {
	manifest *backup.Manifest
	schema   int // the book's schema version after the restore; 0 without a book
	// tables and rows are what was copied into PostgreSQL
	tables int
	rows   int64
}

// restoreBackup restores the archive file into dataDir, and its book on PostgreSQL into the
// database choice names. Every check of the archive comes before anything is written: no
// daemon on dataDir, dataDir empty (unless force), every member's hash, the book's kind
// against choice and its schema version. The archive is then extracted into a temporary
// directory beside dataDir; a SQLite book there is migrated as the daemon would, a
// PostgreSQL book's snapshot copied into its database (which postgres.Restore refuses unless
// it is empty, and leaves empty when it fails) and removed; and the directory is renamed to
// dataDir. A failed restore leaves dataDir as it was.
func restoreBackup(ctx context.Context, file, dataDir string, force bool, choice storeChoice) (_ restored, err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return restored{}, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	lock, err := lockForRestore(abs)
	if err != nil {
		return restored{}, err
	}
	defer func() { lock.release(err == nil) }()
	if err := checkEmpty(abs, force); err != nil {
		return restored{}, err
	}
	m, err := backup.Verify(file)
	if err != nil {
		return restored{}, fmt.Errorf("refusing %s: %w", file, err)
	}
	if err := checkBook(m, choice); err != nil {
		return restored{}, fmt.Errorf("refusing %s: %w", file, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".restore-")
	if err != nil {
		return restored{}, fmt.Errorf("making the restore's directory: %w", err)
	}
	defer os.RemoveAll(tmp) // renamed away when all went well
	if err := os.Chmod(tmp, 0o750); err != nil {
		return restored{}, err
	}
	if _, err := backup.Extract(file, tmp); err != nil {
		return restored{}, fmt.Errorf("refusing %s: %w", file, err)
	}
	r, err := restoreBook(ctx, m, tmp, choice)
	if err != nil {
		return restored{}, err
	}
	if err := swapIn(tmp, abs); err != nil {
		if m.Book == "postgres" && m.Schema > 0 {
			return restored{}, fmt.Errorf("the order book is restored into %s, the data directory is not: %w", choice, err)
		}
		return restored{}, err
	}
	return r, nil
}

// restoreBook restores the book of the archive extracted into dir: a SQLite book opened (and
// migrated) where it is, a PostgreSQL book's snapshot copied into choice's database and
// removed from dir.
func restoreBook(ctx context.Context, m *backup.Manifest, dir string, choice storeChoice) (restored, error) {
	r := restored{manifest: m}
	var err error
	switch {
	case m.Book == "sqlite":
		r.schema, err = openRestoredBook(ctx, filepath.Join(dir, sqliteFile))
		return r, err
	case m.Schema == 0:
		return r, nil // an archive of a PostgreSQL site that holds no book
	}
	snapshot := filepath.Join(dir, pgBookDir)
	index, err := postgres.ReadSnapshotIndex(snapshot)
	if err != nil {
		return restored{}, err
	}
	if index.Schema != m.Schema {
		return restored{}, fmt.Errorf("%w: its manifest says the book's schema version is %d, %s/%s says %d",
			backup.ErrMalformed, m.Schema, pgBookDir, postgres.SnapshotIndex, index.Schema)
	}
	info, err := postgres.Restore(ctx, choice.postgres, snapshot)
	if err != nil {
		return restored{}, err
	}
	if r.schema, err = postgres.Schema(); err != nil {
		return restored{}, err
	}
	r.tables = len(info.Tables)
	for _, t := range info.Tables {
		r.rows += t.Rows
	}
	return r, os.RemoveAll(snapshot)
}

// restoreLock is what lockForRestore holds.
type restoreLock struct {
	files   []*os.File
	created string // the daemon.lock this restore made, to remove when it fails
}

// lockForRestore takes the locks a daemon, and any command that has the book open, holds on
// abs: daemon.lock (a running daemon, see claimDataDir) and the SQLite book's lock file (migrate,
// provenance export). It holds them until release, so that none starts meanwhile.
func lockForRestore(abs string) (*restoreLock, error) {
	l := &restoreLock{}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	name := filepath.Join(abs, daemonLock)
	daemon, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		l.created = name
	} else if errors.Is(err, os.ErrExist) {
		daemon, err = os.OpenFile(name, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("locking the data directory: %w", err)
	}
	l.files = append(l.files, daemon)
	if err := flockNow(daemon); err != nil {
		l.release(false)
		return nil, fmt.Errorf("data directory %s: a daemon runs on it (%s is locked): stop it before restoring: %w", abs, daemonLock, err)
	}
	book, err := os.OpenFile(filepath.Join(abs, sqliteFile+".lock"), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err == nil {
		l.files = append(l.files, book)
		err = flockNow(book)
	}
	if err != nil {
		l.release(false)
		return nil, fmt.Errorf("data directory %s: its order book is open in another program (%s.lock is locked): stop it before restoring: %w",
			abs, sqliteFile, err)
	}
	return l, nil
}

// release lets the locks go; when the restore did not happen, the daemon.lock it made is
// removed first, so that the directory is left as it was.
func (l *restoreLock) release(restored bool) {
	if !restored && l.created != "" {
		os.Remove(l.created)
	}
	for _, f := range l.files {
		f.Close()
	}
}

// flockNow takes f's exclusive lock, or fails at once when another process holds it.
func flockNow(f *os.File) error {
	return filelock.TryLock(f)
}

// checkEmpty refuses a data directory that holds anything but the locks, unless force.
func checkEmpty(abs string, force bool) error {
	entries, err := os.ReadDir(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data directory %s: %w", abs, err)
	}
	var held []string
	for _, e := range entries {
		if n := e.Name(); n != daemonLock && n != sqliteFile+".lock" {
			held = append(held, n)
		}
	}
	if len(held) > 0 && !force {
		if len(held) > 5 {
			held = append(held[:5], "...")
		}
		return fmt.Errorf("data directory %s is not empty (it holds %s): restore into a new or empty directory, or pass --force to replace what it holds",
			abs, strings.Join(held, ", "))
	}
	return nil
}

// checkBook refuses an archive whose book cannot be restored into choice: a book of a kind
// other than choice's, or of a schema newer than this program knows, or an archive whose
// members are not what its manifest says its book is.
func checkBook(m *backup.Manifest, choice storeChoice) error {
	if m.Book != "sqlite" && m.Book != "postgres" {
		return fmt.Errorf("%w: its manifest names the book's store %q, want sqlite or postgres", backup.ErrMalformed, m.Book)
	}
	if err := checkMembers(m); err != nil {
		return err
	}
	switch {
	case m.Book == "sqlite" && choice.postgres != "":
		return fmt.Errorf("its order book is a SQLite book, and --store names PostgreSQL (%s): restore it into a data directory "+
			"(--store sqlite), then copy it into the database with cellforge migrate", choice)
	case m.Book == "postgres" && m.Schema > 0 && choice.postgres == "":
		return errors.New("its order book is a PostgreSQL book: name the new, empty database to restore it into with " +
			"--store postgres://... (or --config FILE whose store section names it)")
	case m.Book == "postgres" && m.Schema == 0 && choice.postgres != "":
		return fmt.Errorf("it holds no order book (cellforge %s left the book on PostgreSQL out): "+
			"restore the book from its pg_dump with pg_restore, and the data directory without --store", m.Version)
	}
	known, err := sqlite.Schema()
	if m.Book == "postgres" {
		known, err = postgres.Schema()
	}
	if err != nil {
		return err
	}
	if m.Schema > known {
		return fmt.Errorf("its order book has schema version %d, newer than version %d that this cellforge (%s) knows: restore it with cellforge %s or later",
			m.Schema, known, versionString(), m.Version)
	}
	return nil
}

// checkMembers refuses an archive whose members do not hold the book its manifest says: a
// SQLite book's snapshot sqliteFile, a PostgreSQL book's the index under pgBookDir (none in an
// archive of a PostgreSQL site from before backups held its book, whose schema is 0).
func checkMembers(m *backup.Manifest) error {
	var db, index, pg bool
	for _, mem := range m.Members {
		db = db || mem.Name == sqliteFile
		index = index || mem.Name == pgBookDir+"/"+postgres.SnapshotIndex
		pg = pg || strings.HasPrefix(mem.Name, pgBookDir+"/")
	}
	switch {
	case m.Book == "sqlite" && m.Schema == 0:
		return fmt.Errorf("%w: its manifest gives the book no schema version", backup.ErrMalformed)
	case m.Book == "sqlite" && !db:
		return fmt.Errorf("%w: it says its book is on SQLite but holds no %s", backup.ErrMalformed, sqliteFile)
	case m.Book != "sqlite" && db:
		return fmt.Errorf("%w: it holds %s but says its book is on %s", backup.ErrMalformed, sqliteFile, m.Book)
	case m.Book != "postgres" && pg:
		return fmt.Errorf("%w: it holds %s/ but says its book is on %s", backup.ErrMalformed, pgBookDir, m.Book)
	case m.Book == "postgres" && m.Schema > 0 && !index:
		return fmt.Errorf("%w: it says its book is on PostgreSQL but holds no %s/%s", backup.ErrMalformed, pgBookDir, postgres.SnapshotIndex)
	case m.Book == "postgres" && m.Schema == 0 && pg:
		return fmt.Errorf("%w: it holds %s/ but its manifest gives the book no schema version", backup.ErrMalformed, pgBookDir)
	}
	return nil
}

// openRestoredBook opens the restored book as the daemon would: its schema migrated to this
// program's, a batch the backup caught half written removed. It returns the schema version.
func openRestoredBook(ctx context.Context, path string) (int, error) {
	st, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, fmt.Errorf("opening the restored book: %w", err)
	}
	if err := st.Close(); err != nil {
		return 0, fmt.Errorf("closing the restored book: %w", err)
	}
	for _, f := range []string{sqliteFile + ".lock", sqliteFile + "-wal", sqliteFile + "-shm"} {
		if err := os.Remove(filepath.Join(filepath.Dir(path), f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	return sqlite.SchemaOf(ctx, path)
}

// swapIn puts the restored directory tmp in place of abs: abs, when there, is renamed aside,
// tmp renamed to abs, and what was aside removed. When the second rename fails, abs is put
// back.
func swapIn(tmp, abs string) error {
	parent := filepath.Dir(abs)
	aside := ""
	if _, err := os.Stat(abs); err == nil {
		aside = fmt.Sprintf("%s.replaced-%d", abs, time.Now().UnixNano())
		if err := os.Rename(abs, aside); err != nil {
			return fmt.Errorf("moving %s aside: %w", abs, err)
		}
	}
	if err := os.Rename(tmp, abs); err != nil {
		if aside != "" {
			if rerr := os.Rename(aside, abs); rerr != nil {
				return fmt.Errorf("putting the restored directory in place: %w (and putting %s back from %s: %w)", err, abs, aside, rerr)
			}
		}
		return fmt.Errorf("putting the restored directory in place: %w", err)
	}
	if err := atomicfile.SyncDir(parent); err != nil {
		return err
	}
	if aside != "" {
		if err := os.RemoveAll(aside); err != nil {
			return fmt.Errorf("the backup is restored into %s; removing what it held before, now in %s: %w", abs, aside, err)
		}
	}
	return nil
}
