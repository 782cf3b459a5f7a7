package placetopay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestInstrumentOf(t *testing.T) {
	const tok = "e07ca9986cf0ecac8a557fa11c07bf37ea35e9e3e3a4180c49"
	subscription := `"subscription":{"status":{"status":"%s","reason":"00"},"type":"token","instrument":[
		{"keyword":"token","value":"` + tok + `"},{"keyword":"subtoken","value":"0000000000001234"},
		{"keyword":"franchise","value":"visa"},{"keyword":"franchiseName","value":"Visa"},
		{"keyword":"lastDigits","value":"1111"},{"keyword":"validUntil","value":"2029-12-31"},
		{"keyword":"installments","value":"3"}]}`
	payment := `"payment":[{"status":{"status":"APPROVED"},"internalReference":1,"refunded":false,"processorFields":[
		{"keyword":"token","value":"` + tok + `"},{"keyword":"lastDigits","value":"4242"},{"keyword":"installments","value":1}]}]`
	tests := []struct {
		name, body string
		want       string // lastDigits, "" for no instrument
		installs   int
	}{
		{"subscription OK", `{"requestId":1,"status":{"status":"APPROVED"},` + fmt.Sprintf(subscription, "OK") + `}`, "1111", 3},
		{"subscription not OK", `{"requestId":1,"status":{"status":"APPROVED"},` + fmt.Sprintf(subscription, "FAILED") + `}`, "", 0},
		{"session not approved", `{"requestId":1,"status":{"status":"PENDING"},` + fmt.Sprintf(subscription, "OK") + `}`, "", 0},
		{"subscribe payment's processor fields", `{"requestId":1,"status":{"status":"APPROVED"},` + payment + `}`, "4242", 1},
		{"payment without token", `{"requestId":1,"status":{"status":"APPROVED"},"payment":[{"status":{"status":"APPROVED"},"internalReference":1}]}`, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var info SessionInformation
			if err := json.Unmarshal([]byte(tt.body), &info); err != nil {
				t.Fatal(err)
			}
			in := instrumentOf(&info)
			if tt.want == "" {
				if in != nil {
					t.Fatalf("instrument = %v, want none", in)
				}
				return
			}
			if in == nil || in.Token != tok || in.LastDigits != tt.want || in.Installments != tt.installs {
				t.Fatalf("instrument = %+v, want token, last digits %s, %d installments", in, tt.want, tt.installs)
			}
			for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
				if s := fmt.Sprintf(format, *in); strings.Contains(s, tok) || strings.Contains(s, "0000000000001234") {
					t.Fatalf("%s shows the token: %s", format, s)
				}
			}
		})
	}
}
