package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// The API's sign-in sessions. They are not part of the order book, so they are methods of the
// Store outside book.Store, with plain types: the api package needs no types of ours. Each
// is one statement on the pool, outside the write lock: a session does not wait for the floor.

// sessionEnds is the SQL of when a session ends: at its expiry, or, with an idle time, once it
// has been idle that long, whichever comes first.
const sessionEnds = `CASE WHEN idle_us > 0 AND seen_at + idle_us < expires_at THEN seen_at + idle_us ELSE expires_at END`

// PutSession stores a session by the hash of its token, replacing one of the same hash. It
// expires at expires; with a positive idle it also ends once idle has passed since its person
// was last seen active: seen (its sign-in), then each TouchSession.
func (s *Store) PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, person, role, expires_at, idle_us, seen_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (token_hash) DO UPDATE SET person = excluded.person, role = excluded.role,
			expires_at = excluded.expires_at, idle_us = excluded.idle_us, seen_at = excluded.seen_at`,
		tokenHash, person, role, micros(expires), max(idle, 0).Microseconds(), micros(seen)); err != nil {
		return fmt.Errorf("storing session of %q: %w", person, classify(err))
	}
	return nil
}

// Session returns the person, role and end of the session with the token hash (its expiry, or
// the end of its idle time if that comes first), or an error wrapping book.ErrNotFound when
// there is none or it has ended.
func (s *Store) Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error) {
	var end int64
	err = s.pool.QueryRow(ctx, `SELECT person, role, `+sessionEnds+` FROM sessions
		WHERE token_hash = $1 AND `+sessionEnds+` > $2`, tokenHash, micros(s.now())).Scan(&person, &role, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", time.Time{}, fmt.Errorf("reading session: %w", book.ErrNotFound)
	}
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("reading session: %w", classify(err))
	}
	return person, role, fromMicros(end), nil
}

// TouchSession records that the person of a session with an idle time was active at seen, and
// returns when the session now ends (see Session). A session without an idle time is left as
// it is; one that does not exist is an error wrapping book.ErrNotFound.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error) {
	var end int64
	err = s.pool.QueryRow(ctx, `UPDATE sessions SET seen_at = greatest(seen_at, $1)
		WHERE token_hash = $2 RETURNING `+sessionEnds, micros(seen), tokenHash).Scan(&end)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("touching session: %w", book.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("touching session: %w", classify(err))
	}
	return fromMicros(end), nil
}

// DeleteSession deletes the session with the token hash; there need not be one.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("deleting session: %w", classify(err))
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions that ended at or before now: expired, or idle
// for their idle time.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE `+sessionEnds+` <= $1`, micros(now)); err != nil {
		return fmt.Errorf("deleting sessions expired by %s: %w", now.Format(time.RFC3339), classify(err))
	}
	return nil
}
