package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// requestBodies are the types merchant bodies decode into, one fresh value each.
var requestBodies = []func() any{
	func() any { return new(createOrderRequest) },
	func() any { return new(checkoutRequest) },
	func() any { return new(amountBody) },
	func() any { return new(chargeRequest) },
	func() any { return new(createAutopayRequest) },
	func() any { return new(autopayTermsJSON) },
	func() any { return new(struct{}) },
}

// everything compares unexported fields too (checkoutRequest embeds checkoutOptions).
var everything = cmp.Exporter(func(reflect.Type) bool { return true })

// FuzzDecodeRequest checks the merchant request decoder against Go's encoding/json, a
// parser that takes the last of two equal names and ignores case: whatever the gateway
// accepts, that parser reads the same way, so a check in front of the gateway cannot see
// other values than the gateway acts on. What is accepted is valid UTF-8 with no two names
// of an object equal when case is ignored, and re-encodes to the same values. What is
// refused is a 400, never another error.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		`{"reference":"R-1","description":"Mug","amount":{"currency":"USD","total":59.90},"buyer":{"name":"Ana","email":"ana@example.com","address":{"city":"Cali"}},"items":[{"sku":"M","name":"Mug","qty":2,"price":"29.95","tax":0}],"returnUrl":"https://shop.example/r"}`,
		`{"amount":{"currency":"USD","total":"59.90"}}`,
		`{"amount":{"currency":"COP","total":1000000}}`,
		`{"locale":"es_CO","expiresIn":900,"type":"checkin","allowPartial":true,"dispersion":[{"agreement":30,"agreementType":"MERCHANT","amount":{"currency":"USD","total":"1.00"}}],"recurring":{"periodicity":"M","interval":1,"maxPeriods":-1}}`,
		`{"customerReference":"C-1","paymentMethodId":"01a241ec-205b-7524-8f6e-f1ae74fe3b15","amount":{"currency":"USD","total":"5"},"installments":3}`,
		`{"reference":"ACC-1","description":"Plan","dueDay":5,"recurring":{"type":"FIXED","periodicity":"M","interval":1,"nextPayment":"2027-01-05"},"amount":{"currency":"USD","total":"25.00"}}`,
		`{}`,
		`{"amount":{"currency":"USD","total":"1.00"},"amount":{"currency":"USD","total":"999.00"}}`,
		`{"AMOUNT":{"currency":"USD","total":"1.00"}}`,
		`{"amount":{"currency":"USD","total":1e2}}`,
		"{\"description\":\"caf\xe9\"}",
		`{"description":"\ud800"}`,
		`{"description":"\u00e9\u0000"}`,
		`{"amount":null,"items":null,"buyer":null}`,
		`[{"amount":{}}]`,
		`{"items":[{"qty":1.5}]}`,
		`{} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fresh := range requestBodies {
			got := fresh()
			err := decodeBody(body, got)
			if err != nil {
				var bad *badRequest
				if !errors.As(err, &bad) {
					t.Fatalf("%T: refused with %T %v, want a 400", got, err, err)
				}
				continue
			}
			if !utf8.Valid(body) {
				t.Fatalf("%T: accepted invalid UTF-8: %q", got, body)
			}
			if a, b, ok := sameNameTwice(body); ok {
				t.Fatalf("%T: accepted names %q and %q in one object: %q", got, a, b, body)
			}
			other := fresh()
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(other); err != nil {
				t.Fatalf("%T: accepted %q, which encoding/json refuses: %v", got, body, err)
			}
			if d := cmp.Diff(got, other, everything); d != "" {
				t.Fatalf("%T: %q reads otherwise to encoding/json (-gateway +encoding/json):\n%s", got, body, d)
			}
			again, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("%T: re-encode %+v: %v", got, got, err)
			}
			back := fresh()
			if err := decodeBody(again, back); err != nil {
				t.Fatalf("%T: the re-encoded %s is refused: %v", got, again, err)
			}
			if d := cmp.Diff(got, back, everything); d != "" {
				t.Fatalf("%T: %s re-encoded as %s reads otherwise (-first +again):\n%s", got, body, again, d)
			}
		}
	})
}

// sameNameTwice finds two names of one object of body, valid JSON, that are equal when case
// is ignored. It reads body with encoding/json's tokenizer, not with the decoder under test.
func sameNameTwice(body []byte) (string, string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		names  []string
		key    bool // the next string token is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return "", "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if name, ok := tok.(string); ok && top != nil && top.object && top.key {
			for _, seen := range top.names {
				if strings.EqualFold(seen, name) {
					return seen, name, true
				}
			}
			top.names, top.key = append(top.names, name), false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a name comes next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}
