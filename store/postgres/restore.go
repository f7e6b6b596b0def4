package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// ErrBadSnapshot is returned, wrapped, by Restore when the snapshot's directory is not one
// Snapshot writes: its index unreadable or inconsistent, a table or sequence that the schema
// it names does not have, a file whose rows are not those the index counts.
var ErrBadSnapshot = errors.New("not a well-formed snapshot of a book")

// maxSnapshotIndex bounds the index Restore decodes.
const maxSnapshotIndex = 16 << 20

// Restore restores the snapshot in dir (see Snapshot) into the database at url, which must be
// empty: no table, sequence or view in the connection's schema, else it fails with an error
// wrapping ErrNotEmpty that names what is there. In one transaction, under the advisory lock
// Open migrates under (so that no daemon starting meanwhile migrates the database), it
// applies this program's migrations up to the snapshot's schema version, copies every table's
// rows in with COPY, checking their count against the index, sets every sequence as the
// snapshot found it, and applies the migrations after the snapshot's version, so that the
// book is at this program's schema: a failed restore leaves the database empty. A snapshot of
// a schema newer than this program knows is refused with an error wrapping ErrNewerSchema. It
// returns the snapshot's index.
func Restore(ctx context.Context, url, dir string) (SnapshotInfo, error) {
	info, err := ReadSnapshotIndex(dir)
	if err != nil {
		return SnapshotInfo{}, err
	}
	migrations, err := loadMigrations()
	if err != nil {
		return SnapshotInfo{}, err
	}
	if info.Schema > len(migrations) {
		return SnapshotInfo{}, fmt.Errorf("restoring: the snapshot's schema version is %d, this program knows up to %d: %w",
			info.Schema, len(migrations), ErrNewerSchema)
	}
	cfg, err := pgutil.ParseConfig(url)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("restoring: %w", err)
	}
	where := pgutil.Redact(cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("restoring into %s: %w", where, classify(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("locking the schema: %w", classify(err))
		}
		if err := refuseNotEmpty(ctx, tx); err != nil {
			return err
		}
		if err := pgutil.MigrateTx(ctx, tx, schema, migrations[:info.Schema]); err != nil {
			return fmt.Errorf("migrating to the snapshot's schema version %d: %w", info.Schema, classify(err))
		}
		if err := restoreRows(ctx, tx, info, dir); err != nil {
			return err
		}
		if err := pgutil.MigrateTx(ctx, tx, schema, migrations[info.Schema:]); err != nil {
			return fmt.Errorf("migrating the restored book from version %d to %d: %w", info.Schema, len(migrations), classify(err))
		}
		return nil
	})
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("restoring into %s: %w", where, err)
	}
	return info, nil
}

// ReadSnapshotIndex reads and checks the index of the snapshot in dir: a schema version,
// tables and sequences of safe, distinct names, each table's file named after it.
func ReadSnapshotIndex(dir string) (SnapshotInfo, error) {
	path := filepath.Join(dir, SnapshotIndex)
	raw, err := os.ReadFile(path)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("reading the snapshot's index: %w", err)
	}
	if len(raw) > maxSnapshotIndex {
		return SnapshotInfo{}, fmt.Errorf("%s: %w: %d bytes, the most is %d", path, ErrBadSnapshot, len(raw), maxSnapshotIndex)
	}
	var info SnapshotInfo
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%s: %w: %w", path, ErrBadSnapshot, err)
	}
	if err := info.check(); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%s: %w: %w", path, ErrBadSnapshot, err)
	}
	return info, nil
}

// check checks the index's own consistency.
func (i SnapshotInfo) check() error {
	if i.Schema < 1 {
		return fmt.Errorf("schema version %d", i.Schema)
	}
	if len(i.Tables) == 0 {
		return errors.New("no tables")
	}
	seen := map[string]bool{}
	for _, t := range i.Tables {
		switch {
		case !snapshotName.MatchString(t.Name):
			return fmt.Errorf("table %q: not a name a snapshot holds", t.Name)
		case seen[t.Name]:
			return fmt.Errorf("table %s listed twice", t.Name)
		case t.File != t.Name+".copy":
			return fmt.Errorf("table %s: file %q, want %s.copy", t.Name, t.File, t.Name)
		case t.Rows < 0:
			return fmt.Errorf("table %s: %d rows", t.Name, t.Rows)
		case len(t.Columns) == 0:
			return fmt.Errorf("table %s: no columns", t.Name)
		}
		seen[t.Name] = true
	}
	seqs := map[string]bool{}
	for _, s := range i.Sequences {
		if !snapshotName.MatchString(s.Name) || seqs[s.Name] {
			return fmt.Errorf("sequence %q: not a name a snapshot holds, or listed twice", s.Name)
		}
		seqs[s.Name] = true
	}
	return nil
}

