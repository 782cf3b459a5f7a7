package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// idempotent gives POSTs the contract's Idempotency-Key behaviour: the same key and body
// replay the first response byte for byte, the same key with another body is a 422, and a
// request still in flight with the key is a 409. Server errors and conflicts that pass by
// themselves (a 409 with Retry-After) are not kept, so a retry runs again. Requests without the header run as usual.
func (s *Server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return s.idempotentKeeping(keepAnswer)(next)
}

// idempotentShowingOnce is idempotent for a console form whose answer shows a secret once (a
// new API key, a webhook endpoint's signing secret): that answer goes out but is not kept,
// and the same form sent again (a reload, a double click, the back button) is answered with a
// redirect to location instead of making a second secret. Refusals are kept as they are.
func (s *Server) idempotentShowingOnce(location string) echo.MiddlewareFunc {
	return s.idempotentKeeping(func(status int, header http.Header, body []byte) idempotency.Response {
		if status < 200 || status > 299 {
			return keepAnswer(status, header, body)
		}
		return idempotency.Response{Status: http.StatusSeeOther, Header: http.Header{
			"Location": {location}, "Cache-Control": {"no-store"},
		}}
	})
}

// keepAnswer keeps a response as it went out.
func keepAnswer(status int, header http.Header, body []byte) idempotency.Response {
	return idempotency.Response{Status: status, Header: replayableHeaders(header), Body: body}
}

// idempotentKeeping is the Idempotency-Key middleware; keep decides what of a response is
// stored for the key's replays.
func (s *Server) idempotentKeeping(keep func(status int, header http.Header, body []byte) idempotency.Response) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return s.runIdempotent(next, keep)
	}
}

func (s *Server) runIdempotent(next echo.HandlerFunc, keep func(status int, header http.Header, body []byte) idempotency.Response) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" {
			return next(c)
		}
		if len(key) > 255 {
			return &badRequest{field: "Idempotency-Key", detail: "the Idempotency-Key header is longer than 255 bytes"}
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return bodyError(err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		req := c.Request()
		h := sha256.New()
		h.Write([]byte(req.Method + " " + req.URL.Path + "\n"))
		h.Write(body)
		owner, _ := c.Get(ownerKey).(string)
		ctx := req.Context()

		outcome, stored, lease, err := s.idempotency.Begin(ctx, owner, key, req.Method, req.URL.Path, h.Sum(nil))
		if err != nil {
			return err
		}
		switch outcome {
		case idempotency.Replay:
			for name, values := range stored.Header {
				c.Response().Header()[name] = values
			}
			c.Response().Header().Set("Idempotent-Replayed", "true")
			c.Response().WriteHeader(stored.Status)
			_, err := c.Response().Write(stored.Body)
			return err
		case idempotency.Mismatch:
			return &orders.Error{Code: orders.EInvalid, Field: "Idempotency-Key",
				Message: "this Idempotency-Key was used with a different request"}
		case idempotency.InFlight:
			return &orders.Error{Code: orders.EConflict, Field: "Idempotency-Key", RetryAfter: 5,
				Message: "a request with this Idempotency-Key is still in progress; retry later"}
		case idempotency.Unreadable:
			return &orders.Error{Code: orders.EConflict, Field: "Idempotency-Key",
				Message: "a request with this Idempotency-Key already ran, but its stored answer was sealed with a key this gateway does not hold " +
					"(GATEWAY_TOKEN_KEY differs between replicas or was removed); it is not run again: read the result with a GET"}
		}

		// An action remembers the request that asks for it, so that a rerun of this request
		// (its answer never stored) finds what it did instead of doing it again.
		c.SetRequest(req.WithContext(orders.WithRequestKey(req.Context(), owner, key)))

		// The record is settled even when the client has gone (its retry must find the
		// response, not a key held until the lease ends) and when the handler panics.
		ctx = context.WithoutCancel(ctx)
		settled := false
		defer func() {
			if !settled {
				s.releaseKey(ctx, lease)
			}
		}()

		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		settled = true
		status := c.Response().Status
		// Server errors and conflicts that pass by themselves (Retry-After) are not kept:
		// the retry with the same key runs the request again.
		if status >= http.StatusInternalServerError || c.Response().Header().Get("Retry-After") != "" {
			s.releaseKey(ctx, lease)
			return nil
		}
		err = s.idempotency.Complete(ctx, lease, keep(status, c.Response().Header(), rec.body.Bytes()))
		if err != nil {
			// The response went out; the key stays in flight until its lease ends and a retry
			// may then run the request again.
			s.log.Error("complete idempotency key", zap.Error(err))
		}
		return nil
	}
}

func (s *Server) releaseKey(ctx context.Context, lease idempotency.Lease) {
	if err := s.idempotency.Release(ctx, lease); err != nil {
		s.log.Error("release idempotency key", zap.Error(err))
	}
}

// replayableHeaders returns the response headers the handler chose (Content-Type, Location,
// Cache-Control, …); per-connection and per-request ones (Date, CORS, Vary) are left out.
func replayableHeaders(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		switch {
		case name == "Date", name == "Vary", name == "Content-Length", strings.HasPrefix(name, "Access-Control-"):
			continue
		}
		out[name] = values
	}
	return out
}

// recorder keeps a copy of what it writes.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
