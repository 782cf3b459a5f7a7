package http

import "github.com/labstack/echo/v4"

// MountForTest mounts h at POST path behind the middleware every real POST route uses (API
// key, then Idempotency-Key), with around placed between the two, so that tests can drive
// that middleware with handlers that panic, fail or outlive their client.
func (s *Server) MountForTest(path string, h echo.HandlerFunc, around echo.MiddlewareFunc) {
	s.echo.POST(path, h, s.requireAPIKey, around, s.idempotent)
}

// RoutesForTest lists the public server's routes as mounted: method and path template.
func (s *Server) RoutesForTest() [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// HoldIntakeSlotsForTest takes every slot of the notification limit, as that many
// notifications being taken in would, and returns what gives them back. Its queue is as
// configured.
func (s *Server) HoldIntakeSlotsForTest() (release func()) {
	n := cap(s.intake.slots)
	for range n {
		s.intake.slots <- struct{}{}
	}
	return func() {
		for range n {
			<-s.intake.slots
		}
	}
}
