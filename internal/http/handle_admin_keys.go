package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// apiKeyJSON is a stored API key as the operator API shows it: never the key.
type apiKeyJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Scope        string     `json:"scope"`
	Prefix       string     `json:"prefix"`
	CreatedAt    time.Time  `json:"createdAt"`
	CreatedBy    string     `json:"createdBy"`
	RevokedAt    *time.Time `json:"revokedAt"`
	RevokedBy    string     `json:"revokedBy"`
	RevokeReason string     `json:"revokeReason"`
	LastUsedAt   *time.Time `json:"lastUsedAt"`
}

func toAPIKeyJSON(k apikeys.Key) apiKeyJSON {
	return apiKeyJSON{ID: k.ID.String(), Name: k.Name, Scope: string(k.Scope), Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		CreatedBy: k.CreatedBy, RevokedAt: k.RevokedAt, RevokedBy: k.RevokedBy, RevokeReason: k.RevokeReason, LastUsedAt: k.LastUsedAt}
}

// handleAdminKeys is GET /admin/api/keys: every stored API key, revoked ones too, newest first.
func (s *Server) handleAdminKeys(c echo.Context) error {
	list, err := s.console.Keys.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, 0, len(list))
	for _, k := range list {
		out = append(out, toAPIKeyJSON(k))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, struct {
		Data []apiKeyJSON `json:"data"`
	}{out})
}

// handleAdminCreateKey is POST /admin/api/keys: the answer holds the key, once. It takes no
// Idempotency-Key on purpose: a stored answer would keep the key, and a replay show it again.
func (s *Server) handleAdminCreateKey(c echo.Context) error {
	var body struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	k, err := s.createKey(c, body.Name, body.Scope)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, struct {
		Key    apiKeyJSON `json:"key"`
		Secret string     `json:"secret"`
	}{toAPIKeyJSON(k.Key), k.Secret})
}

// handleAdminRevokeKey is POST /admin/api/keys/{id}/revoke: the key stops working on every
// replica within a second; the audit row with the reason commits with the revocation.
func (s *Server) handleAdminRevokeKey(c echo.Context) error {
	var body reasonBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	k, err := s.revokeKey(c, c.Param("id"), body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toAPIKeyJSON(k))
}

// createKey makes a key for the operator of c (whose role requireRole checked), for the
// operator API and the console page alike: the audit row commits with the key.
func (s *Server) createKey(c echo.Context, name, scope string) (apikeys.Created, error) {
	sc, err := apikeys.ParseScope(scope)
	if err != nil {
		return apikeys.Created{}, err
	}
	k, err := s.console.Keys.Create(c.Request().Context(), name, sc, operatorActor(c))
	if err != nil {
		return apikeys.Created{}, err
	}
	s.operatorActions.WithLabelValues(operators.ActionManageKeys, string(principal(c).Role)).Inc()
	return k, nil
}

// revokeKey revokes the key whose id is id for the operator of c, with reason, for the
// operator API and the console page alike.
func (s *Server) revokeKey(c echo.Context, id, reason string) (apikeys.Key, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return apikeys.Key{}, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return apikeys.Key{}, &orders.Error{Code: orders.ENotFound, Field: "id", Message: "API key " + strconv.Quote(id) + " does not exist"}
	}
	k, err := s.console.Keys.Revoke(c.Request().Context(), uid.String(), reason, operatorActor(c))
	if err != nil {
		return apikeys.Key{}, err
	}
	s.operatorActions.WithLabelValues(operators.ActionManageKeys, string(principal(c).Role)).Inc()
	return k, nil
}
