package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleSignedOutGoesToSignIn: every page of a signed-out browser answers 303 to the
// sign-in page, which brings it back to the page's path (never its query).
func TestConsoleSignedOutGoesToSignIn(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.browser(t)
	b.get(t, "/console").wantRedirect(t, "/console/signin")
	b.get(t, "/console/orders?q=ada@example.com").wantRedirect(t, "/console/signin?next=%2Fconsole%2Forders")
	b.get(t, "/console/audit").wantRedirect(t, "/console/signin?next=%2Fconsole%2Faudit")
	b.post(t, "/console/signout", url.Values{}).wantRedirect(t, "/console/signin")
}

// TestConsoleEnrollAndSignInThroughTheForms: the enrollment link's form sets the password
// (a short one or a mismatched confirmation is refused), the sign-in form opens the API's
// session and goes to the page asked for, only when it is a console page; pages carry the
// strict policy and no-store.
func TestConsoleEnrollAndSignInThroughTheForms(t *testing.T) {
	c := newConsoleEnv(t)
	a, err := c.ops.Add(context.Background(), "ana@shop.test", operators.Support)
	if err != nil {
		t.Fatal(err)
	}
	b := c.browser(t)
	form := b.get(t, "/console/enroll?token="+url.QueryEscape(a.EnrollmentToken))
	form.want(t, http.StatusOK, `<form id="enroll"`, `id="password" name="password"`, `id="confirm" name="confirm"`, `id="totp" name="totp" type="checkbox"`, "ana@shop.test")
	csrf := form.hidden(t, "csrf", "")
	enroll := func(password, confirm string) page {
		return b.post(t, "/console/enroll", url.Values{"csrf": {csrf}, "token": {a.EnrollmentToken}, "password": {password}, "confirm": {confirm}})
	}
	enroll("correct horse battery", "correct horse batterx").want(t, http.StatusUnprocessableEntity, `id="error" role="alert"`)
	enroll("short", "short").want(t, http.StatusUnprocessableEntity, `id="error" role="alert"`, "12 characters")
	b.post(t, "/console/enroll", url.Values{"token": {a.EnrollmentToken}, "password": {"correct horse battery"}, "confirm": {"correct horse battery"}}).
		want(t, http.StatusForbidden)
	enroll("correct horse battery", "correct horse battery").wantRedirect(t, "/console/signin?enrolled=1")
	signin := b.get(t, "/console/signin?enrolled=1&next=/console/audit")
	signin.want(t, http.StatusOK, `<p id="flash" role="status">`, `<form id="signin"`, `id="email" name="email"`, `id="code" name="code"`,
		`name="next" value="/console/audit"`)
	csrf = signin.hidden(t, "csrf", "")

	// Wrong password: the form again, with why.
	wrong := b.post(t, "/console/signin", url.Values{"csrf": {csrf}, "email": {"ana@shop.test"}, "password": {"wrong password!"}})
	wrong.want(t, http.StatusUnauthorized, `<p id="error" role="alert">`, "wrong email, password or code")
	// Open redirects are refused: anything but a console path goes home.
	for _, next := range []string{"https://evil.example/console", "//evil.example/console", "/\\evil.example", "/admin/api/orders", "/consolex"} {
		b.post(t, "/console/signin", url.Values{"csrf": {csrf}, "email": {"ana@shop.test"}, "password": {"correct horse battery"}, "next": {next}}).
			wantRedirect(t, "/console")
	}
	b.post(t, "/console/signin", url.Values{"csrf": {csrf}, "email": {"ana@shop.test"}, "password": {"correct horse battery"}, "next": {"/console/audit"}}).
		wantRedirect(t, "/console/audit")

	home := b.get(t, "/console")
	home.want(t, http.StatusOK, `<html lang="en">`, `<main id="main"`, `<form id="search"`, `id="q" name="q"`, `<form id="signout"`, "<svg",
		`data-filter="review" href="/console/orders?filter=review"><span class="count">0</span>`)
	for _, f := range operators.Filters {
		if !strings.Contains(home.body, `data-filter="`+f+`"`) {
			t.Errorf("the home page has no link for %s", f)
		}
	}
	wantCSP := "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if got := home.header.Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", got, wantCSP)
	}
	if got := home.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if strings.Contains(home.body, "<script") || strings.Contains(home.body, "style=") || strings.Contains(home.body, "<style") {
		t.Errorf("the page has inline script or style")
	}
	if css := b.get(t, "/console/static/console.css"); css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("console.css: %d %s", css.status, css.header.Get("Content-Type"))
	}
	// Signing out ends the API's session too.
	b.post(t, "/console/signout", url.Values{"csrf": {home.hidden(t, "csrf", `id="signout"`)}}).wantRedirect(t, "/console/signin")
	b.get(t, "/console").wantRedirect(t, "/console/signin")
}

