package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// crashStore is a store the kill -9 tests run the daemon on.
type crashStore struct {
	name string
	// flags returns serve's flags choosing the store, for a daemon whose data directory is
	// data; the store lives as long as the test.
	flags func(t *testing.T, data string) []string
	// count returns, once the daemon is gone, how many batches the store holds in part (the
	// rows of a batch a kill interrupted that no restart removed yet) and how many work orders,
	// visible or not.
	count func(t *testing.T, flags []string, data string) (pending, workOrders int)
}

// crashStores are SQLite in the data directory and a PostgreSQL database of the test's own.
var crashStores = []crashStore{
	{
		name:  "sqlite",
		flags: func(*testing.T, string) []string { return nil },
		count: func(t *testing.T, _ []string, data string) (pending, workOrders int) {
			t.Helper()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqliteFile)+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.QueryRowContext(context.Background(),
				`SELECT (SELECT count(*) FROM pending_batch), (SELECT count(*) FROM work_orders)`).Scan(&pending, &workOrders); err != nil {
				t.Fatal(err)
			}
			return pending, workOrders
		},
	},
	{
		name:  "postgres",
		flags: func(t *testing.T, _ string) []string { return []string{"--store", pgtest.URL(t)} },
		// A batch is one transaction on PostgreSQL: what a kill interrupts is never there in
		// part, so nothing is pending; every work order stored is visible.
		count: func(t *testing.T, flags []string, _ string) (pending, workOrders int) {
			t.Helper()
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, flags[1])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM work_orders`).Scan(&workOrders); err != nil {
				t.Fatal(err)
			}
			return 0, workOrders
		},
	},
}
