package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The API's failed sign-ins, by person and client address. Like sessions they are not part of
// the order book: methods of the Store outside book.Store, with plain types. The API holds the
// rules (how many failures lock whom out, for how long); the store keeps the counts.

// SignInFailures calls fn with every client address person failed or succeeded to sign in from:
// the failures since the last success there, the time of the last failure (zero when there is
// none) and of the last success (zero when there is none).
func (s *Store) SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error {
	type failures struct {
		client         string
		n              int
		last, signedIn int64
	}
	var all []failures
	// in a read transaction of ours, which a cancelled request cannot leave open (see conn.go)
	err := s.Read(ctx, func(tx book.ReadTx) error {
		t := tx.(*readTx)
		rows, err := t.query(`SELECT client, failures, last_failure, signed_in_at
			FROM signin_failures WHERE person = ?`, person)
		if err != nil {
			return err
		}
		all, err = collect(t.ctx, rows, func(sc scanner) (failures, error) {
			var f failures
			return f, sc.Scan(&f.client, &f.n, &f.last, &f.signedIn)
		})
		return err
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
func (s *Store) AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error {
	// in a write transaction of ours, which a cancelled request cannot leave open (see conn.go)
	err := s.write(ctx, nil, func(tx book.Tx) error {
		t := tx.(*writeTx)
		if _, err := t.exec(`DELETE FROM signin_failures
			WHERE person = ? AND client <> ? AND signed_in_at = 0 AND last_failure <= ?`,
			person, client, micros(forget)); err != nil {
			return fmt.Errorf("forgetting old failed sign-ins: %w", err)
		}
		_, err := t.exec(`INSERT INTO signin_failures (person, client, failures, last_failure)
			VALUES (?, ?, 1, ?)
			ON CONFLICT (person, client) DO UPDATE SET
				failures = CASE WHEN last_failure > ? THEN failures + 1 ELSE 1 END,
				last_failure = excluded.last_failure`,
			person, client, micros(at), micros(forget))
		return err
	})
	if err != nil {
		return fmt.Errorf("counting a failed sign-in of %q: %w", person, err)
	}
	return nil
}

// SignedIn records a successful sign-in of person from client at a time: the address's failures
// are cleared.
func (s *Store) SignedIn(ctx context.Context, person, client string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recording a sign-in of %q: %w", person, err)
	}
	// quiet: see conn.go
	if _, err := s.writer.ExecContext(quiet(ctx), `INSERT INTO signin_failures (person, client, failures, last_failure, signed_in_at)
		VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (person, client) DO UPDATE SET failures = 0, last_failure = 0,
			signed_in_at = excluded.signed_in_at`,
		person, client, micros(at)); err != nil {
		return fmt.Errorf("recording a sign-in of %q: %w", person, err)
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
