package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

const (
	usSiteLogin  = "moneypath-us-site"
	usSiteSecret = "moneypath-us-secret-9Xq2"
)

// sitesHarness is a gateway with two sites on one sandbox: the default site (the PLACETOPAY_*
// login) takes only COP, the us site (a login of its own) only USD.
func sitesHarness(t *testing.T, probeInterval time.Duration, faults sandbox.Faults) *harness {
	return newHarness(t, harnessConfig{
		sandbox:           sandbox.Config{Faults: faults},
		probeInterval:     probeInterval,
		sites:             []harnessSite{{name: "us", login: usSiteLogin, secret: usSiteSecret, currencies: []string{"USD"}}},
		defaultCurrencies: []string{"COP"},
	})
}

// createSiteOrder creates an order in currency, naming site when it is not empty.
func (h *harness) createSiteOrder(g *runningGateway, currency, total, site string) (int, []byte) {
	h.t.Helper()
	body := map[string]any{"description": "sites acceptance", "amount": map[string]string{"currency": currency, "total": total}}
	if site != "" {
		body["site"] = site
	}
	return h.call(g, http.MethodPost, "/v1/orders", body)
}

// TestSitesOrdersGoToTheSiteOfTheirCurrency: an order goes to the site that takes its
// currency, or the one it names; the sandbox shows which login opened each session. An
// unknown site, a site that does not take the currency and a currency no site takes are 422
// naming the field, with nothing written.
func TestSitesOrdersGoToTheSiteOfTheirCurrency(t *testing.T) {
	h := sitesHarness(t, time.Minute, sandbox.Faults{})
	g := h.gateways[0]

	cases := []struct {
		currency, total, site string
		wantSite, wantLogin   string
	}{
		{"COP", "50000", "", "default", placetopayLogin},
		{"USD", "12.34", "", "us", usSiteLogin},
		{"USD", "5.00", "us", "us", usSiteLogin},
		{"COP", "7000", "default", "default", placetopayLogin},
	}
	for _, c := range cases {
		code, raw := h.createSiteOrder(g, c.currency, c.total, c.site)
		if code != http.StatusCreated {
			t.Fatalf("order in %s naming %q = %d %s, want 201", c.currency, c.site, code, raw)
		}
		var o struct {
			ID   string `json:"id"`
			Site string `json:"site"`
		}
		h.decode(raw, &o)
		if o.Site != c.wantSite {
			t.Errorf("order in %s naming %q has site %q, want %q", c.currency, c.site, o.Site, c.wantSite)
		}
		s := h.mustCheckout(g, o.ID)
		if got := h.sandboxSession(s.RequestID).Login; got != c.wantLogin {
			t.Errorf("session of the order in %s naming %q was opened by login %q, want %q", c.currency, c.site, got, c.wantLogin)
		}
		if got := h.order(g, o.ID, false); got.Status != "pending" {
			t.Errorf("order in %s is %s, want pending", c.currency, got.Status)
		}
	}

	orders := h.count(`SELECT count(*) FROM orders`)
	refused := []struct {
		currency, site, field string
	}{
		{"USD", "nowhere", "site"},
		{"COP", "us", "amount.currency"},
		{"USD", "default", "amount.currency"},
		{"EUR", "", "amount.currency"},
	}
	for _, c := range refused {
		code, raw := h.createSiteOrder(g, c.currency, "10.00", c.site)
		var problem struct {
			Field string `json:"field"`
		}
		_ = json.Unmarshal(raw, &problem)
		if code != http.StatusUnprocessableEntity || problem.Field != c.field {
			t.Errorf("order in %s naming %q = %d %s, want 422 naming %s", c.currency, c.site, code, raw, c.field)
		}
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != orders {
		t.Errorf("%d orders after the refusals, want %d: a refused order was written", n, orders)
	}
}

// TestSitesNotificationsVerifyWithTheirOwnSecret: each site's notifications reach its own
// endpoint and verify with its secret; the same notification on the default site's endpoint
// is a bad signature, one signed by a site about another site's session is refused, an
// unknown site is a 404, and none of these stores anything.
func TestSitesNotificationsVerifyWithTheirOwnSecret(t *testing.T) {
	h := sitesHarness(t, time.Minute, sandbox.Faults{})
	g := h.gateways[0]

	orderOf := func(currency, total string) (string, int64) {
		code, raw := h.createSiteOrder(g, currency, total, "")
		if code != http.StatusCreated {
			t.Fatalf("order in %s = %d %s", currency, code, raw)
		}
		var o orderJSON
		h.decode(raw, &o)
		return o.ID, h.mustCheckout(g, o.ID).RequestID
	}
	usOrder, usReq := orderOf("USD", "20.00")
	copOrder, copReq := orderOf("COP", "80000")

	// Each site's notification, sent by the sandbox to that site's endpoint, is accepted.
	h.pay(usReq, cardApprove)
	h.pay(copReq, cardApprove)
	for _, req := range []int64{usReq, copReq} {
		h.waitDB("the notification stored", 10*time.Second, `SELECT count(*) = 1 FROM notifications WHERE request_id = $1`, req)
		// The sandbox records the answer once the gateway's has come back.
		deadline := time.Now().Add(10 * time.Second)
		notes := h.sandboxNotifications(req)
		for (len(notes) != 1 || len(notes[0].Deliveries) == 0) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			notes = h.sandboxNotifications(req)
		}
		if len(notes) != 1 {
			t.Fatalf("%d notifications of %d, want 1", len(notes), req)
		}
		if d := notes[0].Deliveries; len(d) != 1 || d[0].Status != http.StatusOK {
			t.Fatalf("notification of %d: outcome %q, deliveries %+v; want one answered 200", req, notes[0].Outcome, d)
		}
	}
	h.waitStatus(g, usOrder, "paid", 10*time.Second)
	h.waitStatus(g, copOrder, "paid", 10*time.Second)

	usBody := h.sandboxNotifications(usReq)[0].Body
	copBody := h.sandboxNotifications(copReq)[0].Body
	// The COP session's notification as the us site would sign it: a valid us signature about
	// a session the us site never opened.
	var n struct {
		Status struct {
			Status, Reason, Message, Date string
		}
		RequestID int64  `json:"requestId"`
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(copBody, &n); err != nil {
		t.Fatal(err)
	}
	sig, err := placetopay.NotificationSignature(placetopay.SHA256, n.RequestID, n.Status.Status, n.Status.Date, usSiteSecret)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := json.Marshal(map[string]any{
		"status":    map[string]string{"status": n.Status.Status, "reason": n.Status.Reason, "message": n.Status.Message, "date": n.Status.Date},
		"requestId": n.RequestID, "reference": n.Reference, "signature": sig,
	})

	stored := h.count(`SELECT count(*) FROM notifications`)
	transitions := h.count(`SELECT count(*) FROM order_timeline`)
	for _, c := range []struct {
		name, path string
		body       []byte
		want       int
	}{
		{"the us notification on the default endpoint", "/webhooks/placetopay", usBody, http.StatusBadRequest},
		{"the default site's notification on the us endpoint", "/webhooks/placetopay/us", copBody, http.StatusBadRequest},
		{"a us signature about a default site's session", "/webhooks/placetopay/us", forged, http.StatusBadRequest},
		{"a us signature about it on the default endpoint", "/webhooks/placetopay", forged, http.StatusBadRequest},
		{"an unknown site", "/webhooks/placetopay/nowhere", usBody, http.StatusNotFound},
	} {
		resp, err := harnessClient.Post(g.url+c.path, "application/json", bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, out, c.want)
		}
	}
	if got := h.count(`SELECT count(*) FROM notifications`); got != stored {
		t.Errorf("%d notifications stored after the refused ones, want %d", got, stored)
	}
	if got := h.count(`SELECT count(*) FROM order_timeline`); got != transitions {
		t.Errorf("%d timeline entries after the refused notifications, want %d", got, transitions)
	}
	// The genuine ones replayed on their own endpoints are duplicates, and still accepted.
	for path, body := range map[string][]byte{"/webhooks/placetopay/us": usBody, "/webhooks/placetopay": copBody} {
		resp, err := harnessClient.Post(g.url+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("replay on %s = %d, want 200", path, resp.StatusCode)
		}
	}
}

