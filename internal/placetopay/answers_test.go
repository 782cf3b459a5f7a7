package placetopay

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// answerFile reads a session query answer kept under testdata/answers.
func answerFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "answers", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Real answers with numbers as PHP's json_encode and other encoders write them (an exponent
// in factor, total and internalReference, trailing zeros in a string total) and fields the
// gateway never reads holding types nobody documented (docs/placetopay.md#payload-quirks)
// are read through QuerySession and the Provider: every amount is exact in its currency's
// minor units, or not counted at all.
func TestQuerySessionReadsNumbersInEveryForm(t *testing.T) {
	tests := []struct {
		file       string
		want       []string // "internalReference status currency minor", or "… not counted"
		lastDigits string
	}{
		{"approved_php_floats.json", []string{"1643293 APPROVED COP 10000000", "1643288 REJECTED COP 10000000"}, "1111"},
		{"approved_clp_string_total.json", []string{"88001 APPROVED CLP 59900"}, "0081"},
		{"approved_unread_fields_odd.json", []string{"90001 APPROVED USD 5990"}, ""},
		{"approved_inexact_amount.json", []string{"90002 APPROVED USD not counted"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fake := newFake(t, fixed(http.StatusOK, answerFile(t, tt.file)))
			s, err := Provider{Client: newTestClient(t, testConfig(fake.URL))}.QuerySession(bg, 1)
			if err != nil {
				t.Fatalf("QuerySession: %v", err)
			}
			var got []string
			for _, p := range s.Payments {
				amount := fmt.Sprint(p.AmountMinor)
				if !p.AmountOK {
					amount = "not counted"
				}
				got = append(got, fmt.Sprintf("%d %s %s %s", p.InternalReference, p.Status, p.Currency, amount))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("payments (-want +got):\n%s", diff)
			}
			if s.Status != orders.ProviderApproved || s.Payments[0].LastDigits != tt.lastDigits {
				t.Errorf("status %s, lastDigits %q; want APPROVED, %q", s.Status, s.Payments[0].LastDigits, tt.lastDigits)
			}
		})
	}
}

// The Provider tells the orders domain whether PlacetoPay answered something the gateway
// cannot read (an *orders.UnreadableAnswerError), answered with a failure (an
// *orders.ProviderError) or could not be reached (neither): only the first can be settled
// by nobody but a person.
func TestProviderTellsUnreadableFromUnreachable(t *testing.T) {
	closed := newFake(t, fixed(http.StatusOK, "{}"))
	closed.Close()
	tests := []struct {
		name       string
		url        string
		unreadable bool
		answered   bool // an *orders.ProviderError
	}{
		{"not JSON", newFake(t, fixed(http.StatusOK, "<html><body>Service Unavailable</body></html>")).URL, true, false},
		{"no status", newFake(t, fixed(http.StatusOK, `{"requestId":1}`)).URL, true, false},
		{"an object for internalReference", newFake(t, fixed(http.StatusOK,
			`{"requestId":1,"status":{"status":"APPROVED","reason":"00"},"payment":[{"status":{"status":"APPROVED"},"internalReference":{"id":5}}]}`)).URL, true, false},
		{"a number for the session status", newFake(t, fixed(http.StatusOK, `{"requestId":1,"status":{"status":"APPROVED","reason":"00"},"payment":[{"status":{"status":1}}]}`)).URL, true, false},
		{"HTTP 503", newFake(t, fixed(http.StatusServiceUnavailable, "")).URL, false, true},
		{"connection refused", closed.URL, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.url)
			cfg.MaxAttempts = 1
			_, err := Provider{Client: newTestClient(t, cfg)}.QuerySession(bg, 1)
			if err == nil {
				t.Fatal("QuerySession succeeded")
			}
			var unreadable *orders.UnreadableAnswerError
			var answered *orders.ProviderError
			if errors.As(err, &unreadable) != tt.unreadable || errors.As(err, &answered) != tt.answered {
				t.Errorf("QuerySession: %v (%T): unreadable %v, answered %v; want %v, %v",
					err, err, errors.As(err, &unreadable), errors.As(err, &answered), tt.unreadable, tt.answered)
			}
		})
	}
}