// TestConsoleEnrollWithASecondFactor: choosing TOTP shows the secret and asks for a code;
// the operator then needs the code to sign in.
func TestConsoleEnrollWithASecondFactor(t *testing.T) {
	c := newConsoleEnv(t)
	a, err := c.ops.Add(context.Background(), "root@shop.test", operators.Admin)
	if err != nil {
		t.Fatal(err)
	}
	b := c.browser(t)
	csrf := b.get(t, "/console/enroll?token="+url.QueryEscape(a.EnrollmentToken)).hidden(t, "csrf", "")
	step := b.post(t, "/console/enroll", url.Values{"csrf": {csrf}, "token": {a.EnrollmentToken}, "password": {"correct horse battery"},
		"confirm": {"correct horse battery"}, "totp": {"1"}})
	step.want(t, http.StatusOK, `id="totp-secret"`, "otpauth://totp/")
	if strings.Contains(step.body, "correct horse battery") {
		t.Fatal("the second step's page holds the password in clear")
	}
	i := strings.Index(step.body, `id="totp-secret">`) + len(`id="totp-secret">`)
	secret := step.body[i : i+strings.Index(step.body[i:], "<")]
	draft := step.hidden(t, "draft", "")
	b.post(t, "/console/enroll/totp", url.Values{"csrf": {csrf}, "token": {a.EnrollmentToken}, "draft": {draft}, "code": {"000000"}}).
		want(t, http.StatusUnprocessableEntity, `id="error"`)
	code, err := totp.GenerateCode(secret, timeNow())
	if err != nil {
		t.Fatal(err)
	}
	b.post(t, "/console/enroll/totp", url.Values{"csrf": {csrf}, "token": {a.EnrollmentToken}, "draft": {draft}, "code": {code}}).
		wantRedirect(t, "/console/signin?enrolled=1")
	signin := url.Values{"csrf": {csrf}, "email": {"root@shop.test"}, "password": {"correct horse battery"}}
	b.post(t, "/console/signin", signin).want(t, http.StatusUnauthorized, `id="error"`)
	signin.Set("code", code)
	b.post(t, "/console/signin", signin).wantRedirect(t, "/console")
}

// TestConsoleSignInLocksOutAsTheAPIDoes: five wrong passwords through the form lock the
// operator; the right one is then refused too, with the reason.
func TestConsoleSignInLocksOutAsTheAPIDoes(t *testing.T) {
	c := newConsoleEnv(t)
	c.operator(t, "help@shop.test", operators.Support)
	b := c.browser(t)
	csrf := b.get(t, "/console/signin").hidden(t, "csrf", "")
	form := url.Values{"csrf": {csrf}, "email": {"help@shop.test"}, "password": {"wrong password!"}}
	for range operators.MaxFailures {
		b.post(t, "/console/signin", form).want(t, http.StatusUnauthorized, `id="error"`)
	}
	form.Set("password", "correct horse battery")
	b.post(t, "/console/signin", form).want(t, http.StatusUnauthorized, `id="error"`, "too many failed sign-ins")
	b.get(t, "/console").wantRedirect(t, "/console/signin")
}
