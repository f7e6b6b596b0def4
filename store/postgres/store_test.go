package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

func TestOpenMigratesOnceAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	st, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a second daemon on the same database finds it migrated
	st2, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	st2.Close()
	if err := st.Write(ctx, func(book.Tx) error { return nil }); err != nil {
		t.Fatalf("empty write: %v", err)
	}
	if err := st.Read(ctx, func(book.ReadTx) error { return nil }); err != nil {
		t.Fatalf("empty read: %v", err)
	}
	ms, _ := loadMigrations()
	if _, err := st.pool.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, 0)`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(ctx, url, nil); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("opening a newer schema: %v, want ErrNewerSchema", err)
	}
}
