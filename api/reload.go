package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/configs"
)

// Reloader reads the factory file again and applies it while the daemon runs. It returns what
// changed; a file that does not parse or validate is refused with configs.Errors, a change that
// needs a restart with configs.RestartErrors, and then nothing of it applies.
type Reloader interface {
	Reload(ctx context.Context, by string) ([]configs.Change, error)
}

// ReloadChange is one change a reload applied, as the API answers it.
type ReloadChange struct {
	Section string `json:"section"`
	ID      string `json:"id,omitempty"`
	What    string `json:"what"`
}

// ReloadResult is the answer to POST /api/v1/admin/reload.
type ReloadResult struct {
	// Changes are what the reload applied, by section; empty when the file had not changed.
	Changes []ReloadChange `json:"changes"`
}

// ReloadResultOf returns the answer of a reload that applied changes.
func ReloadResultOf(changes []configs.Change) ReloadResult {
	out := ReloadResult{Changes: make([]ReloadChange, len(changes))}
	for i, c := range changes {
		out.Changes[i] = ReloadChange{Section: c.Section, ID: c.ID, What: c.What}
	}
	return out
}

// ReloadError returns the status, stable code, message and every problem of a refused reload:
// a file that does not parse or validate (422 config_invalid, the problems by file:line), a
// change that needs a restart (409 restart_needed), or the file unreadable (422 too). The web
// pages show the same words.
func ReloadError(err error) (status int, code, message string, problems []string) {
	var (
		invalid configs.Errors
		restart configs.RestartErrors
	)
	switch {
	case errors.As(err, &invalid):
		for _, e := range invalid {
			problems = append(problems, e.Error())
		}
		return http.StatusUnprocessableEntity, codeConfigInvalid,
			"the factory file was refused, the running config is unchanged", problems
	case errors.As(err, &restart):
		for _, e := range restart {
			problems = append(problems, e.Error())
		}
		return http.StatusConflict, codeRestartNeeded,
			"the factory file changes what cannot change while the daemon runs: nothing of it was applied; restart the daemon to apply it", problems
	}
	return http.StatusUnprocessableEntity, codeConfigInvalid, "the factory file was refused, the running config is unchanged: " + err.Error(), []string{err.Error()}
}

// reload reads the factory file again and applies it: POST /api/v1/admin/reload.
func (s *Server) reload(c echo.Context) error {
	if s.reloader == nil {
		return newError(http.StatusNotFound, codeNotFound, "this daemon does not reload its factory file")
	}
	ctx := c.Request().Context()
	changes, err := s.reloader.Reload(ctx, principal(c).ID)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		status, code, msg, problems := ReloadError(err)
		return &apiError{status: status, code: code, message: msg, errors: problems}
	}
	return c.JSON(http.StatusOK, ReloadResultOf(changes))
}