// refuseNotEmpty fails with ErrNotEmpty, naming what is there, when the connection's schema
// holds a table, a sequence, a view or a foreign table; the tables that tell a book is there
// first.
func refuseNotEmpty(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT relname FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
		ORDER BY relname NOT IN ('schema_migrations', 'orders', 'events'), relkind = 'S', relname`)
	if err != nil {
		return fmt.Errorf("reading what the database holds: %w", classify(err))
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("reading what the database holds: %w", classify(err))
	}
	if len(held) == 0 {
		return nil
	}
	if len(held) > 8 {
		held = append(held[:8], fmt.Sprintf("and %d more", len(held)-8))
	}
	return fmt.Errorf("the database is not empty (its schema holds %s): restore into a new, empty database: %w",
		strings.Join(held, ", "), ErrNotEmpty)
}

// restoreRows copies every table of info in from its file, checks the schema's tables and
// sequences against the snapshot's, and sets the sequences; in tx, whose schema is at the
// snapshot's version.
func restoreRows(ctx context.Context, tx pgx.Tx, info SnapshotInfo, dir string) error {
	tables, err := targetTables(ctx, tx)
	if err != nil {
		return fmt.Errorf("reading the schema: %w", classify(err))
	}
	if err := matchTables(info, tables); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	for _, t := range info.Tables {
		if err := copyIn(ctx, tx, t, dir); err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	return setSnapshotSequences(ctx, tx, info)
}

// matchTables fails unless the snapshot has the tables of the schema, each with its columns
// (in any order).
func matchTables(info SnapshotInfo, tables []copyTable) error {
	for _, t := range tables {
		if !slices.ContainsFunc(info.Tables, func(st SnapshotTable) bool { return st.Name == t.name }) {
			return fmt.Errorf("schema version %d has table %s, the snapshot does not", info.Schema, t.name)
		}
	}
	for _, st := range info.Tables {
		i := slices.IndexFunc(tables, func(t copyTable) bool { return t.name == st.Name })
		if i < 0 {
			return fmt.Errorf("the snapshot's table %s is not in schema version %d", st.Name, info.Schema)
		}
		have, want := slices.Sorted(slices.Values(st.Columns)), slices.Sorted(slices.Values(tables[i].names()))
		if !slices.Equal(have, want) {
			return fmt.Errorf("table %s: the snapshot's columns (%s) are not those of schema version %d (%s)",
				st.Name, strings.Join(have, ", "), info.Schema, strings.Join(want, ", "))
		}
	}
	return nil
}

// copyIn copies t's rows in from its file with COPY and checks their number.
func copyIn(ctx context.Context, tx pgx.Tx, t SnapshotTable, dir string) error {
	f, err := os.Open(filepath.Join(dir, t.File))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	defer f.Close()
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, f, "COPY "+pgx.Identifier{t.Name}.Sanitize()+" ("+columnList(t.Columns)+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copying rows in from %s: %w", t.File, classify(err))
	}
	if n := tag.RowsAffected(); n != t.Rows {
		return fmt.Errorf("%w: %s holds %d rows, the index says %d", ErrBadSnapshot, t.File, n, t.Rows)
	}
	return nil
}

// setSnapshotSequences sets every sequence of the schema as the snapshot found it; the
// snapshot must have the schema's sequences, no more and no fewer.
func setSnapshotSequences(ctx context.Context, tx pgx.Tx, info SnapshotInfo) error {
	names, err := sequenceNames(ctx, tx)
	if err != nil {
		return err
	}
	have := make([]string, len(info.Sequences))
	for i, s := range info.Sequences {
		have[i] = s.Name
	}
	if want := slices.Sorted(slices.Values(have)); !slices.Equal(want, names) {
		return fmt.Errorf("%w: the snapshot's sequences (%s) are not those of schema version %d (%s)",
			ErrBadSnapshot, strings.Join(want, ", "), info.Schema, strings.Join(names, ", "))
	}
	for _, s := range info.Sequences {
		if _, err := tx.Exec(ctx, `SELECT setval($1::regclass, $2, $3)`, pgx.Identifier{s.Name}.Sanitize(), s.Value, s.Called); err != nil {
			return fmt.Errorf("setting sequence %s: %w", s.Name, classify(err))
		}
	}
	return nil
}
