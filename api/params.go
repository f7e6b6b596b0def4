package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// PathParams is echo middleware that hands the handlers their path parameters decoded, however
// the client escaped them. Echo routes on the path as the client wrote it when that differs
// from how Go would write it (an id holding "/" must come as %2F; a browser leaves "'" as it
// is), and then hands the parameters over still escaped: SL%2FASH-1 for the order SL/ASH-1.
// With it, every id is found under its percent-encoding, whichever characters it holds.
func PathParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().URL.RawPath == "" {
			return next(c) // echo routed on the decoded path: the parameters are decoded
		}
		values := c.ParamValues()
		decoded := make([]string, len(values))
		for i, v := range values {
			d, err := url.PathUnescape(v)
			if err != nil {
				// The server sets RawPath only when it is a valid escaping of the whole path,
				// so this takes a request made by hand; refuse rather than guess, as the
				// client's error both the API and the pages answer (400).
				return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("path parameter %s %q: %v", c.ParamNames()[i], v, err))
			}
			decoded[i] = d
		}
		c.SetParamValues(decoded...)
		return next(c)
	}
}
