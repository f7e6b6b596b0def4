package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/backup"
	"github.com/cellforge/cellforge/store/postgres"
	"github.com/cellforge/cellforge/store/sqlite"
)

// What of the data directory a backup leaves out, and why: said in every manifest and in the
// README.
var backupOmits = []string{
	"telemetry/: the queues of readings not yet sent to the broker; stale by the time a backup is restored, and not part of the book",
	"network-link/: the link's outbound queue and sequence numbers; a restored old copy would resend what the hub refuses as replays, while a link without one starts a new epoch",
	daemonLock + ", " + sqliteFile + ".lock, " + sqliteFile + "-wal, " + sqliteFile + "-shm: a running daemon's locks and the live database's journal (the book is the snapshot " + sqliteFile + ")",
	"files whose names begin with '.': temporary files of writes under way",
}

// postgresOmits is what a backup of a book on PostgreSQL leaves out of it, and why.
const postgresOmits = "the PostgreSQL book's schema_migrations and leases tables: a restore records the migrations it applies anew, " +
	"and the leases are those of the daemons that ran then"

// pgBookDir is the directory of the archive's members that are the snapshot of a book on
// PostgreSQL (see postgres.Snapshot): a table's rows in TABLE.copy, and their index.
const pgBookDir = "book"

// backupCmd writes a backup archive of a data directory, safe while its daemon runs.
func backupCmd(ctx context.Context, args []string, e *env) error {
	const synopsis = "backup [--data DIR] [--store sqlite|URL] [--config FILE] FILE"
	fs := newFlagSet("backup", synopsis, e)
	dataDir := fs.String("data", "./data", "the daemon's data `directory`")
	storeFlag := fs.String("store", "", storeFlagUsage)
	configPath := fs.String("config", "", "the factory config `file`, read for its store section only (optional)")
	file, err := oneArgument(fs, args, "name the archive to write")
	if err != nil {
		return err
	}
	choice, err := backupStore(*storeFlag, *configPath)
	if err != nil {
		return err
	}
	m, err := takeBackup(ctx, *dataDir, choice, file)
	if err != nil {
		return err
	}
	var size int64
	for _, mem := range m.Members {
		size += mem.Size
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d files, %d bytes before compression, book schema %d, taken %s\n",
		file, len(m.Members), size, m.Schema, m.Created.Format("2006-01-02T15:04:05Z"))
	return nil
}

// oneArgument parses args, flags before or after the one argument they must hold, which it
// returns; missing says what the argument is when it is missing.
func oneArgument(set *flag.FlagSet, args []string, missing string) (string, error) {
	if err := parseFlags(set, args); err != nil {
		return "", err
	}
	if set.NArg() == 0 {
		fmt.Fprintf(set.Output(), "%s: %s\n", set.Name(), missing)
		set.Usage()
		return "", errUsage
	}
	arg := set.Arg(0)
	if err := parseFlags(set, set.Args()[1:]); err != nil {
		return "", err
	}
	if set.NArg() > 0 {
		fmt.Fprintf(set.Output(), "%s: unexpected argument %q\n", set.Name(), set.Arg(0))
		set.Usage()
		return "", errUsage
	}
	return arg, nil
}

// backupStore is where the book to back up lives: --store, else the config's store section
// when --config names one, else SQLite in the data directory.
func backupStore(storeFlag, configPath string) (storeChoice, error) {
	factory := &configs.Factory{}
	if configPath != "" && storeFlag == "" {
		f, err := loadConfig(configPath)
		if err != nil {
			return storeChoice{}, err
		}
		factory = f
	}
	return chooseStore(storeFlag, factory)
}

