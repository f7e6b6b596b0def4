package hub

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *server) listSites(c echo.Context) error {
	views, err := s.siteViews(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sites": views})
}

// goneAnswer is what marking a site gone did.
type goneAnswer struct {
	Site     string `json:"site"`
	Rerouted int    `json:"rerouted"`
}

// markGone marks a site gone; its orders not started go back to be routed again.
func (s *server) markGone(c echo.Context) error {
	site := c.Param("site")
	n, err := s.hub.MarkGone(c.Request().Context(), site, principal(c).Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, goneAnswer{Site: site, Rerouted: n})
}

func (s *server) listDrops(c echo.Context) error {
	drops, err := s.dropViews(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"drops": drops})
}
