package placetopay

import (
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// FuzzQuerySessionAnswer reads arbitrary session query answers the way QuerySession and the
// Provider do. It never panics, and a payment whose amount counts (AmountOK) has a
// non-negative amount in a known currency that is exactly the number PlacetoPay sent, in
// whatever form it sent it (trailing zeros, an exponent, a string): an approval with an
// amount the gateway could not read exactly can only go to review.
func FuzzQuerySessionAnswer(f *testing.F) {
	client, err := New(testConfig("http://127.0.0.1:1"))
	if err != nil {
		f.Fatal(err)
	}
	k := call{op: OpQuerySession, desc: "query session 1", base: client.base, path: "/api/session/1", safe: true}
	tx := func(total string) string {
		return `{"status":{"status":"APPROVED","reason":"00","date":"2026-03-10T09:31:05-05:00"},"internalReference":1643293,"reference":"R-1",
			"amount":{"from":{"currency":"USD","total":` + total + `},"to":{"currency":"USD","total":` + total + `},"factor":1},"authorization":"999999","refunded":false}`
	}
	session := func(payment string) string {
		return `{"requestId":1,"status":{"status":"APPROVED","reason":"00","date":"2026-03-10T09:31:12-05:00"},"payment":` + payment + `}`
	}
	for _, seed := range []string{
		approvedSession,
		session(`[` + tx(`59.90`) + `]`),
		session(`[` + tx(`"59.90"`) + `]`),
		session(`[` + tx(`1e2`) + `]`),
		session(`[` + tx(`"10.005"`) + `]`),
		session(`[` + tx(`-1.00`) + `]`),
		session(`[` + tx(`"99999999999999999999.99"`) + `]`),
		session(`[` + tx(`" 1.00 "`) + `]`),
		session(`{"transaction":[` + tx(`"1.00"`) + `]}`),
		session(tx(`2`)),
		session(`null`),
		`{"requestId":"42","status":{"status":"PENDING","reason":0,"message":null,"date":"2023-03-09T23:28:43.775Z"},"payment":[],"subscription":{"status":{"status":"OK"},"instrument":{"item":[{"keyword":"token","value":"abc"}]}}}`,
		`{"status":{"status":"FAILED","reason":"0","message":"not found"}}`,
		`{"status":{"status":"APPROVED"},"payment":[{"amount":{"from":{"currency":"usd","total":"1.00"}},"status":{"status":"APPROVED"}}],"autopay":[{}]}`,
		session(`[` + tx(`1.0E+5`) + `]`),
		session(`[` + tx(`"59900.0"`) + `]`),
		session(`[` + tx(`5.990E+1`) + `]`),
		session(`[` + tx(`1.0005E+1`) + `]`),
		session(`[` + tx(`1e-999999999`) + `]`),
		session(`[` + tx(`9.99999999999E+9`) + `]`),
		session(`[` + tx(`{"v":1}`) + `]`),
		strings.Replace(session(`[`+tx(`59.90`)+`]`), `"factor":1`, `"factor":2.1e-5`, 1),
		strings.Replace(session(`[`+tx(`59.90`)+`]`), `"factor":1`, `"factor":{"rate":"2.1e-5"}`, 1),
	} {
		f.Add([]byte(seed))
	}
	for _, name := range []string{"approved_php_floats.json", "approved_clp_string_total.json", "approved_unread_fields_odd.json", "approved_inexact_amount.json"} {
		f.Add([]byte(answerFile(f, name)))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var info SessionInformation
		if _, err := client.decode(k, http.StatusOK, raw, &info); err != nil {
			return
		}
		s := providerSession(&info)
		for _, p := range s.Payments {
			if !p.AmountOK {
				continue
			}
			exp, ok := orders.CurrencyExponent(p.Currency)
			if !ok || p.AmountMinor < 0 {
				t.Fatalf("%q: payment %d counts %d minor units of %q", raw, p.InternalReference, p.AmountMinor, p.Currency)
			}
			sent, ok := new(big.Rat).SetString(p.Total)
			if _, number := parseNumber(p.Total); !ok || !number {
				t.Fatalf("%q: payment %d counts %q, which is not a decimal number", raw, p.InternalReference, p.Total)
			}
			read := new(big.Rat).SetFrac(big.NewInt(p.AmountMinor), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
			if sent.Cmp(read) != 0 {
				t.Fatalf("%q: payment %d was sent as %s %s and read as %d minor units", raw, p.InternalReference, p.Total, p.Currency, p.AmountMinor)
			}
		}
		if !json.Valid(s.Payload) {
			t.Fatalf("%q: timeline payload %q is not JSON", raw, s.Payload)
		}
		info.LastApprovedTransaction()
		_, _ = info.Autopays()
		_, _ = info.CreateRequest()
	})
}
