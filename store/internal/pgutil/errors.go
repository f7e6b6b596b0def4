package pgutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cellforge/cellforge/book"
)

// Classify wraps err with book.ErrUnavailable when it says the database cannot be reached,
// went away or is shutting down; any other error comes back as it is.
func Classify(err error) error {
	if err == nil || errors.Is(err, book.ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", book.ErrUnavailable, err)
}

// unavailable tells whether err says the database cannot be reached, went away or is
// shutting down, rather than refusing what was asked.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin or crash shutdown, cannot connect now
			return true
		case pe.Code == "53300": // too many connections
			return true
		}
		return false
	}
	return LostConnection(err)
}

// LostConnection tells whether err is the connection failing rather than an answer of the
// server.
func LostConnection(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02"
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), pgconn.Timeout(err):
		return true
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection reset")
}

// SQLSTATE codes of the refusals the stores tell apart.
const (
	UniqueViolation     = "23505" // a row whose key is already stored
	ForeignKeyViolation = "23503" // a row that refers to one not stored
)

// Code is the SQLSTATE code of the server's refusal err holds, "" when err holds none.
func Code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
