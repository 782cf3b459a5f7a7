package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/strictjson"
)

// exact keeps a number's text, as the gateway's money types do.
type exact string

func (e *exact) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == 'n' || b[0] == 't' || b[0] == 'f' || b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("%s is not a number or a string", b)
	}
	*e = exact(bytes.Trim(b, `"`))
	return nil
}

type amount struct {
	Currency string `json:"currency"`
	Total    exact  `json:"total"`
}

type item struct {
	Name string `json:"name"`
	Tax  exact  `json:"tax"`
}

type options struct {
	AllowPartial bool `json:"allowPartial"`
}

type request struct {
	Amount *amount          `json:"amount"`
	Items  []item           `json:"items"`
	Extra  json.RawMessage  `json:"extra"`
	Tags   map[string]item  `json:"tags"`
	Secret string           `json:"-"`
	Plain  string           // no tag: the Go name
	hidden string           //nolint:unused // unexported: never a JSON name
	Nested *struct{ A int } `json:"nested"`
	options
}

func TestUnmarshalAccepts(t *testing.T) {
	body := `{"amount":{"currency":"USD","total":59.90},"items":[{"name":"a","tax":"1.10"}],"extra":{"any":[1,{"b":2}]},
		"tags":{"x":{"name":"y"}},"Plain":"p","nested":{"A":1},"allowPartial":true}` + " \n"
	var got request
	if err := strictjson.Unmarshal([]byte(body), &got, strictjson.RejectUnknown); err != nil {
		t.Fatal(err)
	}
	want := request{Amount: &amount{"USD", "59.90"}, Items: []item{{"a", "1.10"}}, Extra: json.RawMessage(`{"any":[1,{"b":2}]}`),
		Tags: map[string]item{"x": {Name: "y"}}, Plain: "p", Nested: &struct{ A int }{1}, options: options{AllowPartial: true}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(request{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// Every refusal names the rule broken and the member at fault, as a path.
func TestUnmarshalRefuses(t *testing.T) {
	tests := []struct {
		name, body string
		policy     strictjson.Policy
		kind       strictjson.Kind
		field      string
	}{
		{"empty", "", strictjson.RejectUnknown, strictjson.Empty, ""},
		{"whitespace", " \t\r\n", strictjson.RejectUnknown, strictjson.Empty, ""},
		{"duplicate name", `{"amount":{"currency":"USD","total":"1.00"},"amount":{"currency":"USD","total":"999.00"}}`, strictjson.RejectUnknown, strictjson.Duplicate, "amount"},
		{"duplicate nested name", `{"amount":{"total":"1.00","total":"999.00"}}`, strictjson.RejectUnknown, strictjson.Duplicate, "amount.total"},
		{"duplicate in an array", `{"items":[{},{"tax":1,"tax":2}]}`, strictjson.RejectUnknown, strictjson.Duplicate, "items[1].tax"},
		{"duplicate in a raw value", `{"extra":{"a":1,"a":2}}`, strictjson.IgnoreUnknown, strictjson.Duplicate, "extra.a"},
		{"duplicate unknown names", `{"x":1,"x":2}`, strictjson.IgnoreUnknown, strictjson.Duplicate, "x"},
		{"case variant", `{"AMOUNT":{"currency":"USD","total":"1.00"}}`, strictjson.RejectUnknown, strictjson.CaseMismatch, "AMOUNT"},
		{"case variant, unknown ignored", `{"AMOUNT":{"currency":"USD","total":"1.00"}}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "AMOUNT"},
		{"case variant beside the field", `{"amount":{"total":"1"},"Amount":{"total":"9"}}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "Amount"},
		{"nested case variant", `{"items":[{"name":"a"},{"Tax":"1"}]}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "items[1].Tax"},
		{"case variant of an embedded field", `{"allowpartial":true}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "allowpartial"},
		{"case variant in a map value", `{"tags":{"x":{"NAME":"y"}}}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "tags.x.NAME"},
		{"case variant of a Go name", `{"plain":"p"}`, strictjson.RejectUnknown, strictjson.CaseMismatch, "plain"},
		{"long s, which encoding/json folds to s", `{"tagſ":{}}`, strictjson.IgnoreUnknown, strictjson.CaseMismatch, "tagſ"},
		{"unknown", `{"colour":"red"}`, strictjson.RejectUnknown, strictjson.UnknownField, "colour"},
		{"nested unknown", `{"items":[{},{"colour":"red"}]}`, strictjson.RejectUnknown, strictjson.UnknownField, "items[1].colour"},
		{"ignored field by name", `{"Secret":"s"}`, strictjson.RejectUnknown, strictjson.UnknownField, "Secret"},
		{"unexported field by name", `{"hidden":"s"}`, strictjson.RejectUnknown, strictjson.UnknownField, "hidden"},
		{"invalid UTF-8", "{\"items\":[{\"name\":\"a\xffb\"}]}", strictjson.RejectUnknown, strictjson.Syntax, "items[0].name"},
		{"invalid UTF-8 in an ignored member", "{\"x\":\"\xc3\"}", strictjson.IgnoreUnknown, strictjson.Syntax, "x"},
		{"invalid UTF-8 in a name", "{\"\xff\":1}", strictjson.IgnoreUnknown, strictjson.Syntax, ""},
		{"lone surrogate", `{"items":[{"name":"\ud800"}]}`, strictjson.RejectUnknown, strictjson.Syntax, "items[0].name"},
		{"trailing data", `{}x`, strictjson.RejectUnknown, strictjson.Syntax, ""},
		{"two values", `{}{}`, strictjson.RejectUnknown, strictjson.Syntax, ""},
		{"trailing brace", `{}}`, strictjson.RejectUnknown, strictjson.Syntax, ""},
		{"cut short", `{"amount":{"total":"1"}`, strictjson.RejectUnknown, strictjson.Syntax, ""},
		{"wrong type", `{"amount":{"currency":840}}`, strictjson.RejectUnknown, strictjson.WrongType, "amount.currency"},
		{"wrong type in an array", `{"items":[{},{"name":5}]}`, strictjson.RejectUnknown, strictjson.WrongType, "items[1].name"},
		{"refused by a method", `{"amount":{"total":true}}`, strictjson.RejectUnknown, strictjson.WrongType, "amount.total"},
		{"array for the body", `[]`, strictjson.RejectUnknown, strictjson.WrongType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v request
			err := strictjson.Unmarshal([]byte(tt.body), &v, tt.policy)
			var e *strictjson.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *strictjson.Error", err, err)
			}
			if e.Kind != tt.kind || e.Field != tt.field {
				t.Errorf("kind %d field %q (%v), want kind %d field %q", e.Kind, e.Field, err, tt.kind, tt.field)
			}
		})
	}
}

// The messages say what to change, naming the field as sent.
func TestErrorMessages(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"amount":{},"amount":{}}`, `duplicate field "amount": a name may appear only once in an object`},
		{`{"AMOUNT":{}}`, `unknown field "AMOUNT": names are case-sensitive, the field is "amount"`},
		{`{"colour":1}`, `unknown field "colour"`},
		{``, `the body is empty; a JSON object is required`},
	}
	for _, tt := range tests {
		var v request
		if err := strictjson.Unmarshal([]byte(tt.body), &v, strictjson.RejectUnknown); err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.body, err, tt.want)
		}
	}
}
