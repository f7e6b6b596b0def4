package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells"
)

// Error codes are stable: clients switch on them, people read the message.
const (
	codeInvalid          = "invalid_request"
	codeNotFound         = "not_found"
	codeIllegal          = "illegal_transition"
	codeCellBusy         = "cell_busy"
	codeStale            = "stale_version"
	codeBatchRejected    = "batch_rejected"
	codeIdemMismatch     = "idempotency_key_reused"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeRateLimited      = "rate_limited"
	codeUnsupportedMedia = "unsupported_media_type"
	codeTooLarge         = "payload_too_large"
	codeMethod           = "method_not_allowed"
	codeInternal         = "internal"
	codeNoMachine        = "no_machine"
	codeDevice           = "device_error"
	codeNoPlan           = "no_plan"
	codePlanning         = "planning"
	codeCSRF             = "csrf"
	codeNoFloor          = "no_floor"
	codeNoPrinter        = "no_printer"
	codeNotFinished      = "unit_not_finished"
	codeIdemInProgress   = "idempotency_key_in_progress"
	codeSlowBody         = "request_timeout"
	codeUnknownHost      = "misdirected_request"
	codeNotShort         = "not_short"
	codeBusy             = "busy"
	codeNotImage         = "not_an_image"
	codeSerialTaken      = "serial_taken"
	codeDecided          = "decided"
	codeCheckRequired    = "check_required"
	codeAwaitingDecision = "awaiting_decision"
	codeExpired          = "estimate_expired"
	codeWindowClosed     = "reason_window_closed"
	codeNoWorkStop       = "no_work_stop"
	codeUnavailable      = "store_unavailable"
	codeElsewhere        = "driven_elsewhere"
	codeStarted          = "started"
	codeConfigInvalid    = "config_invalid"
	codeRestartNeeded    = "restart_needed"
)

// StoreRetryAfter is the Retry-After, in seconds, of a request answered 503 because the order
// book's database cannot be reached: long enough for a restarted server to take connections
// again, short enough that a kept action is not held for long once it does.
const StoreRetryAfter = 3

// errorBody is the JSON shape of every error the API returns.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Rows lists the first problems of a refused batch by line; Problems and BadRows count
	// them all, and Truncated says whether Rows leaves some out.
	Rows      []intake.RowError `json:"rows,omitempty"`
	Problems  int               `json:"problems,omitempty"`
	BadRows   int               `json:"bad_rows,omitempty"`
	Truncated *bool             `json:"truncated,omitempty"`
	// Valid lists the values a field may take, when the request gave another.
	Valid []string `json:"valid,omitempty"`
	// Field names the field of the request that is wrong (serial, checklist.<id>,
	// services[1], ...), when one is.
	Field string `json:"field,omitempty"`
	// Errors lists every problem of a refused config reload, one a line (file:line: ...).
	Errors []string `json:"errors,omitempty"`
}

// apiError is an error with its HTTP status and code, made by handlers.
type apiError struct {
	status  int
	code    string
	message string
	valid   []string
	errors  []string // see errorDetail.Errors
}

