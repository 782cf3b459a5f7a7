package http

import (
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// textHeaders are the request headers whose text the gateway reads, stores or passes on to
// PlacetoPay.
var textHeaders = []string{
	echo.HeaderAuthorization, "Idempotency-Key", "X-Client-Secret",
	"User-Agent", echo.HeaderXForwardedFor, echo.HeaderXRealIP,
}

// refuseUnstorableText answers 400, naming the parameter, when the path, a query parameter or
// a header the gateway reads holds text Postgres cannot store (invalid UTF-8, NUL): such text
// would otherwise fail the first query it reaches, as a 500. PlacetoPay's webhooks are left
// alone: they read neither the query string nor these headers into storage, and the autopay
// ones answer in PlacetoPay's shape, not problem+json.
func refuseUnstorableText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if strings.HasPrefix(req.URL.Path, "/webhooks/") {
			return next(c)
		}
		if !storable(req.URL.Path) {
			return &badRequest{field: badPathParam(c), detail: "the path must be UTF-8 text without NUL characters"}
		}
		for _, name := range textHeaders {
			for _, v := range req.Header.Values(name) {
				if !storable(v) {
					return &badRequest{field: name, detail: "the " + name + " header must be UTF-8 text without NUL characters"}
				}
			}
		}
		query := c.QueryParams()
		names := make([]string, 0, len(query))
		for name := range query {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ok := storable(name)
			for _, v := range query[name] {
				ok = ok && storable(v)
			}
			if !ok {
				field := printable(name)
				return &badRequest{field: field, detail: "the query parameter " + field + " must be UTF-8 text without NUL characters"}
			}
		}
		return next(c)
	}
}

// storable reports whether Postgres can store s as text.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// printable is s with what storable refuses replaced by U+FFFD, for naming it in an answer.
func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// badPathParam names the route parameter that holds the unstorable text, or "path" when none
// does (Echo hands out parameters escaped or not depending on how the client escaped them).
func badPathParam(c echo.Context) string {
	values := c.ParamValues()
	for i, name := range c.ParamNames() {
		if i >= len(values) {
			break
		}
		v, err := url.PathUnescape(values[i])
		if err != nil || !storable(v) {
			return name
		}
	}
	return "path"
}
