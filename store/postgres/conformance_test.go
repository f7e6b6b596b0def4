package postgres

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cellforge/cellforge/store/postgres/pgtest"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestConformance runs the suite every store of the book passes (store/storetest) on
// PostgreSQL, each behaviour on a fresh database.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{
		Open: func(t testing.TB) (storetest.Store, string) { return openLogging(t, nil) },
		OpenLogging: func(t testing.TB, logger *slog.Logger) (storetest.Store, string) {
			return openLogging(t, logger)
		},
		Reopen: func(t testing.TB, url string) (storetest.Store, error) {
			s, err := Open(context.Background(), url, nil)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		ErrConflict: ErrConflict,
		SetClock:    func(s storetest.Store, now func() time.Time) { s.(*Store).now = now },
	})
}

// openLogging opens a store on a fresh database, logging to logger; it is closed when t ends
// (closing it before is harmless).
func openLogging(t testing.TB, logger *slog.Logger) (*Store, string) {
	url := pgtest.URL(t)
	s, err := Open(context.Background(), url, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}