func (e *apiError) Error() string { return e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// stateErrors are the book's errors that a request meets in the state of the book (a repair or
// a non-conformance already decided, a stop's reason window closed, a check awaited), each
// answered with its status and code and the error's own words.
var stateErrors = []struct {
	err    error
	status int
	code   string
}{
	{book.ErrRepairState, http.StatusConflict, codeIllegal},
	{book.ErrDecided, http.StatusConflict, codeDecided},
	{book.ErrReasonWindowClosed, http.StatusConflict, codeWindowClosed},
	{book.ErrNoWorkStop, http.StatusConflict, codeNoWorkStop},
	{book.ErrCheckRequired, http.StatusConflict, codeCheckRequired},
	{book.ErrAwaitingDecision, http.StatusConflict, codeAwaitingDecision},
	{book.ErrNotDecidable, http.StatusConflict, codeIllegal},
	{book.ErrForbidden, http.StatusForbidden, codeForbidden},
	{book.ErrEstimateExpired, http.StatusGone, codeExpired},
	{book.ErrStarted, http.StatusConflict, codeStarted},
}

// asStateError reports whether err is one of stateErrors, and sets *target to its status and
// code when it is.
func asStateError(err error, target *apiError) bool {
	for _, e := range stateErrors {
		if errors.Is(err, e.err) {
			*target = apiError{status: e.status, code: e.code}
			return true
		}
	}
	return false
}

// classify maps an error to its status and body.
func classify(err error) (int, errorBody) {
	var (
		ae    *apiError
		he    *echo.HTTPError
		te    *book.TransitionError
		busy  *book.CellBusyError
		stale *book.StaleError
		batch *book.BatchError
		rows  intake.RowErrors
		field *book.FieldError
		state apiError
	)
	body := func(code, msg string) errorBody { return errorBody{Error: errorDetail{Code: code, Message: msg}} }
	switch {
	case errors.Is(err, book.ErrUnavailable):
		// First: whatever else the error says, nothing of the request was stored, and the same
		// request sent again later will be.
		return http.StatusServiceUnavailable, body(codeUnavailable, fmt.Sprintf(
			"%v: nothing was stored; send the same request again (with its Idempotency-Key) in %d seconds",
			book.ErrUnavailable, StoreRetryAfter))
	case errors.As(err, &ae):
		b := body(ae.code, ae.message)
		b.Error.Valid, b.Error.Errors = ae.valid, ae.errors
		return ae.status, b
	case errors.Is(err, cells.ErrElsewhere):
		return http.StatusConflict, body(codeElsewhere, err.Error())
	case errors.Is(err, ErrSlowBody):
		return http.StatusRequestTimeout, body(codeSlowBody, err.Error())
	case errors.As(err, &batch):
		b := body(codeBatchRejected, batch.Error())
		truncated := batch.Truncated()
		b.Error.Rows, b.Error.Problems, b.Error.BadRows, b.Error.Truncated = batch.Errors, batch.Problems, batch.BadRows, &truncated
		return http.StatusUnprocessableEntity, b
	case errors.As(err, &rows):
		// A header problem: the batch could not even be read.
		b := body(codeBatchRejected, "batch refused, nothing was stored: "+rows.Error())
		b.Error.Rows = rows
		return http.StatusUnprocessableEntity, b
	case errors.As(err, &te):
		return http.StatusConflict, body(codeIllegal, te.Error())
	case errors.As(err, &busy):
		return http.StatusConflict, body(codeCellBusy, busy.Error())
	case errors.As(err, &stale):
		return http.StatusConflict, body(codeStale, stale.Error())
	case errors.Is(err, book.ErrLotsNotRecordable):
		return http.StatusConflict, body(codeIllegal, err.Error())
	case errors.Is(err, book.ErrNotShort):
		return http.StatusConflict, body(codeNotShort, err.Error())
	case errors.Is(err, book.ErrSerialTaken):
		// The studio's serial pattern cannot tell two units apart: nothing the client can
		// change, but what to change is said.
		return http.StatusConflict, body(codeSerialTaken, err.Error()+"; the units were not counted: make provenance.serial hold {seq}")
	case errors.Is(err, book.ErrIdempotencyMismatch):
		return http.StatusUnprocessableEntity, body(codeIdemMismatch,
			"the Idempotency-Key was already used for a different request: use a new key for a new request")
	case errors.Is(err, book.ErrIdempotencyInProgress):
		return http.StatusConflict, body(codeIdemInProgress,
			"the first request with this Idempotency-Key has not answered: look at its effect before retrying with a new key")
	case errors.As(err, &field):
		b := body(codeInvalid, err.Error())
		b.Error.Field = field.Field
		return http.StatusUnprocessableEntity, b
	case asStateError(err, &state):
		return state.status, body(state.code, err.Error())
	case errors.Is(err, book.ErrNoAftercare), errors.Is(err, book.ErrNotFound):
		return http.StatusNotFound, body(codeNotFound, err.Error())
	case errors.Is(err, intake.ErrUnsupportedMediaType):
		return http.StatusUnsupportedMediaType, body(codeUnsupportedMedia, err.Error())
	case errors.Is(err, book.ErrInvalid):
		return http.StatusBadRequest, body(codeInvalid, err.Error())
	case errors.Is(err, book.ErrUnknownDrop), errors.Is(err, book.ErrUnknownCell),
		errors.Is(err, book.ErrUnknownWorkOrder), errors.Is(err, book.ErrUnknownOperation),
		errors.Is(err, book.ErrUnknownOrder), errors.Is(err, book.ErrUnknownLot), errors.Is(err, book.ErrUnknownUnit):
		return http.StatusNotFound, body(codeNotFound, err.Error())
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, body(codeNotFound, "no such endpoint: see /api/v1/openapi.yaml")
		case http.StatusMethodNotAllowed:
			return he.Code, body(codeMethod, "method not allowed on this endpoint")
		case http.StatusRequestEntityTooLarge:
			return he.Code, body(codeTooLarge, "request body is too large")
		case http.StatusUnsupportedMediaType:
			return he.Code, body(codeUnsupportedMedia, msg)
		}
		if he.Code < 500 {
			return he.Code, body(codeInvalid, msg)
		}
	}
	return http.StatusInternalServerError, body(codeInternal, "internal error; the daemon log has the details")
}

// handleError writes err as JSON; it is the echo HTTPErrorHandler.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := classify(err)
	log := reqlog.Logger(c.Request().Context(), s.log)
	switch {
	case body.Error.Code == codeUnavailable:
		// Not the request's failure: the client is told when to send it again.
		c.Response().Header().Set("Retry-After", strconv.Itoa(StoreRetryAfter))
		log.Warn("request refused: the store is unavailable", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	case status >= 500 && body.Error.Code != codePlanning:
		// The first plan being made is no failure of the request: the client is told to retry.
		log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if err := c.JSON(status, body); err != nil {
		log.Warn("writing error response", "err", err)
	}
}
