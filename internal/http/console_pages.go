package http

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// The console's pages (docs/console.md, "The pages") are server-rendered from embedded
// templates: console/layout.html around one page each, and console/console.css, the only
// style they use. Nothing inline: the policy allows styles from the listener only, and no
// script at all.
//
//go:embed console
var consoleFiles embed.FS

// consolePolicy is the pages' Content-Security-Policy. Every form posts to the console
// itself (form-action 'self'), whose answers are redirects within it.
var consolePolicy = []string{"style-src 'self'", "img-src 'self' data:", "form-action 'self'"}

var consoleFuncs = template.FuncMap{
	// can reports whether the page's operator may take action (operators.Allowed).
	"can": func(p *consolePage, action string) bool {
		return p.Operator != nil && operators.Allowed(p.Operator.Role, action)
	},
	// newKey is a fresh Idempotency-Key for one rendered form: its double submit is replayed.
	"newKey": randomToken,
	// args is what the action form template (action.html) gets: the page, the action, and
	// what it acts on (a payment's internal reference, a refund's or an event's id; "" for
	// the order).
	"args": func(p *consolePage, action, target string) actionForm {
		return actionForm{P: p, Action: action, Target: target}
	},
	"actionLabel": func(action string) string { return actionLabels[action] },
}

type actionForm struct {
	P              *consolePage
	Action, Target string
}

// actionLabels are the action forms' buttons.
var actionLabels = map[string]string{
	operators.ActionQuery: "Query PlacetoPay now", operators.ActionRefund: "Refund", operators.ActionCancel: "Cancel the order",
	operators.ActionCapture: "Capture", operators.ActionRelease: "Release the hold", operators.ActionResolve: "Resolve the review",
	operators.ActionSettle: "Settle", operators.ActionRedeliver: "Redeliver",
}

// consoleTemplates holds one template set per page, each with the layout.
var consoleTemplates = func() map[string]*template.Template {
	pages, err := fs.Glob(consoleFiles, "console/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "console/"), ".html")
		if name == "layout" || name == "action" {
			continue
		}
		out[name] = template.Must(template.New("layout.html").Funcs(consoleFuncs).ParseFS(consoleFiles, "console/layout.html", "console/action.html", p))
	}
	return out
}()

// consolePage is what every page's template gets; Data is the page's own.
type consolePage struct {
	L        locale.Locale
	Title    string
	Operator *operators.Operator // nil on the enrollment and sign-in pages
	CSRF     string              // the session's CSRF token, for every form
	Flash    string              // a one-time message: what the last form did
	Error    string              // a one-time message: why the last form did nothing
	Q        string              // the search box's text
	LangES   string              // this page in Spanish (?lang=es), and in English
	LangEN   string
	Data     any
}

// newPage starts the page of the request's operator (when signed in), in their language,
// with the one-time message the last form left.
func (s *Server) newPage(c echo.Context, title string, data any) *consolePage {
	l := consoleLocale(c)
	p := &consolePage{L: l, Title: l.T(title), Data: data, LangES: langURL(c, "es"), LangEN: langURL(c, "en")}
	if op, ok := c.Get(principalKey).(operators.Principal); ok {
		p.Operator = &op.Operator
		p.CSRF, _ = c.Get(csrfKey).(string)
	}
	p.Flash, p.Error = s.takeFlash(c)
	return p
}

// render writes the page with status.
func (s *Server) render(c echo.Context, status int, name string, p *consolePage) error {
	var buf bytes.Buffer
	if err := consoleTemplates[name].Execute(&buf, p); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set(echo.HeaderVary, "Accept-Language, Cookie")
	return c.HTMLBlob(status, buf.Bytes())
}

// consolePageMiddleware is every page's: no caching and the pages' policy. Errors reach
// handleError, which shows them as a page (renderPageError) on console paths.
func (s *Server) consolePageMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		setPagePolicy(c, consolePolicy...)
		return next(c)
	}
}

// isConsolePage reports whether the request is for a console page, whose errors are pages
// rather than problem documents.
func isConsolePage(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/console" || strings.HasPrefix(p, "/console/")
}

// renderPageError shows err as a page in the operator's language: the status and sentence
// pageError gives.
func (s *Server) renderPageError(c echo.Context, err error) {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	setPagePolicy(c, consolePolicy...)
	status, msg := s.pageError(c, err)
	p := s.newPage(c, "Something went wrong", nil)
	p.Error = msg
	if rerr := s.render(c, status, "error", p); rerr != nil {
		s.log.Warn("write error page", zap.Error(rerr))
	}
}

// handleConsoleCSS is GET /console/static/console.css.
func handleConsoleCSS(c echo.Context) error {
	css, err := consoleFiles.ReadFile("console/console.css")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "max-age=3600")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", css)
}

// langURL is the page's address in lang: its path and query, with lang set.
func langURL(c echo.Context, lang string) string {
	if c.Request().Method != http.MethodGet {
		return "?lang=" + lang
	}
	q := c.Request().URL.Query()
	q.Set("lang", lang)
	return c.Request().URL.Path + "?" + q.Encode()
}

// randomToken is 24 random bytes, base64url.
func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
