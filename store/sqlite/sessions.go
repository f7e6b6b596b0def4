package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The API's sign-in sessions. They are not part of the order book, so they are methods of the
// Store outside book.Store, with plain types: the api package needs no types of ours.

// PutSession stores a session by the hash of its token, replacing one of the same hash.
func (s *Store) PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storing session of %q: %w", person, err)
	}
	// quiet: see conn.go
	if _, err := s.writer.ExecContext(quiet(ctx), `INSERT INTO sessions (token_hash, person, role, expires_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET person = excluded.person, role = excluded.role,
			expires_at = excluded.expires_at`,
		tokenHash, person, role, micros(expires)); err != nil {
		return fmt.Errorf("storing session of %q: %w", person, err)
	}
	return nil
}

// Session returns the person, role and expiry of the session with the token hash, or an error
// wrapping book.ErrNotFound when there is none or it has expired.
func (s *Store) Session(ctx context.Context, tokenHash string) (person, role string, expires time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", time.Time{}, fmt.Errorf("reading session: %w", err)
	}
	var exp int64
	// quiet: a cancelled read here could leave its statement open on a pooled connection,
	// which would then serve an old snapshot (see conn.go)
	err = s.reader.QueryRowContext(quiet(ctx), `SELECT person, role, expires_at FROM sessions
		WHERE token_hash = ? AND expires_at > ?`, tokenHash, micros(s.now())).Scan(&person, &role, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", time.Time{}, fmt.Errorf("reading session: %w", book.ErrNotFound)
	}
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("reading session: %w", err)
	}
	return person, role, fromMicros(exp), nil
}

// DeleteSession deletes the session with the token hash; there need not be one.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	if _, err := s.writer.ExecContext(quiet(ctx), `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions that expired at or before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deleting sessions expired by %s: %w", now.Format(time.RFC3339), err)
	}
	if _, err := s.writer.ExecContext(quiet(ctx), `DELETE FROM sessions WHERE expires_at <= ?`, micros(now)); err != nil {
		return fmt.Errorf("deleting sessions expired by %s: %w", now.Format(time.RFC3339), err)
	}
	return nil
}
