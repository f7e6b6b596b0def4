package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// SnapshotIndex is the file of a snapshot directory that describes the snapshot: a
// SnapshotInfo in JSON. Each table's rows are in the file its SnapshotTable names.
const SnapshotIndex = "index.json"

// SnapshotInfo describes a snapshot of a book (see Snapshot): the schema version it was taken
// at, its tables and its sequences.
type SnapshotInfo struct {
	// Schema is the book's schema version: the newest of its migrations applied.
	Schema int `json:"schema"`
	// Tables are the book's tables, by name.
	Tables []SnapshotTable `json:"tables"`
	// Sequences are the schema's sequences (those of the identity columns), by name.
	Sequences []SnapshotSequence `json:"sequences"`
}

// SnapshotTable is one table of a snapshot.
type SnapshotTable struct {
	// Name is the table's name.
	Name string `json:"name"`
	// File is the name of the file, in the snapshot's directory, of the table's rows in the
	// text format of PostgreSQL's COPY: Name + ".copy".
	File string `json:"file"`
	// Columns are the columns of each row of File, in its order; generated columns are left
	// out (they are computed again when the rows are copied in).
	Columns []string `json:"columns"`
	// Rows is the number of rows of File.
	Rows int64 `json:"rows"`
}

// SnapshotSequence is the state of one sequence when the snapshot ended: past every id the
// snapshot holds.
type SnapshotSequence struct {
	// Name is the sequence's name.
	Name string `json:"name"`
	// Value is the sequence's last_value.
	Value int64 `json:"value"`
	// Called is its is_called: whether Value was given out (the next is Value + 1) or not (the
	// next is Value).
	Called bool `json:"called"`
}

// Files lists the files of the snapshot's directory: every table's, then SnapshotIndex.
func (i SnapshotInfo) Files() []string {
	files := make([]string, 0, len(i.Tables)+1)
	for _, t := range i.Tables {
		files = append(files, t.File)
	}
	return append(files, SnapshotIndex)
}

// snapshotName is what a table's or sequence's name must be, so that it is a safe file name.
var snapshotName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Snapshot writes a consistent copy of the book in the database at url (a postgres:// URL or
// a libpq key=value string) into dir, an existing empty directory: each table's rows with
// COPY into its file, then SnapshotIndex. It is safe while daemons write the book: the tables
// are read in one REPEATABLE READ, READ ONLY transaction, a snapshot that holds every Write
// (and every batch) that committed before it began and nothing of one that had not, and it
// takes no lock a Write waits for. The sequences are read last, so that each is past every id
// of the snapshot. It neither migrates nor creates the book: a database that is no order book
// is refused. The schema_migrations and leases tables are left out (see skippedTables): a
// restore makes its own record of the migrations, and the leases are the running daemons'.
// On failure dir may hold part of a copy, which the caller removes.
func Snapshot(ctx context.Context, url, dir string) (SnapshotInfo, error) {
	cfg, err := pgutil.ParseConfig(url)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot: %w", err)
	}
	where := pgutil.Redact(cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot of %s: %w", where, classify(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot of %s: beginning the read transaction: %w", where, classify(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	info, err := snapshotIn(ctx, tx, dir)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot of %s: %w", where, err)
	}
	return info, nil
}

// snapshotIn is Snapshot in its read transaction.
func snapshotIn(ctx context.Context, tx pgx.Tx, dir string) (SnapshotInfo, error) {
	var info SnapshotInfo
	var err error
	if info.Schema, err = bookSchema(ctx, tx); err != nil {
		return SnapshotInfo{}, err
	}
	tables, err := targetTables(ctx, tx)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("reading the schema: %w", classify(err))
	}
	for _, t := range tables {
		st, err := copyOut(ctx, tx, t, dir)
		if err != nil {
			return SnapshotInfo{}, fmt.Errorf("table %s: %w", t.name, err)
		}
		info.Tables = append(info.Tables, st)
	}
	if info.Sequences, err = readSequences(ctx, tx); err != nil {
		return SnapshotInfo{}, err
	}
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := writeSynced(filepath.Join(dir, SnapshotIndex), append(raw, '\n')); err != nil {
		return SnapshotInfo{}, err
	}
	return info, nil
}

// bookSchema reads the book's schema version, refusing a database that is no order book.
func bookSchema(ctx context.Context, tx pgx.Tx) (int, error) {
	var present bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&present); err != nil {
		return 0, fmt.Errorf("reading the schema: %w", classify(err))
	}
	if !present {
		return 0, errors.New("no order book there: the database has no schema_migrations table (has a daemon ever run on it?)")
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", classify(err))
	}
	if v == 0 {
		return 0, errors.New("no order book there: schema_migrations is empty")
	}
	return v, nil
}

// copyOut writes t's rows with COPY into the file dir/t.name.copy, synced.
func copyOut(ctx context.Context, tx pgx.Tx, t copyTable, dir string) (SnapshotTable, error) {
	if !snapshotName.MatchString(t.name) {
		return SnapshotTable{}, fmt.Errorf("the name is not one a snapshot holds (%s)", snapshotName)
	}
	st := SnapshotTable{Name: t.name, File: t.name + ".copy", Columns: t.names()}
	f, err := os.OpenFile(filepath.Join(dir, st.File), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return SnapshotTable{}, err
	}
	defer f.Close()
	tag, err := tx.Conn().PgConn().CopyTo(ctx, f, "COPY "+pgx.Identifier{t.name}.Sanitize()+" ("+columnList(st.Columns)+") TO STDOUT")
	if err != nil {
		return SnapshotTable{}, fmt.Errorf("copying rows out: %w", classify(err))
	}
	st.Rows = tag.RowsAffected()
	if err := f.Sync(); err != nil {
		return SnapshotTable{}, err
	}
	return st, f.Close()
}

// columnList is names quoted for PostgreSQL and separated by commas.
func columnList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

// sequenceNames lists the sequences of the connection's schema, by name.
func sequenceNames(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT relname FROM pg_class
		WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace ORDER BY relname`)
	if err != nil {
		return nil, fmt.Errorf("listing the sequences: %w", classify(err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the sequences: %w", classify(err))
	}
	return names, nil
}

// readSequences reads the state of every sequence of the schema.
func readSequences(ctx context.Context, tx pgx.Tx) ([]SnapshotSequence, error) {
	names, err := sequenceNames(ctx, tx)
	if err != nil {
		return nil, err
	}
	seqs := make([]SnapshotSequence, 0, len(names))
	for _, name := range names {
		if !snapshotName.MatchString(name) {
			return nil, fmt.Errorf("sequence %s: the name is not one a snapshot holds (%s)", name, snapshotName)
		}
		s := SnapshotSequence{Name: name}
		err := tx.QueryRow(ctx, `SELECT last_value, is_called FROM `+pgx.Identifier{name}.Sanitize()).Scan(&s.Value, &s.Called)
		if err != nil {
			return nil, fmt.Errorf("reading sequence %s: %w", name, classify(err))
		}
		seqs = append(seqs, s)
	}
	return seqs, nil
}

// writeSynced writes raw to the new file path, synced.
func writeSynced(path string, raw []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
