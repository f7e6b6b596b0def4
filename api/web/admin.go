package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
)

// adminView is the admin's page: the factory file and what its last reload did.
type adminView struct {
	File      string
	CanReload bool
	// Done says a reload applied; Changes are what it changed, one a line.
	Done    bool
	Changes []string
	// Problem says why a reload was refused, Errors each problem (file:line: ...).
	Problem string
	Errors  []string
}

// adminPage serves /admin, the admin's page.
func (p *Pages) adminPage(c echo.Context) error {
	return p.render(c, http.StatusOK, "admin", p.view(c, "Administration", p.adminOf()))
}

func (p *Pages) adminOf() adminView {
	return adminView{File: p.factory().File, CanReload: p.cfg.Reloader != nil}
}

// reload reads the factory file again (POST /admin/reload) and shows the page with what
// changed, or why nothing did: 422 for a file refused, 409 for a change that needs a restart,
// as the API answers.
func (p *Pages) reload(c echo.Context) error {
	if p.cfg.Reloader == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This daemon does not reload its factory file.")
	}
	pr, _ := who(c)
	ctx := c.Request().Context()
	changes, err := p.cfg.Reloader.Reload(ctx, pr.ID)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		status, _, msg, problems := api.ReloadError(err)
		v := p.adminOf()
		v.Problem, v.Errors = msg, problems
		return p.render(c, status, "admin", p.view(c, "Administration", v))
	}
	v := p.adminOf()
	v.Done = true
	for _, ch := range changes {
		v.Changes = append(v.Changes, ch.String())
	}
	return p.render(c, http.StatusOK, "admin", p.view(c, "Administration", v))
}
