package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// page is a hosted page under test.
type page struct {
	h    *harness
	path string // processUrl without the host
}

func (h *harness) page(processURL string) page {
	if !strings.HasPrefix(processURL, h.url) {
		h.t.Fatalf("processUrl %q is not on the sandbox %s", processURL, h.url)
	}
	return page{h, strings.TrimPrefix(processURL, h.url)}
}

func (p page) get() reply {
	p.h.t.Helper()
	return p.h.send(http.MethodGet, p.path, "", nil)
}

func (p page) post(action string, form url.Values) reply {
	p.h.t.Helper()
	return p.h.send(http.MethodPost, p.path+"/"+action, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// noCardNumbers fails if the page shows any test card number in full.
func noCardNumbers(t *testing.T, html []byte) {
	t.Helper()
	for _, c := range testCards {
		if strings.Contains(string(html), c.Number) {
			t.Errorf("the page shows the card number %s", c.Number)
		}
	}
}

func TestPageShowsTheSession(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MerchantName = "Ada's Books" })
	body := basicSession("ORDER-PG")
	body["payment"].(map[string]any)["description"] = `<script>alert("x")</script>`
	id, processURL := h.create(body)
	h.pay(id, cardDeny).want(t, http.StatusOK)

	r := h.page(processURL).get().want(t, http.StatusOK)
	html := string(r.Raw)
	if ct := r.Resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{"ORDER-PG", "USD 100.50", "Ada&#39;s Books", "&lt;script&gt;", "Visa •••• 0016", `name="card"`, "Cancel"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("the description is not escaped")
	}
	noCardNumbers(t, r.Raw)
}

func TestPagePay(t *testing.T) {
	h := newHarness(t)
	id, processURL := h.create(basicSession("ORDER-PP"))
	p := h.page(processURL)

	r := p.post("pay", url.Values{"card": {cardDeny}}).want(t, http.StatusSeeOther)
	if loc := r.Resp.Header.Get("Location"); loc != p.path {
		t.Errorf("after a decline: Location %q, want the page again", loc)
	}
	if html := p.get().Raw; !strings.Contains(string(html), "declined") {
		t.Errorf("the page does not say the card was declined:\n%s", html)
	}

	r = p.post("pay", url.Values{"card": {"4000 0000 0000 0002"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Raw), "•••• 0002") || !strings.Contains(string(r.Raw), "not a sandbox test card") {
		t.Errorf("an unknown card is not explained:\n%s", r.Raw)
	}
	if strings.Contains(string(r.Raw), "4000000000000002") || strings.Contains(string(r.Raw), "4000 0000 0000 0002") {
		t.Error("the page echoes the unknown card number")
	}

	r = p.post("pay", url.Values{"card": {cardApprove}}).want(t, http.StatusSeeOther)
	if loc := r.Resp.Header.Get("Location"); loc != "https://shop.example/return/ORDER-PP" {
		t.Errorf("after approval: Location %q, want the returnUrl", loc)
	}
	if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
		t.Errorf("session = %s, want APPROVED/00", got)
	}
	final := p.get().want(t, http.StatusOK)
	if strings.Contains(string(final.Raw), `name="card"`) || !strings.Contains(string(final.Raw), "https://shop.example/return/ORDER-PP") {
		t.Errorf("a final session still offers to pay, or no way back:\n%s", final.Raw)
	}
	noCardNumbers(t, final.Raw)
	p.post("pay", url.Values{"card": {cardApprove}}).want(t, http.StatusConflict)
}

func TestPagePendingReturnsToTheMerchant(t *testing.T) {
	h := newHarness(t)
	_, processURL := h.create(basicSession("ORDER-PPN"))
	r := h.page(processURL).post("pay", url.Values{"card": {cardPendingApprove}}).want(t, http.StatusSeeOther)
	if loc := r.Resp.Header.Get("Location"); loc != "https://shop.example/return/ORDER-PPN" {
		t.Errorf("Location %q, want the returnUrl", loc)
	}
}

func TestPagePartial(t *testing.T) {
	h := newHarness(t)
	id, processURL := h.create(partialSession("ORDER-PPA"))
	p := h.page(processURL)
	if html := string(p.get().Raw); !strings.Contains(html, `name="amount" value="100.50"`) {
		t.Errorf("a partial session's page has no amount field defaulting to what is due:\n%s", html)
	}
	r := p.post("pay", url.Values{"card": {cardApprove}, "amount": {"40"}}).want(t, http.StatusSeeOther)
	if loc := r.Resp.Header.Get("Location"); loc != p.path {
		t.Errorf("after a part: Location %q, want the page, to pay the rest", loc)
	}
	if html := string(p.get().Raw); !strings.Contains(html, "USD 60.50") {
		t.Errorf("the page does not show the 60.50 still due:\n%s", html)
	}
	p.post("pay", url.Values{"card": {cardApprove}, "amount": {"60.50"}}).want(t, http.StatusSeeOther)
	if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
		t.Errorf("session = %s, want APPROVED/00", got)
	}
}

