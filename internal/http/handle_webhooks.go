package http

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/strictjson"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// handlePlacetoPayNotification is POST /webhooks/placetopay, the default site's, and POST
// /webhooks/placetopay/{site}. A bad signature (another site's is one too), a session of
// another site or a malformed body is a 400 and changes nothing; an unknown site is a 404; a
// valid notification is stored and answered at once, and the session query that follows
// decides.
func (s *Server) handlePlacetoPayNotification(c echo.Context) error {
	site := c.Param("site")
	if site == "" {
		site = orders.DefaultSite
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	v, err := s.inbox.Verify(site, body)
	if err == nil {
		// Only a notification whose signature verified takes a place in the intake: a flood
		// of forged ones is refused (400) without crowding out PlacetoPay's.
		err = s.takeNotification(c, v)
	}
	switch {
	case errors.Is(err, errOverloaded):
		c.Response().Header().Set("Retry-After", "1")
		return err
	case errors.Is(err, webhooks.ErrUnknownSite):
		return orders.Errorf(orders.ENotFound, "no PlacetoPay site named %q", site)
	case errors.Is(err, webhooks.ErrOtherSite):
		return &badRequest{field: "requestId", detail: "the notification names a session of another site"}
	case errors.Is(err, webhooks.ErrBadSignature):
		return &badRequest{field: "signature", detail: "the notification's signature does not verify"}
	case errors.Is(err, webhooks.ErrMalformed):
		var bad *strictjson.Error
		if errors.As(err, &bad) {
			return &badRequest{field: bad.Field, detail: "the body is not a PlacetoPay notification: " + bad.Error()}
		}
		return &badRequest{detail: "the body is not a PlacetoPay notification"}
	case err != nil:
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, map[string]string{"status": "received"})
}
