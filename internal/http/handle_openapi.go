package http

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPIDocument is the merchant API's OpenAPI 3.1 document, served at GET /openapi.yaml
// and checked against every response the handler tests produce.
//
//go:embed openapi.yaml
var OpenAPIDocument []byte

// handleOpenAPI is GET /openapi.yaml.
func handleOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", OpenAPIDocument)
}
