package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func TestExpOps(t *testing.T) {
	const n = 80000
	ctx := context.Background()
	row := func(i int) []any {
		return []any{int64(i + 1), int64(1), i, "cut", "laser", 3, int64(30e9), int64(300e9), "", "", "pending", "", "", 0, nil, nil, nil, int64(0), int64(i), 1}
	}
	run := func(name string, fn func(tx book.Tx, w *writeTx) error) {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		mustWrite(t, s, func(tx book.Tx) error {
			o, wo, _, _ := fixture("d", 0)
			tx.InsertOrder(o)
			return tx.InsertWorkOrder(&wo, nil)
		})
		start := time.Now()
		mustWrite(t, s, func(tx book.Tx) error { return fn(tx, tx.(*writeTx)) })
		t.Logf("%s: %v/op", name, time.Since(start)/n)
	}
	run("single", func(tx book.Tx, w *writeTx) error {
		for i := range n {
			if _, err := w.exec(opsInsertSQL(1), row(i)...); err != nil {
				return err
			}
		}
		return nil
	})
	run("four", func(tx book.Tx, w *writeTx) error {
		for i := 0; i < n; i += 4 {
			var args []any
			for j := range 4 {
				args = append(args, row(i+j)...)
			}
			if _, err := w.exec(opsInsertSQL(4), args...); err != nil {
				return err
			}
		}
		return nil
	})
	run("sixtyfour", func(tx book.Tx, w *writeTx) error {
		for i := 0; i < n; i += 64 {
			var args []any
			for j := range 64 {
				args = append(args, row(i+j)...)
			}
			if _, err := w.exec(opsInsertSQL(64), args...); err != nil {
				return err
			}
		}
		return nil
	})
	var sel []string
	for i := range 20 {
		sel = append(sel, "value->>"+string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	_ = sql.ErrNoRows
	jq := `INSERT INTO operations (` + opInsertCols + `) SELECT ` + strings.ReplaceAll(strings.Join(sel, ", "), "->>0", "->>") + ` FROM json_each(?)`
	run("json1000", func(tx book.Tx, w *writeTx) error {
		for i := 0; i < n; i += 1000 {
			var rows [][]any
			for j := range 1000 {
				rows = append(rows, row(i+j))
			}
			b, _ := json.Marshal(rows)
			if _, err := w.exec(jq, string(b)); err != nil {
				return err
			}
		}
		return nil
	})
}
