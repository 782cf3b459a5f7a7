package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// browser is a cookie-keeping client of the console's pages that does not follow
// redirects, so that a test sees each 303 and where it points.
type browser struct {
	c      *consoleEnv
	client *http.Client
	header http.Header // sent with every request (Accept-Language)
}

func (c *consoleEnv) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: c, header: http.Header{}, client: &http.Client{Jar: jar, Transport: c.admin.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer of the console.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(t *testing.T, method, path string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.c.admin.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(out)}
}

func (b *browser) get(t *testing.T, path string) page {
	t.Helper()
	return b.do(t, http.MethodGet, path, nil)
}

func (b *browser) post(t *testing.T, path string, form url.Values) page {
	t.Helper()
	return b.do(t, http.MethodPost, path, form)
}

// wantRedirect fails unless p is a 303 to location.
func (p page) wantRedirect(t *testing.T, location string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != location {
		t.Fatalf("answer %d to %q, want 303 to %q: %.300s", p.status, p.header.Get("Location"), location, p.body)
	}
}

func (p page) want(t *testing.T, status int, fragments ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d: %.1500s", p.status, status, p.body)
	}
	for _, f := range fragments {
		if !strings.Contains(p.body, f) {
			t.Errorf("the page lacks %q: %.3000s", f, p.body)
		}
	}
}

var hiddenRe = regexp.MustCompile(`name="(csrf|idempotencyKey|token|draft)" value="([^"]*)"`)

// hidden is the first value of the hidden field name in the page (or in the part of the
// page after marker, when given).
func (p page) hidden(t *testing.T, name, marker string) string {
	t.Helper()
	body := p.body
	if marker != "" {
		i := strings.Index(body, marker)
		if i < 0 {
			t.Fatalf("the page has no %q", marker)
		}
		body = body[i:]
	}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	t.Fatalf("no hidden %s field", name)
	return ""
}

// signIn signs in through the sign-in form and lands on the home page.
func (b *browser) signIn(t *testing.T, email string) {
	t.Helper()
	csrf := b.get(t, "/console/signin").hidden(t, "csrf", "")
	b.post(t, "/console/signin", url.Values{"csrf": {csrf}, "email": {email}, "password": {"correct horse battery"}}).wantRedirect(t, "/console")
}

// signedIn adds, enrolls and signs in an operator through the forms.
func (c *consoleEnv) signedIn(t *testing.T, email string, role operators.Role) *browser {
	t.Helper()
	c.operator(t, email, role)
	b := c.browser(t)
	b.signIn(t, email)
	return b
}

func timeNow() time.Time { return time.Now() }
