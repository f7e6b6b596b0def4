// Package reqlog carries a request's id and its logger in the request's context, so that every
// line a handler logs about a request names it: the API and the web pages take their logger
// from the context (Logger) rather than from their own field.
//
// It owns the shape of a request id (what a client's X-Request-Id may be, and how one is made
// when it may not), not where ids come from: the API's middleware calls Start. It imports only
// the standard library.
package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Header is the header a request id comes in (from a client or a proxy) and goes back in.
const Header = "X-Request-Id"

// Key is the key of the request id on every log line of a request.
const Key = "request_id"

// maxLen is the longest request id taken from a client: a UUID is 36 characters, a
// W3C trace id 32; room is left for a proxy's prefix.
const maxLen = 128

// Sane reports whether id may be taken as a request's id: 1 to 128 characters among letters,
// digits and - _ . : (enough for UUIDs, hex and proxies' ids), nothing that a log line or a
// response header would have to escape.
func Sane(id string) bool {
	if id == "" || len(id) > maxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// NewID returns a new request id: 16 random bytes in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics rather)
	return hex.EncodeToString(b[:])
}

type ctxKey struct{}

type carried struct {
	id  string
	log *slog.Logger
}

// Start returns the request's id, the client's when it is Sane, else a new one, and ctx
// carrying it and base with the id on every line.
func Start(ctx context.Context, client string, base *slog.Logger) (string, context.Context) {
	id := client
	if !Sane(id) {
		id = NewID()
	}
	return id, context.WithValue(ctx, ctxKey{}, carried{id: id, log: base.With(Key, id)})
}

// Logger returns the logger ctx carries (Start), or fallback outside a request.
func Logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if c, ok := ctx.Value(ctxKey{}).(carried); ok {
		return c.log
	}
	return fallback
}

// ID returns the request id ctx carries, "" outside a request.
func ID(ctx context.Context) string {
	c, _ := ctx.Value(ctxKey{}).(carried)
	return c.id
}
