package placetopay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// approvedSession is a session query answer as PlacetoPay sends it for a paid checkout
// (docs/placetopay.md#query-a-session): the original request echoed, the approved transaction first, an earlier
// rejected attempt after it, processorFields with values of every JSON type, a string receipt
// and numeric totals, no subscription.
const approvedSession = `{"requestId":2983457,
"status":{"status":"APPROVED","reason":"00","message":"La petición ha sido aprobada exitosamente","date":"2026-03-10T09:31:12-05:00"},
"request":{"locale":"es_CO",
 "buyer":{"document":"1040035000","documentType":"CC","name":"Ana","surname":"Gómez","email":"ana@example.com","mobile":"3006108300"},
 "payment":{"reference":"ORDER-2026-000184","description":"Pedido 184","amount":{"currency":"COP","total":184900},"allowPartial":false,"subscribe":false},
 "fields":[{"keyword":"_processUrl_","value":"https://checkout-test.placetopay.com/spa/session/2983457/1b8f0e3c5a","displayOn":"none"}],
 "returnUrl":"https://shop.example.com/return/018f2b7e-4c1a-7d2e-9a55-3f0c2d1e4b6a","ipAddress":"190.85.12.44",
 "userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
 "expiration":"2026-03-10T10:30:00-05:00","captureAddress":false,"skipResult":false,"noBuyerFill":false},
"payment":[
 {"status":{"status":"APPROVED","reason":"00","message":"Aprobada","date":"2026-03-10T09:31:05-05:00"},
  "internalReference":1643293,"reference":"ORDER-2026-000184","paymentMethod":"visa","paymentMethodName":"Visa","issuerName":"BANCOLOMBIA",
  "amount":{"from":{"currency":"COP","total":184900},"to":{"currency":"COP","total":184900},"factor":1},
  "authorization":"999999","receipt":"42317569","franchise":"PS_VS","refunded":false,
  "processorFields":[{"keyword":"merchantCode","value":"1465675","displayOn":"none"},{"keyword":"terminalNumber","value":"00990101","displayOn":"none"},
   {"keyword":"credit","value":{"code":1,"type":"00","groupCode":"C","installments":1},"displayOn":"none"},
   {"keyword":"totalAmount","value":184900,"displayOn":"none"},{"keyword":"interestAmount","value":0,"displayOn":"none"},
   {"keyword":"installmentAmount","value":184900,"displayOn":"none"},{"keyword":"iceAmount","value":0,"displayOn":"none"},
   {"keyword":"bin","value":"411111","displayOn":"none"},{"keyword":"expiration","value":"1229","displayOn":"none"},
   {"keyword":"lastDigits","value":"1111","displayOn":"none"},{"keyword":"id","value":"b8f2a2c3d8e9e4c6e2a4d0a1b9c8e7f6","displayOn":"none"},
   {"keyword":"b24","value":"00","displayOn":"none"}]},
 {"status":{"status":"REJECTED","reason":"05","message":"Rechazada","date":"2026-03-10T09:30:21-05:00"},
  "internalReference":1643288,"reference":"ORDER-2026-000184","paymentMethod":"master","paymentMethodName":"MasterCard","issuerName":"DAVIVIENDA",
  "amount":{"from":{"currency":"COP","total":"184900.00"},"to":{"currency":"COP","total":"184900.00"},"factor":"1"},
  "authorization":"000000","receipt":"42317502","franchise":"PS_MC","refunded":false,
  "processorFields":[{"keyword":"lastDigits","value":"4444","displayOn":"none"},{"keyword":"installments","value":1,"displayOn":"none"}]}
],
"subscription":null}`

// checkApproved fails b unless info is approvedSession decoded.
func checkApproved(b *testing.B, info *SessionInformation) {
	b.Helper()
	last, ok := info.LastApprovedTransaction()
	if info.RequestID != 2983457 || info.Status.Status != StatusApproved || len(info.Payment) != 2 || !ok || last.InternalReference != 1643293 {
		b.Fatalf("decoded requestId %d, status %s, %d payments, last approved %d (%t)",
			info.RequestID, info.Status.Status, len(info.Payment), last.InternalReference, ok)
	}
	if digits, _ := last.ProcessorFields.Lookup("lastDigits"); digits != "1111" {
		b.Fatalf("lastDigits = %q, want 1111", digits)
	}
}

// BenchmarkQuerySession measures reading an approved session's answer: the client's decode
// alone (status check, then the whole answer), Client.QuerySession over loopback HTTP
// (auth, request, decode), and the Provider the orders domain calls, which also maps the
// payments to minor units and builds the timeline payload.
func BenchmarkQuerySession(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, approvedSession)
	}))
	defer srv.Close()
	client, err := New(testConfig(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(approvedSession)

	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		k := call{op: OpQuerySession, desc: "query session 2983457", base: client.base, path: "/api/session/2983457", safe: true}
		for b.Loop() {
			var info SessionInformation
			if _, err := client.decode(k, http.StatusOK, raw, &info); err != nil {
				b.Fatal(err)
			}
			checkApproved(b, &info)
		}
	})
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			info, err := client.QuerySession(context.Background(), 2983457)
			if err != nil {
				b.Fatal(err)
			}
			checkApproved(b, info)
		}
	})
	b.Run("provider", func(b *testing.B) {
		b.ReportAllocs()
		p := Provider{Client: client}
		for b.Loop() {
			s, err := p.QuerySession(context.Background(), 2983457)
			if err != nil {
				b.Fatal(err)
			}
			if s.Status != "APPROVED" || len(s.Payments) != 2 || !s.Payments[0].AmountOK || s.Payments[0].AmountMinor != 18490000 ||
				s.Payments[0].LastDigits != "1111" || len(s.Payload) == 0 {
				b.Fatalf("provider session %+v", s)
			}
		}
	})
}
