package http

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// keyRow is a stored API key as the keys page lists it: never the key.
type keyRow struct {
	ID, Prefix, Name, Scope string
	Revoked                 bool
	RevokedAt, RevokedBy    string
	Created, LastUsed       string // LastUsed is "" for a key never used
}

// keysData is the keys page's: the list, and the new key on the answer to its creation.
type keysData struct {
	Keys    []keyRow
	Created *apikeys.Created
	Scopes  []apikeys.Scope
}

// handleConsoleKeys is GET /console/keys: every stored API key, for any operator.
func (s *Server) handleConsoleKeys(c echo.Context) error {
	p := s.newPage(c, "API keys", nil)
	d, err := s.keysData(c, p)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(c, http.StatusOK, "keys", p)
}

func (s *Server) keysData(c echo.Context, p *consolePage) (keysData, error) {
	list, err := s.console.Keys.List(c.Request().Context())
	if err != nil {
		return keysData{}, err
	}
	d := keysData{Scopes: []apikeys.Scope{apikeys.Checkout, apikeys.Read, apikeys.Full}}
	for _, k := range list {
		r := keyRow{ID: k.ID.String(), Prefix: k.Prefix, Name: k.Name, Scope: string(k.Scope), Created: p.L.Date(k.CreatedAt)}
		if k.RevokedAt != nil {
			r.Revoked, r.RevokedAt, r.RevokedBy = true, p.L.Date(*k.RevokedAt), k.RevokedBy
		}
		if k.LastUsedAt != nil {
			r.LastUsed = p.L.Date(*k.LastUsedAt)
		}
		d.Keys = append(d.Keys, r)
	}
	return d, nil
}

// handleConsoleCreateKey is POST /console/keys. Its answer is the page itself, not a
// redirect: the key is on it, this once, and nowhere else (not in a cookie, not in a URL,
// not in a stored idempotent answer); the page is no-store like every console page.
func (s *Server) handleConsoleCreateKey(c echo.Context) error {
	k, err := s.createKey(c, c.FormValue("name"), c.FormValue("scope"))
	if err != nil {
		return s.actionRefused(c, "/console/keys", err)
	}
	p := s.newPage(c, "API keys", nil)
	d, err := s.keysData(c, p)
	if err != nil {
		return err
	}
	d.Created = &k
	p.Data = d
	return s.render(c, http.StatusCreated, "keys", p)
}

// handleConsoleRevokeKey is POST /console/keys/{id}/revoke, back to the keys page.
func (s *Server) handleConsoleRevokeKey(c echo.Context) error {
	k, err := s.revokeKey(c, c.Param("id"), c.FormValue("reason"))
	if err != nil {
		return s.actionRefused(c, "/console/keys", err)
	}
	return s.redirectWithFlash(c, "/console/keys", consoleLocale(c).T("API key %s… revoked: every replica refuses it within a second.", k.Prefix), false)
}

// consoleKeysRoutes are the keys page and its forms, behind the API's role check. Creating
// a key keeps no answer (it holds the key): the same form sent again is sent back to the
// list instead of making a second key.
func (s *Server) consoleKeysRoutes() {
	e := s.echo
	e.GET("/console/keys", s.handleConsoleKeys, s.consolePageMiddleware, s.consoleSession)
	e.POST("/console/keys", s.handleConsoleCreateKey, s.consolePageMiddleware, s.consoleSession, s.requireRole(operators.ActionManageKeys),
		s.idempotentShowingOnce("/console/keys"))
	e.POST("/console/keys/:id/revoke", s.handleConsoleRevokeKey, s.consolePageMiddleware, s.consoleSession,
		s.requireRole(operators.ActionManageKeys), s.idempotent)
}
