package hub

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the hub API's OpenAPI document, served at /api/v1/openapi.yaml; its tests keep
// it and the routes, and it and the error codes, in step.
//
//go:embed openapi.yaml
var openAPIDoc []byte

func (s *server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPIDoc)
}
