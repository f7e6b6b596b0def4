package hub

import (
	"errors"
	"net/http"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// ruleErrors are the network's refusals, each with its status and code; the message is the
// error's own words (they name the order, the site, the drop).
var ruleErrors = []struct {
	err    error
	status int
	code   string
}{
	{network.ErrUnknownOrder, http.StatusNotFound, api.CodeNotFound},
	{network.ErrUnknownSite, http.StatusNotFound, api.CodeNotFound},
	{network.ErrUnknownDrop, http.StatusNotFound, api.CodeNotFound},
	{network.ErrStarted, http.StatusConflict, codeStarted},
	{network.ErrSiteGone, http.StatusUnprocessableEntity, codeSiteGone},
	{network.ErrCannotMake, http.StatusUnprocessableEntity, codeCannotMake},
	{network.ErrUnknownRepair, http.StatusNotFound, api.CodeNotFound},
	{network.ErrRepairConflict, http.StatusConflict, codeRepairConflict},
	{network.ErrCannotRepair, http.StatusUnprocessableEntity, codeCannotRepair},
	{network.ErrRepairOpened, http.StatusConflict, codeRepairOpened},
}

// Codes of the hub's own refusals.
const (
	codeStarted    = "started"
	codeSiteGone   = "site_gone"
	codeCannotMake = "cannot_make"
	// the repairs'
	codeRepairConflict = "repair_conflict"
	codeCannotRepair   = "cannot_repair"
	codeRepairOpened   = "repair_opened"
)

// sharedCodes are the codes of the site API's door that the hub's API answers too: its own
// refusals (bad parameters, unknown ids, credentials, an idempotency key reused), and those
// api's error handler and Host check give (a refused batch, a body too large or of another
// type, a method not served, the store unavailable, a host not the hub's, a failure). With the
// code constants above they are every code openapi.yaml lists.
var sharedCodes = []string{api.CodeInvalid, api.CodeNotFound, api.CodeUnauthorized, api.CodeForbidden,
	api.CodeUnsupportedMedia, api.CodeTooLarge, api.CodeMethod, api.CodeInternal, api.CodeBatchRejected,
	api.CodeIdemMismatch, api.CodeUnavailable, api.CodeUnknownHost, api.CodeSlowBody}

// pageCodes are the codes only the dashboard's pages answer, on a page rather than in the
// API's JSON: a form posted from another origin.
var pageCodes = []string{api.CodeCSRF}

// apiError turns a network refusal into the API's error; any other error is left as it is for
// api's handler (a refused batch, the store unavailable, echo's own).
func apiError(err error) error {
	if errors.Is(err, book.ErrUnavailable) {
		return err
	}
	var field *network.RepairFieldError
	if errors.As(err, &field) {
		// the API answers a field's error as the book's: 422 naming the field
		return &book.FieldError{Field: field.Field, Reason: field.Reason}
	}
	for _, e := range ruleErrors {
		if errors.Is(err, e.err) {
			return api.NewError(e.status, e.code, "%s", err.Error())
		}
	}
	return err
}
