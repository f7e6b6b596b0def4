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