// TestSitesProbeQueriesEachSessionAtItsSite: with every notification lost, the probe finds
// each site's approval by querying that site: the sandbox records which login asked about
// each session, and no site ever asked about another's.
func TestSitesProbeQueriesEachSessionAtItsSite(t *testing.T) {
	h := sitesHarness(t, time.Second, sandbox.Faults{Drop: 1})
	g := h.gateways[0]

	type tracked struct {
		order, login string
		req          int64
	}
	var list []tracked
	for _, c := range []struct{ currency, total, login string }{
		{"USD", "9.99", usSiteLogin}, {"COP", "12000", placetopayLogin}, {"USD", "1.50", usSiteLogin},
	} {
		code, raw := h.createSiteOrder(g, c.currency, c.total, "")
		if code != http.StatusCreated {
			t.Fatalf("order in %s = %d %s", c.currency, code, raw)
		}
		var o orderJSON
		h.decode(raw, &o)
		list = append(list, tracked{o.ID, c.login, h.mustCheckout(g, o.ID).RequestID})
	}
	for _, s := range list {
		h.pay(s.req, cardApprove)
	}
	for _, s := range list {
		h.waitStatus(g, s.order, "paid", 10*time.Second)
		queries := h.sandboxSession(s.req).Queries
		if queries[s.login] == 0 || len(queries) != 1 {
			t.Errorf("session %d was queried by %v, want by %s only", s.req, queries, s.login)
		}
	}
}
