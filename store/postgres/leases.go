package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbNow is the database's clock in unix microseconds: leases are judged by it alone, so that
// two daemons whose clocks disagree never both believe they hold one.
const dbNow = `(extract(epoch FROM clock_timestamp()) * 1000000)::bigint`

// Lease is a named lease as the database holds it.
type Lease struct {
	Name   string
	Holder string
	// Epoch grows by one each time the lease changes holder.
	Epoch int64
	// Expires is when the lease ends without renewal, by the database's clock.
	Expires time.Time
}

// AcquireLease takes lease name for holder for ttl, or renews it when holder holds it already:
// held is true and epoch is the lease's epoch then. A lease another holder holds and that has
// not expired is left to it (held false). Expiry is judged by the database's clock, never the
// caller's: a caller that counts ttl from before it called ends its hold before the database
// would hand the lease to another. The statement runs outside the book's writes (it does not
// wait for the write lock), so a renewal is not held up by a long write.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (held bool, epoch int64, err error) {
	if err := checkLease(name, holder); err != nil {
		return false, 0, err
	}
	if ttl < time.Millisecond {
		return false, 0, fmt.Errorf("acquiring lease %q: ttl %s: want 1ms or more", name, ttl)
	}
	err = s.pool.QueryRow(ctx, `
		INSERT INTO leases AS l (name, holder, epoch, expires_at)
		VALUES ($1, $2, 1, `+dbNow+` + $3)
		ON CONFLICT (name) DO UPDATE SET
			epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END,
			holder = EXCLUDED.holder,
			expires_at = EXCLUDED.expires_at
		WHERE l.holder = EXCLUDED.holder OR l.expires_at <= `+dbNow+`
		RETURNING epoch`, name, holder, ttl.Microseconds()).Scan(&epoch)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, 0, nil
	case err != nil:
		return false, 0, fmt.Errorf("acquiring lease %q: %w", name, classify(err))
	}
	return true, epoch, nil
}

// ReleaseLease ends holder's hold on lease name now, on a clean stop, so that another holder
// takes it at once rather than after its expiry. A lease holder does not hold is left as it is.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE leases SET expires_at = `+dbNow+`
		WHERE name = $1 AND holder = $2 AND expires_at > `+dbNow, name, holder)
	if err != nil {
		return fmt.Errorf("releasing lease %q: %w", name, classify(err))
	}
	return nil
}

// Leases returns every lease the database holds, expired ones included, by name.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, holder, epoch, expires_at FROM leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Lease, error) {
		var l Lease
		var expires int64
		err := r.Scan(&l.Name, &l.Holder, &l.Epoch, &expires)
		l.Expires = time.UnixMicro(expires).UTC()
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", classify(err))
	}
	return out, nil
}

// checkLease refuses an empty lease name or holder.
func checkLease(name, holder string) error {
	switch {
	case name == "":
		return errors.New("lease: empty name")
	case holder == "":
		return fmt.Errorf("lease %q: empty holder", name)
	}
	return nil
}