// takeBackup writes the archive of dataDir to file: the keys and the uplink's state first, then
// the book's snapshot, then the photos, so that what the snapshot names is in the archive (a
// photo is on disk before the book records it; the uplink's cursor never runs past the book).
func takeBackup(ctx context.Context, dataDir string, choice storeChoice, file string) (backup.Manifest, error) {
	if info, err := os.Stat(dataDir); err != nil || !info.IsDir() {
		return backup.Manifest{}, fmt.Errorf("data directory %s: not a directory: %w", dataDir, errors.Join(err, fs.ErrNotExist))
	}
	w, err := backup.Create(file)
	if err != nil {
		return backup.Manifest{}, err
	}
	defer w.Abort() // after Commit, it does nothing
	for _, name := range []string{
		keysDir + "/" + provenance.SigningKeyFile, keysDir + "/" + provenance.RetiredKeysFile, configs.DefaultKeyFile,
	} {
		if err := addIfPresent(w, name, filepath.Join(dataDir, filepath.FromSlash(name))); err != nil {
			return backup.Manifest{}, err
		}
	}
	if err := addTree(w, dataDir, uplinkDir); err != nil {
		return backup.Manifest{}, err
	}
	m := backup.Manifest{Version: versionString(), Book: "sqlite", Omitted: backupOmits}
	if choice.postgres == "" {
		m.Schema, err = addBook(ctx, w, dataDir, file)
	} else {
		m.Book, m.Omitted = "postgres", append(slices.Clip(m.Omitted), postgresOmits)
		m.Schema, err = addPostgresBook(ctx, w, choice, file)
	}
	if err != nil {
		return backup.Manifest{}, err
	}
	if err := addTree(w, dataDir, photosDir); err != nil {
		return backup.Manifest{}, err
	}
	return w.Commit(m)
}

// addIfPresent adds the file src as member name, unless it is not there.
func addIfPresent(w *backup.Writer, name, src string) error {
	err := w.AddFile(name, src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// addTree adds the regular files under dataDir/dir (a directory, or a link to one, as a photo
// directory on shared storage may be), but those whose names begin with '.' (temporary files of
// writes under way) and those removed while the tree is walked.
func addTree(w *backup.Writer, dataDir, dir string) error {
	root, err := filepath.EvalSymlinks(filepath.Join(dataDir, dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backing up %s: %w", dir, err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != root {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return addIfPresent(w, path.Join(dir, filepath.ToSlash(rel)), p)
	})
	if err != nil {
		return fmt.Errorf("backing up %s: %w", filepath.Join(dataDir, dir), err)
	}
	return nil
}

// addBook adds a snapshot of the SQLite book of dataDir, taken into a temporary file beside the
// archive, and returns its schema version.
func addBook(ctx context.Context, w *backup.Writer, dataDir, file string) (int, error) {
	live := filepath.Join(dataDir, sqliteFile)
	if _, err := os.Stat(live); err != nil {
		return 0, fmt.Errorf("no order book in %s (%s): is it the daemon's data directory? A book on PostgreSQL is named by --store or --config: %w",
			dataDir, sqliteFile, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".book-*")
	if err != nil {
		return 0, fmt.Errorf("making room for the book's snapshot: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	schema, err := sqlite.Snapshot(ctx, live, tmp.Name())
	if err != nil {
		return 0, err
	}
	if err := w.AddFile(sqliteFile, tmp.Name()); err != nil {
		return 0, err
	}
	return schema, nil
}

// addPostgresBook adds a snapshot of the book on PostgreSQL that choice names, taken into a
// temporary directory beside the archive, as the members under pgBookDir, and returns its
// schema version.
func addPostgresBook(ctx context.Context, w *backup.Writer, choice storeChoice, file string) (int, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(file), "."+filepath.Base(file)+".book-")
	if err != nil {
		return 0, fmt.Errorf("making room for the book's snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	info, err := postgres.Snapshot(ctx, choice.postgres, tmp)
	if err != nil {
		return 0, err
	}
	for _, name := range info.Files() {
		if err := w.AddFile(pgBookDir+"/"+name, filepath.Join(tmp, name)); err != nil {
			return 0, err
		}
	}
	return info.Schema, nil
}
