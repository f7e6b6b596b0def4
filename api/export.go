package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/reqlog"
)

// The pieces of the API's door that another HTTP API of CellForge (the hub's, api/hub) shares
// with it, so that both answer errors, hosts and tokens alike.

// Error codes another API answers with, as this one does.
const (
	CodeInvalid          = codeInvalid
	CodeNotFound         = codeNotFound
	CodeUnauthorized     = codeUnauthorized
	CodeForbidden        = codeForbidden
	CodeCSRF             = codeCSRF
	CodeUnsupportedMedia = codeUnsupportedMedia
	CodeIdemMismatch     = codeIdemMismatch
	CodeIllegal          = codeIllegal
	CodeUnavailable      = codeUnavailable
	CodeBatchRejected    = codeBatchRejected
	CodeTooLarge         = codeTooLarge
	CodeMethod           = codeMethod
	CodeInternal         = codeInternal
	CodeUnknownHost      = codeUnknownHost
	CodeSlowBody         = codeSlowBody
)

// NewError returns an error that the API's error handler answers with status and code, the
// message formatted as fmt.Sprintf does.
func NewError(status int, code, format string, args ...any) error {
	return newError(status, code, format, args...)
}

// BatchTooLarge is the refusal (413, payload_too_large) of a batch larger than limit bytes,
// saying the limit and why there is one.
func BatchTooLarge(limit int64) error {
	return newError(http.StatusRequestEntityTooLarge, codeTooLarge,
		"the batch is larger than %d MiB (%d bytes), the most one batch may be: the daemon checks a whole batch "+
			"before it stores any of it and holds it meanwhile. Split it into smaller batches", limit>>20, limit)
}

// ErrorHandler returns echo's HTTPErrorHandler answering every error in the API's JSON shape
// (a refused batch with its row errors, the store unavailable with a Retry-After), logging the
// server's failures to the request's logger (see RequestID), or to log.
func ErrorHandler(base *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		log := reqlog.Logger(c.Request().Context(), base)
		status, body := classify(err)
		switch {
		case body.Error.Code == codeUnavailable:
			c.Response().Header().Set("Retry-After", strconv.Itoa(StoreRetryAfter))
			log.Warn("request refused: the store is unavailable", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		case status >= 500:
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		if err := c.JSON(status, body); err != nil {
			log.Warn("writing error response", "err", err)
		}
	}
}

// NewHostGuard wraps next to answer only requests addressed to a loopback name, to the address
// they came in on or to one of hosts (421 otherwise), against DNS rebinding.
func NewHostGuard(hosts []string, next http.Handler) http.Handler {
	return newHostGuard(hosts, next, func() {})
}

// PaceBodies wraps next to hold every request body to rate bytes a second on average after
// grace (DefaultMinBodyRate and DefaultBodyGrace when zero or less), as the API does: a body
// that comes more slowly is cut off (its read fails wrapping ErrSlowBody, which ErrorHandler
// answers 408 request_timeout) and its connection closed, so that a client trickling a batch
// cannot hold a handler and its memory for as long as it likes.
func PaceBodies(next http.Handler, grace time.Duration, rate int64) http.Handler {
	if grace <= 0 {
		grace = DefaultBodyGrace
	}
	if rate <= 0 {
		rate = DefaultMinBodyRate
	}
	return &bodyPace{grace: grace, rate: rate, refused: func() {}, next: next}
}

// Bearer returns the token of a request's "Authorization: Bearer" header; "" when it has none.
func Bearer(r *http.Request) string { return bearer(r) }

// SHA256Hex returns the hex SHA-256 of a token, as a config file holds a token's hash.
func SHA256Hex(token string) string { return sha256Hex(token) }

// CSVCell guards a text cell of a CSV answer against a spreadsheet's formulas, as the API's
// own CSV does: one starting with =, +, -, @, a tab or a carriage return gets a leading quote.
func CSVCell(s string) string { return cell(s) }

// IdempotencyKey returns a request's Idempotency-Key header, "" when it has none; a key longer
// than the API takes is refused (400) as the API refuses it.
func IdempotencyKey(r *http.Request) (string, error) { return idempotencyKey(r) }

// ErrorStatus returns the status and message the API would answer err with, for pages that
// show an error in their own shape.
func ErrorStatus(err error) (status int, message string) {
	status, body := classify(err)
	return status, body.Error.Message
}
