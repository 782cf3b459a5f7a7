package sandbox_test

import (
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// browser never follows redirects: the tests read where the page sends the payer.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var (
	formRE  = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	attrRE  = regexp.MustCompile(`\b(method|action)="([^"]*)"`)
	inputRE = regexp.MustCompile(`<input\b[^>]*>`)
	nameRE  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueRE = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// form is one HTML form of the hosted page.
type form struct {
	Method, Action string
	Fields         map[string]string // input name → its value attribute
}

// page is the hosted page as a browser got it.
type page struct {
	Code        int
	ContentType string
	HTML        string
	Forms       []form
}

// payForm is the form with a card field; cancelForm the one without fields.
func (p page) payForm(t *testing.T) form {
	t.Helper()
	for _, f := range p.Forms {
		if _, ok := f.Fields["card"]; ok {
			return f
		}
	}
	t.Fatalf("the page has no form with a card field: %s", p.HTML)
	return form{}
}

func (p page) cancelForm(t *testing.T) form {
	t.Helper()
	for _, f := range p.Forms {
		if len(f.Fields) == 0 {
			return f
		}
	}
	t.Fatalf("the page has no cancel form: %s", p.HTML)
	return form{}
}

func parseForms(doc string) []form {
	var forms []form
	for _, m := range formRE.FindAllStringSubmatch(doc, -1) {
		f := form{Fields: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
			v := html.UnescapeString(a[2])
			if a[1] == "method" {
				f.Method = strings.ToUpper(v)
			} else {
				f.Action = v
			}
		}
		for _, in := range inputRE.FindAllString(m[2], -1) {
			name := nameRE.FindStringSubmatch(in)
			if name == nil {
				continue
			}
			value := ""
			if v := valueRE.FindStringSubmatch(in); v != nil {
				value = html.UnescapeString(v[1])
			}
			f.Fields[html.UnescapeString(name[1])] = value
		}
		forms = append(forms, f)
	}
	return forms
}

func getPage(t *testing.T, rawURL string) page {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Code: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), HTML: string(b), Forms: parseForms(string(b))}
}

