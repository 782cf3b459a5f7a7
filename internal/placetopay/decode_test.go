package placetopay

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Real payloads (docs/placetopay.md#payload-quirks): numbers as strings and strings as numbers, payment null or
// in the legacy {"transaction": [...]} shape, processorFields as {"item": [...]}, dates with
// fractional seconds and fields the client does not know, all through a session query.
func TestQueryDecodesRealPayloads(t *testing.T) {
	tx := func(ref, receipt, total, factor string) string {
		return `{"status":{"status":"APPROVED","reason":"00","message":null,"date":"2021-09-15T00:16:45.345048Z"},
			"internalReference":` + ref + `,"reference":"R-1","receipt":` + receipt + `,"franchise":"PS_VS","refunded":false,
			"amount":{"from":{"currency":"COP","total":` + total + `},"to":{"currency":"USD","total":1.05},"factor":` + factor + `},
			"processorFields":{"item":[{"keyword":"lastDigits","value":"1111","displayOn":"none"},{"keyword":"installments","value":3}]},
			"brandNewField":{"nested":[1,2,3]}}`
	}
	tests := []struct {
		name      string
		body      string
		want      summary
		wantLast  string // internal reference of LastApprovedTransaction, "" for none
		wantDigit string
	}{
		{"strings for numbers", `{"requestId":"42","status":{"status":"APPROVED","reason":"00","date":"2023-03-09T23:28:43.775Z"},
			"payment":[` + tx(`"230192"`, `"99975915"`, `"1000000.00"`, `"0.00021"`) + `],"subscription":null,"autopay":null,"unknown":true}`,
			summary{Status: "APPROVED", Reason: "00", RequestID: 42, Payments: []string{"230192 APPROVED/00 COP 1000000.00→USD 1.05 ×0.00021"}}, "230192", "1111"},
		{"numbers for strings", `{"requestId":42,"status":{"status":"APPROVED","reason":0,"message":null,"date":"2023-03-09T17:29:13-05:00"},
			"payment":[` + tx(`230192`, `99975915`, `1000000`, `1`) + `]}`,
			summary{Status: "APPROVED", Reason: "0", RequestID: 42, Payments: []string{"230192 APPROVED/00 COP 1000000→USD 1.05 ×1"}}, "230192", "1111"},
		{"payment null", `{"requestId":1,"status":{"status":"PENDING","reason":"PT","date":"2021-11-30T15:45:57-05:00"},"payment":null}`,
			summary{Status: "PENDING", Reason: "PT", RequestID: 1}, "", ""},
		{"payment absent", `{"requestId":1,"status":{"status":"PENDING","reason":"PT","date":"2021-11-30T15:45:57-05:00"}}`,
			summary{Status: "PENDING", Reason: "PT", RequestID: 1}, "", ""},
		{"legacy payment.transaction", `{"requestId":"7","status":{"status":"APPROVED","reason":"00","date":"2021-11-30T15:45:57-05:00"},
			"payment":{"transaction":[` + tx(`"11"`, `"1"`, `"10.00"`, `"1"`) + `,` + tx(`"10"`, `"2"`, `"10.00"`, `"1"`) + `]}}`,
			summary{Status: "APPROVED", Reason: "00", RequestID: 7, Payments: []string{
				"11 APPROVED/00 COP 10.00→USD 1.05 ×1", "10 APPROVED/00 COP 10.00→USD 1.05 ×1"}}, "11", "1111"},
		{"payment as a lone object", `{"requestId":8,"status":{"status":"APPROVED","reason":"00","date":"2021-11-30T15:45:57-05:00"},
			"payment":` + tx(`5`, `"3"`, `2`, `1`) + `}`,
			summary{Status: "APPROVED", Reason: "00", RequestID: 8, Payments: []string{"5 APPROVED/00 COP 2→USD 1.05 ×1"}}, "5", "1111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(200, tt.body))
			info, err := newTestClient(t, testConfig(fake.URL)).QuerySession(bg, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(info)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			last, ok := info.LastApprovedTransaction()
			if got := map[bool]string{true: itoa64(int64(last.InternalReference))}[ok]; got != tt.wantLast {
				t.Errorf("last approved = %q, want %q", got, tt.wantLast)
			}
			if ok {
				if v, _ := last.ProcessorFields.Lookup("lastDigits"); v != tt.wantDigit {
					t.Errorf("lastDigits = %q", v)
				}
				if _, err := last.Status.Time(); err != nil {
					t.Errorf("fractional date: %v", err)
				}
			}
		})
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestNameValuePairsShapes(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // keywords
	}{
		{"array", `[{"keyword":"a","value":1},{"keyword":"b","value":"x"}]`, []string{"a", "b"}},
		{"null", `null`, nil},
		{"legacy item", `{"item":[{"keyword":"a","value":1}]}`, []string{"a"}},
		{"lone pair", `{"keyword":"1111","value":"lastDigits","displayOn":"none"}`, []string{"1111"}},
		{"empty object", `{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p NameValuePairs
			if err := json.Unmarshal([]byte(tt.in), &p); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, kv := range p {
				got = append(got, kv.Keyword)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A numeric agreement is sent as a number (the OpenAPI type), anything else as a string,
// and both decode back to the same text.
func TestDispersionAgreement(t *testing.T) {
	tests := []struct{ agreement, want string }{
		{"30", `{"agreement":30,"agreementType":"AIRLINE","amount":{"currency":"USD","total":1}}`},
		{"", `{"agreementType":"AIRLINE","amount":{"currency":"USD","total":1}}`},
		{"0123", `{"agreement":"0123","agreementType":"AIRLINE","amount":{"currency":"USD","total":1}}`},
		{"SITE-9", `{"agreement":"SITE-9","agreementType":"AIRLINE","amount":{"currency":"USD","total":1}}`},
		{"1234567890123456", `{"agreement":"1234567890123456","agreementType":"AIRLINE","amount":{"currency":"USD","total":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.agreement, func(t *testing.T) {
			d := Dispersion{Agreement: String(tt.agreement), AgreementType: "AIRLINE", Amount: Amount{Currency: "USD", Total: "1"}}
			b, err := json.Marshal(d)
			if err != nil || string(b) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tt.want)
			}
			var back Dispersion
			if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(back, d) {
				t.Errorf("round trip = %+v, %v", back, err)
			}
		})
	}
}

// An autopay session query carries the enrolments.
func TestAutopaysDecode(t *testing.T) {
	body := `{"requestId":"3","status":{"status":"APPROVED","reason":"00","date":"2026-03-10T09:30:00-05:00"},"payment":null,"subscription":null,
		"autopay":[{"status":{"status":"APPROVED","reason":"00","message":"ok"},"id":"2972c13d-6315-4da3-80d7-64c24eb232ad","siteId":"1234",
		"subscription":{"reference":"ACC00012345","description":"Luz","amount":{"currency":"USD","total":"100.00"},
		"recurring":{"type":"FIXED","periodicity":"M","interval":"1","nextPayment":"2026-04-05"}},
		"instrument":{"token":{"token":"t0k","lastDigits":1111,"installments":"3"}},
		"additional":{"dueDay":"15","customerAccountNumber":12345,"sessionId":"defe7220-2203-3bf1-af97-fcf4cebb18af"},
		"acceptedAt":"2021-09-24T10:02:17-05:00"}]}`
	fake := newFake(t, fixed(200, body))
	info, err := newTestClient(t, testConfig(fake.URL)).QueryAutopaySession(bg, 3)
	if err != nil {
		t.Fatal(err)
	}
	list, err := info.Autopays()
	if err != nil || len(list) != 1 {
		t.Fatalf("Autopays = %v, %v", list, err)
	}
	a := list[0]
	got := []string{a.ID, itoa64(int64(a.SiteID)), string(a.Subscription.Amount.Total), a.Subscription.Recurring.Type,
		itoa64(int64(a.Subscription.Recurring.Interval)), string(a.Instrument.Token.LastDigits), itoa64(int64(a.Additional.DueDay)),
		string(a.Additional.CustomerAccountNumber)}
	want := []string{"2972c13d-6315-4da3-80d7-64c24eb232ad", "1234", "100.00", "FIXED", "1", "1111", "15", "12345"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if fake.requests()[0].Path != "/autopay/session/3" {
		t.Errorf("path %s", fake.requests()[0].Path)
	}
}

// An autopay whose fields the gateway never reads (siteId, payer, buyer, dates) hold types
// nobody documented still decodes, with what the gateway records intact; its amount in an
// exponent form reads exactly.
func TestAutopayUnreadFieldsAreLenient(t *testing.T) {
	body := `{"status":{"status":"OK","reason":"00","date":"2026-03-10T09:30:00-05:00"},"data":[{
		"id":"2972c13d-6315-4da3-80d7-64c24eb232ad","status":{"status":"APPROVED","reason":"00"},
		"siteId":{"id":1234},"payer":"n/a","buyer":[1],"acceptedAt":1632495737,"createdAt":true,"updatedAt":null,
		"subscription":{"reference":"ACC00012345","description":"Luz","amount":{"currency":"CLP","total":2.0E+3},
		"recurring":{"type":"FIXED","periodicity":"M","interval":1.0,"nextPayment":"2026-04-05"}}}]}`
	fake := newFake(t, fixed(200, body))
	res, err := newTestClient(t, testConfig(fake.URL)).SearchAutopay(bg, AutopaySearchRequest{})
	if err != nil || len(res.Data) != 1 {
		t.Fatalf("SearchAutopay = %+v, %v", res, err)
	}
	a := res.Data[0]
	m, err := a.Subscription.Amount.Total.Money(a.Subscription.Amount.Currency)
	if a.ID != "2972c13d-6315-4da3-80d7-64c24eb232ad" || a.Status.Status != StatusApproved || a.Subscription.Reference != "ACC00012345" ||
		a.Subscription.Recurring.Interval != 1 || err != nil || m.Minor != 2000 || a.SiteID != 0 || a.Payer != nil || a.AcceptedAt != "" {
		t.Errorf("autopay = %+v, amount %v, %v", a, m, err)
	}
}
