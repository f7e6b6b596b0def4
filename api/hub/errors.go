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
}

// Codes of the hub's own refusals.
const (
	codeStarted    = "started"
	codeSiteGone   = "site_gone"
	codeCannotMake = "cannot_make"
)

// apiError turns a network refusal into the API's error; any other error is left as it is for
// api's handler (a refused batch, the store unavailable, echo's own).
func apiError(err error) error {
	if errors.Is(err, book.ErrUnavailable) {
		return err
	}
	for _, e := range ruleErrors {
		if errors.Is(err, e.err) {
			return api.NewError(e.status, e.code, "%s", err.Error())
		}
	}
	return err
}
