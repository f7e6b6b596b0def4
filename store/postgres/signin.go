package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The API's failed sign-ins, by person and client address. Like sessions they are not part of
// the order book: methods of the Store outside book.Store, with plain types, on the pool
// outside the write lock. The API holds the rules (how many failures lock whom out, for how
// long); the store keeps the counts.

// SignInFailures calls fn with every client address person failed or succeeded to sign in from:
// the failures since the last success there, the time of the last failure (zero when there is
// none) and of the last success (zero when there is none).
func (s *Store) SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error {
	type failures struct {
		client         string
		n              int
		last, signedIn int64
	}
	rows, err := s.pool.Query(ctx, `SELECT client, failures, last_failure, signed_in_at
		FROM signin_failures WHERE person = $1`, person)
	if err != nil {
		return fmt.Errorf("reading failed sign-ins of %q: %w", person, classify(err))
	}
	// read to the end before calling fn, which may take its time, holding no connection
	all, err := collect(rows, func(r pgx.Rows) (failures, error) {
		var f failures
		return f, r.Scan(&f.client, &f.n, &f.last, &f.signedIn)
	})
	if err != nil {
		return fmt.Errorf("reading failed sign-ins of %q: %w", person, err)
	}
	for _, f := range all {
		fn(f.client, f.n, optMicros(f.last), optMicros(f.signedIn))
	}
	return nil
}

// AddSignInFailure counts a failed sign-in of person from client at a time. Failures whose last
// one was at or before forget are forgotten first: the address's count starts again from one,
// and the person's other addresses with only forgotten failures (and no success) are deleted.
// Only this prunes the table, one person at a time: the old failures of a person nobody tries
// again stay until the next failure of that person (the API reads past them by their time).
// Both statements run in one transaction; the count is an upsert, right under concurrent
// failures of the same address.
func (s *Store) AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM signin_failures
			WHERE person = $1 AND client <> $2 AND signed_in_at = 0 AND last_failure <= $3`,
			person, client, micros(forget)); err != nil {
			return fmt.Errorf("forgetting old failed sign-ins: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO signin_failures (person, client, failures, last_failure)
			VALUES ($1, $2, 1, $3)
			ON CONFLICT (person, client) DO UPDATE SET
				failures = CASE WHEN signin_failures.last_failure > $4 THEN signin_failures.failures + 1 ELSE 1 END,
				last_failure = excluded.last_failure`,
			person, client, micros(at), micros(forget))
		return err
	})
	if err != nil {
		return fmt.Errorf("counting a failed sign-in of %q: %w", person, classify(err))
	}
	return nil
}

// SignedIn records a successful sign-in of person from client at a time: the address's failures
// are cleared.
func (s *Store) SignedIn(ctx context.Context, person, client string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO signin_failures (person, client, failures, last_failure, signed_in_at)
		VALUES ($1, $2, 0, 0, $3)
		ON CONFLICT (person, client) DO UPDATE SET failures = 0, last_failure = 0,
			signed_in_at = excluded.signed_in_at`,
		person, client, micros(at)); err != nil {
		return fmt.Errorf("recording a sign-in of %q: %w", person, classify(err))
	}
	return nil
}

// optMicros is a stored time that may be absent (0).
func optMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}
