package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/store/storetest"
)

// TestConformance runs the suite every store of the book passes (store/storetest) on SQLite.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{
		Open: func(t testing.TB) (storetest.Store, string) { return openTest(t) },
		Reopen: func(t testing.TB, path string) (storetest.Store, error) {
			s, err := Open(context.Background(), path, nil)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		OpenLogging: func(t testing.TB, logger *slog.Logger) (storetest.Store, string) {
			path := filepath.Join(t.TempDir(), "cellforge.db")
			s, err := Open(context.Background(), path, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s, path
		},
		ErrConflict: ErrConflict,
		SetClock:    func(s storetest.Store, now func() time.Time) { s.(*Store).now = now },
	})
}
