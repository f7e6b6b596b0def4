package api

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/reqlog"
)

// requestID gives every request of the API its id: see RequestID.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return RequestID(s.log)(next)
}

// RequestID returns the middleware that gives every request its id (reqlog.Start): the
// client's X-Request-Id when it is sane, a new one otherwise, sent back in the response's
// X-Request-Id. The request's context carries the id and log with it, which handlers log with
// (reqlog.Logger), so that every line of a request names it. Each request ends with a debug
// line: its method, path, status and duration. The site's API and the hub's use it.
func RequestID(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			id, ctx := reqlog.Start(r.Context(), r.Header.Get(reqlog.Header), log)
			c.SetRequest(r.WithContext(ctx))
			c.Response().Header().Set(reqlog.Header, id)
			began := time.Now()
			if err := next(c); err != nil {
				// Answered here rather than after this middleware returns, so that the line
				// below has the status the client gets.
				c.Error(err)
			}
			reqlog.Logger(ctx, log).Debug("request", "method", r.Method, "path", r.URL.Path,
				"status", c.Response().Status, "took", time.Since(began))
			return nil
		}
	}
}