func TestPageCancel(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, cancelURL, want string
	}{
		{"to cancelUrl", "https://shop.example/cancelled", "https://shop.example/cancelled"},
		{"to returnUrl without one", "", "https://shop.example/return/ORDER-PC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := basicSession("ORDER-PC")
			if tc.cancelURL != "" {
				body["cancelUrl"] = tc.cancelURL
			}
			id, processURL := h.create(body)
			r := h.page(processURL).post("cancel", nil).want(t, http.StatusSeeOther)
			if loc := r.Resp.Header.Get("Location"); loc != tc.want {
				t.Errorf("Location %q, want %q", loc, tc.want)
			}
			if got := status(h.query(id).Body, "status"); got != "REJECTED/?C" {
				t.Errorf("session = %s, want REJECTED/?C", got)
			}
		})
	}
	t.Run("while a payment is pending", func(t *testing.T) {
		id, processURL := h.create(basicSession("ORDER-PC2"))
		h.pay(id, cardPendingApprove).want(t, http.StatusOK)
		h.page(processURL).post("cancel", nil).want(t, http.StatusConflict)
	})
}

func TestPageUnknownSession(t *testing.T) {
	h := newHarness(t)
	id, processURL := h.create(basicSession("ORDER-PU"))
	h.send(http.MethodGet, "/session/"+itoa(id)+"/"+strings.Repeat("0", 32), "", nil).want(t, http.StatusNotFound)
	h.send(http.MethodGet, "/session/999999/"+processURL[len(processURL)-32:], "", nil).want(t, http.StatusNotFound)
	h.send(http.MethodPost, "/session/"+itoa(id)+"/"+strings.Repeat("0", 32)+"/pay", "application/x-www-form-urlencoded", []byte("card="+cardApprove)).want(t, http.StatusNotFound)
}

func TestPageForASubscription(t *testing.T) {
	h := newHarness(t)
	_, processURL := h.create(subscriptionSession("SUB-PG"))
	if html := string(h.page(processURL).get().Raw); !strings.Contains(html, "Save a card") || strings.Contains(html, "USD") {
		t.Errorf("a subscription page should offer to save a card, with no amount:\n%s", html)
	}
}

// Every answer tells browsers not to sniff it and not to frame it; the API and the control
// API allow nothing to load; the page allows only its own inline style, by nonce.
func TestAnswersCarryBrowserSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	_, processURL := h.create(basicSession("ORDER-SH"))
	p := h.page(processURL)
	pages := map[string]reply{
		"page":          p.get().want(t, http.StatusOK),
		"page, refusal": p.post("pay", url.Values{"card": {"4000 0000 0000 0002"}}).want(t, http.StatusUnprocessableEntity),
	}
	others := map[string]reply{
		"control API":    h.send(http.MethodGet, "/sandbox/cards", "", nil),
		"PlacetoPay API": h.send(http.MethodPost, "/api/session", "application/json", []byte(`{}`)),
		"unknown path":   h.send(http.MethodGet, "/nowhere", "", nil),
		"unknown page":   h.send(http.MethodGet, "/session/1/nope", "", nil),
		"redirect":       p.post("cancel", nil),
	}
	for name, r := range pages {
		csp := r.Resp.Header.Get("Content-Security-Policy")
		nonce := regexp.MustCompile(`style-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
		switch {
		case nonce == nil:
			t.Errorf("%s: Content-Security-Policy %q allows no inline style by nonce", name, csp)
		case !strings.Contains(string(r.Raw), `<style nonce="`+nonce[1]+`">`):
			t.Errorf("%s: the page's <style> does not carry the policy's nonce", name)
		}
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", name, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: Content-Security-Policy %q allows unsafe sources", name, csp)
		}
	}
	for name, r := range others {
		if got := r.Resp.Header.Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s: Content-Security-Policy = %q", name, got)
		}
	}
	for name, r := range mergeReplies(pages, others) {
		if got := r.Resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", name, got)
		}
		if got := r.Resp.Header.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", name)
		}
	}
}

func mergeReplies(a, b map[string]reply) map[string]reply {
	out := map[string]reply{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
