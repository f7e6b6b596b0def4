package pgutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNewerSchema is returned, wrapped, by Migrate when the database was migrated by a newer
// version of the program than this one: opening it could corrupt it.
var ErrNewerSchema = errors.New("database schema is newer than this program knows")

// Migration is one embedded migration: the file NNNN_name.sql of version NNNN.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the migrations NNNN_name.sql of dir in fsys, in version order; the
// versions must be 1, 2, 3, ... without a gap.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	return ms, nil
}

// Schema says where a store's migrations are recorded and how they are serialized.
type Schema struct {
	// Lock is the key of the session advisory lock held while migrating: two daemons starting
	// together migrate once.
	Lock int64
	// Setup runs under the lock before anything else, when not empty (CREATE SCHEMA IF NOT
	// EXISTS ...).
	Setup string
	// Table is the (qualified) name of the table that records the versions applied.
	Table string
}

// Migrate applies the migrations of ms the database lacks, each in its own transaction, under
// the session advisory lock s.Lock, and refuses a database that has a migration this program
// does not know (ErrNewerSchema). logger, when not nil, hears of each migration applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool, s Schema, ms []Migration, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, s.Lock); err != nil {
		return fmt.Errorf("locking the schema: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, s.Lock)
	if s.Setup != "" {
		if _, err := conn.Exec(ctx, s.Setup); err != nil {
			return fmt.Errorf("setting the schema up: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, s.createTable()); err != nil {
		return fmt.Errorf("creating %s: %w", s.Table, err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+s.Table).Scan(&current); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if known := len(ms); current > known {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", current, known, ErrNewerSchema)
	}
	for _, m := range ms {
		if m.Version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return s.apply(ctx, tx, m) })
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if logger != nil {
			logger.Info("migrated", "migration", m.Name)
		}
	}
	return nil
}

// createTable is the statement that creates s.Table when it is missing.
func (s Schema) createTable() string {
	return `CREATE TABLE IF NOT EXISTS ` + s.Table + ` (
		version    BIGINT PRIMARY KEY,
		applied_at BIGINT NOT NULL -- unix microseconds UTC
	)`
}

// apply runs m in tx and records it in s.Table.
func (s Schema) apply(ctx context.Context, tx pgx.Tx, m Migration) error {
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s.Table+` (version, applied_at) VALUES ($1, $2)`,
		m.Version, time.Now().UnixMicro())
	return err
}

// MigrateTx applies ms in tx, in order, recording each in s.Table, which it creates first
// when it is missing (after s.Setup, when not empty). Unlike Migrate it neither reads which
// versions the database has nor takes s.Lock: the caller, which knows the database holds none
// of ms, holds the lock (pg_advisory_xact_lock) and commits, so that the migrations and what
// the caller does in tx around them are applied together or not at all.
func MigrateTx(ctx context.Context, tx pgx.Tx, s Schema, ms []Migration) error {
	if s.Setup != "" {
		if _, err := tx.Exec(ctx, s.Setup); err != nil {
			return fmt.Errorf("setting the schema up: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, s.createTable()); err != nil {
		return fmt.Errorf("creating %s: %w", s.Table, err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, tx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}