// submit posts f, resolved against the page's URL, with the given values for its fields,
// and returns the status and the Location header.
func submit(t *testing.T, pageURL string, f form, values map[string]string) (int, string) {
	t.Helper()
	if f.Method != http.MethodPost {
		t.Fatalf("form method %q, want POST", f.Method)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	action, err := base.Parse(f.Action)
	if err != nil {
		t.Fatalf("form action %q: %v", f.Action, err)
	}
	data := url.Values{}
	for name, v := range f.Fields {
		data.Set(name, v)
	}
	for name, v := range values {
		if _, ok := f.Fields[name]; !ok {
			t.Fatalf("the form has no field %q (fields %v)", name, f.Fields)
		}
		data.Set(name, v)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, action.String(), strings.NewReader(data.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestClientHostedPage pays sessions the way a payer does, on the page at processUrl, and
// reads the outcome through the client.
func TestClientHostedPage(t *testing.T) {
	e := newEnv(t)

	t.Run("approving card", func(t *testing.T) {
		req := basicRequest("PAGE-1", "123.45")
		created := e.create(req)
		p := getPage(t, created.ProcessURL)
		if p.Code != http.StatusOK || !strings.HasPrefix(p.ContentType, "text/html") {
			t.Fatalf("GET processUrl: HTTP %d, %s", p.Code, p.ContentType)
		}
		// basicRequest asks for es_CO: the page is in Spanish, with Colombia's numbers.
		for _, want := range []string{"PAGE-1", "$ 123,45 USD", "Pagar con tarjeta"} {
			if !strings.Contains(p.HTML, want) {
				t.Errorf("the page does not show %q", want)
			}
		}
		f := p.payForm(t)
		if d := cmp.Diff([]string{"card", "cvv", "expiry"}, sortedKeys(f.Fields)); d != "" {
			t.Errorf("pay form fields (-want +got):\n%s", d)
		}
		code, loc := submit(t, created.ProcessURL, f, map[string]string{"card": "4110 7600 0000 0081", "expiry": "12/29", "cvv": "123"})
		if code != http.StatusSeeOther || loc != req.ReturnURL {
			t.Fatalf("pay: HTTP %d to %q, want 303 to %q", code, loc, req.ReturnURL)
		}
		info := e.query(created.RequestID)
		wantStatus(t, "session", info.Status, "APPROVED/00")
		last, ok := info.LastApprovedTransaction()
		if !ok {
			t.Fatal("no approved transaction")
		}
		checkTx(t, last, txWant{
			status: "APPROVED", reason: "00", ref: int64(last.InternalReference), reference: "PAGE-1", total: "123.45",
			currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
		})
		if after := getPage(t, created.ProcessURL); len(after.Forms) != 0 {
			t.Errorf("a paid session's page still has %d forms", len(after.Forms))
		}
	})

	t.Run("declined, then approved", func(t *testing.T) {
		req := basicRequest("PAGE-2", "20.00")
		created := e.create(req)
		p := getPage(t, created.ProcessURL)
		code, loc := submit(t, created.ProcessURL, p.payForm(t), map[string]string{"card": visaDeny})
		pageURL, _ := url.Parse(created.ProcessURL)
		if code != http.StatusSeeOther || loc != pageURL.Path {
			t.Fatalf("declined pay: HTTP %d to %q, want 303 back to %q", code, loc, pageURL.Path)
		}
		wantStatus(t, "session after the decline", e.query(created.RequestID).Status, "PENDING/PT")
		p = getPage(t, created.ProcessURL)
		if !strings.Contains(p.HTML, "Pago rechazado") || !strings.Contains(p.HTML, "No se realizó ningún cobro") {
			t.Errorf("the page does not say the card was declined:\n%s", p.HTML)
		}
		code, loc = submit(t, created.ProcessURL, p.payForm(t), map[string]string{"card": masterApprove})
		if code != http.StatusSeeOther || loc != req.ReturnURL {
			t.Fatalf("pay: HTTP %d to %q, want 303 to %q", code, loc, req.ReturnURL)
		}
		info := e.query(created.RequestID)
		wantStatus(t, "session", info.Status, "APPROVED/00")
		if len(info.Payment) != 2 || info.Payment[0].Franchise != "CR_MC" || info.Payment[1].Status.Status != placetopay.StatusRejected {
			t.Errorf("payments %+v, want the approved mastercard, then the declined visa", info.Payment)
		}
	})

	t.Run("pending card returns to the merchant", func(t *testing.T) {
		req := basicRequest("PAGE-3", "20.00")
		created := e.create(req)
		code, loc := submit(t, created.ProcessURL, getPage(t, created.ProcessURL).payForm(t), map[string]string{"card": visaPendingApprove})
		if code != http.StatusSeeOther || loc != req.ReturnURL {
			t.Fatalf("pay: HTTP %d to %q, want 303 to %q", code, loc, req.ReturnURL)
		}
		wantStatus(t, "session while pending", e.query(created.RequestID).Status, "PENDING/PT")
		e.advance(5 * time.Minute)
		wantStatus(t, "session once resolved", e.query(created.RequestID).Status, "APPROVED/00")
	})

	t.Run("partial, in two parts", func(t *testing.T) {
		req := basicRequest("PAGE-4", "100.00")
		req.Payment.AllowPartial = true
		created := e.create(req)
		f := getPage(t, created.ProcessURL).payForm(t)
		if f.Fields["amount"] != "100" && f.Fields["amount"] != "100.00" {
			t.Errorf("the amount field offers %q, want all that is due", f.Fields["amount"])
		}
		code, _ := submit(t, created.ProcessURL, f, map[string]string{"card": visaApprove, "amount": "35.50"})
		if code != http.StatusSeeOther {
			t.Fatalf("first part: HTTP %d", code)
		}
		wantStatus(t, "session after a part", e.query(created.RequestID).Status, "APPROVED_PARTIAL/P0")
		p := getPage(t, created.ProcessURL)
		if !strings.Contains(p.HTML, "$ 64,50 USD") {
			t.Error("the page does not show the $ 64,50 USD still due")
		}
		code, loc := submit(t, created.ProcessURL, p.payForm(t), map[string]string{"card": visaApprove})
		if code != http.StatusSeeOther || loc != req.ReturnURL {
			t.Fatalf("last part: HTTP %d to %q", code, loc)
		}
		wantStatus(t, "session", e.query(created.RequestID).Status, "APPROVED/00")
	})

	t.Run("subscription saves the card", func(t *testing.T) {
		req := basicRequest("PAGE-5", "1")
		req.Payment, req.Subscription = nil, &placetopay.SubscriptionRequest{Reference: "PAGE-5"}
		created := e.create(req)
		code, loc := submit(t, created.ProcessURL, getPage(t, created.ProcessURL).payForm(t), map[string]string{"card": amexApprove})
		if code != http.StatusSeeOther || loc != req.ReturnURL {
			t.Fatalf("save: HTTP %d to %q", code, loc)
		}
		info := e.query(created.RequestID)
		wantStatus(t, "session", info.Status, "APPROVED/00")
		if tok, _ := info.Subscription.Instrument.Lookup("token"); tok == "" {
			t.Error("no token after saving a card on the page")
		}
	})

	cancels := []struct {
		name, cancelURL string
	}{
		{"cancel returns to returnUrl", ""},
		{"cancel goes to cancelUrl", "https://shop.example/cancelled"},
	}
	for i, tc := range cancels {
		t.Run(tc.name, func(t *testing.T) {
			req := basicRequest("PAGE-C"+string(rune('0'+i)), "20.00")
			req.CancelURL = tc.cancelURL
			created := e.create(req)
			code, loc := submit(t, created.ProcessURL, getPage(t, created.ProcessURL).cancelForm(t), nil)
			want := req.ReturnURL
			if tc.cancelURL != "" {
				want = tc.cancelURL
			}
			if code != http.StatusSeeOther || loc != want {
				t.Fatalf("cancel: HTTP %d to %q, want 303 to %q", code, loc, want)
			}
			wantStatus(t, "session", e.query(created.RequestID).Status, "REJECTED/?C")
		})
	}

	t.Run("wrong key", func(t *testing.T) {
		created := e.create(basicRequest("PAGE-K", "1.00"))
		wrong := created.ProcessURL[:len(created.ProcessURL)-1] + "x"
		if p := getPage(t, wrong); p.Code != http.StatusNotFound {
			t.Errorf("GET with a wrong key: HTTP %d, want 404", p.Code)
		}
	})
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
