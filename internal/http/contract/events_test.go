package contract

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// schemas returns the document's component schemas by name.
func schemas(t *testing.T) map[string]*base.Schema {
	t.Helper()
	doc, err := libopenapi.NewDocument(gatewayhttp.OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*base.Schema{}
	for pair := model.Model.Components.Schemas.First(); pair != nil; pair = pair.Next() {
		out[pair.Key()] = pair.Value().Schema()
	}
	return out
}

// validate returns what is wrong with value as an instance of schema.
func validate(t *testing.T, schema *base.Schema, value any) []string {
	t.Helper()
	b, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(schema, b)
	if ok {
		return nil
	}
	var out []string
	for _, e := range errs {
		out = append(out, e.Message+": "+e.Reason)
		for _, f := range e.SchemaValidationErrors {
			out = append(out, f.FieldPath+" "+f.Reason)
		}
	}
	return out
}

const componentPrefix = "#/components/schemas/"

// TestEveryEventTypeHasATypedSchemaWithAnExample: Event is a oneOf discriminated by type,
// with one schema for each event type the gateway writes (orders.EventTypes and
// autopay.EventTypes), and each of those schemas has examples: events of its type, valid
// against it and against Event.
func TestEveryEventTypeHasATypedSchemaWithAnExample(t *testing.T) {
	all := schemas(t)
	event := all["Event"]
	if event == nil || event.Discriminator == nil || event.Discriminator.PropertyName != "type" {
		t.Fatal("Event is not a oneOf discriminated by type")
	}
	emitted := append(orders.EventTypes(), autopay.EventTypes()...)
	mapped := map[string]string{}
	var types []string
	for pair := event.Discriminator.Mapping.First(); pair != nil; pair = pair.Next() {
		mapped[pair.Key()] = strings.TrimPrefix(pair.Value(), componentPrefix)
		types = append(types, pair.Key())
	}
	slices.Sort(emitted)
	slices.Sort(types)
	if d := cmp.Diff(emitted, types); d != "" {
		t.Errorf("the discriminator maps other types than the gateway writes (-written +mapped):\n%s", d)
	}
	var branches, targets []string
	for _, b := range event.OneOf {
		branches = append(branches, strings.TrimPrefix(b.GetReference(), componentPrefix))
	}
	for _, name := range mapped {
		targets = append(targets, name)
	}
	slices.Sort(branches)
	slices.Sort(targets)
	if d := cmp.Diff(branches, targets); d != "" {
		t.Errorf("Event's oneOf and its discriminator name other schemas (-oneOf +mapping):\n%s", d)
	}

	for _, typ := range types {
		name := mapped[typ]
		t.Run(typ, func(t *testing.T) {
			schema := all[name]
			if schema == nil {
				t.Fatalf("%s maps to %s, which the document does not define", typ, name)
			}
			if len(schema.Examples) == 0 {
				t.Fatalf("%s has no example", name)
			}
			for i, node := range schema.Examples {
				var example map[string]any
				if err := node.Decode(&example); err != nil {
					t.Fatalf("example %d: %v", i, err)
				}
				if example["type"] != typ {
					t.Errorf("example %d of %s has type %v", i, name, example["type"])
				}
				if errs := validate(t, schema, example); len(errs) > 0 {
					t.Errorf("example %d does not match %s: %v", i, name, errs)
				}
				if errs := validate(t, event, example); len(errs) > 0 {
					t.Errorf("example %d does not match Event: %v", i, errs)
				}
			}
		})
	}
}

// TestEventOfTheWrongShapeIsRefused: the branches of Event are strict enough that an event
// whose data is not its type's (a missing, extra or mistyped member, another type's
// status) fails, on its own and inside a GET /v1/events answer.
func TestEventOfTheWrongShapeIsRefused(t *testing.T) {
	all := schemas(t)
	var paid map[string]any
	if err := all["OrderPaidEvent"].Examples[0].Decode(&paid); err != nil {
		t.Fatal(err)
	}
	// mutate returns a copy of the paid example with change applied to its data.
	mutate := func(change func(ev, data map[string]any)) map[string]any {
		b, _ := json.Marshal(paid)
		var ev map[string]any
		_ = json.Unmarshal(b, &ev)
		change(ev, ev["data"].(map[string]any))
		return ev
	}
	if errs := validate(t, all["Event"], paid); len(errs) > 0 {
		t.Fatalf("the paid example is refused: %v", errs)
	}
	page := func(ev map[string]any) *http.Response {
		b, _ := json.Marshal(map[string]any{"data": []any{ev}, "nextCursor": "AAAAAAAAAAE"})
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(string(b)))}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://gateway.test/v1/events", nil)
	if errs := Check(req, page(paid)); len(errs) > 0 {
		t.Fatalf("a page with the paid example is refused: %v", errs)
	}

	for name, ev := range map[string]map[string]any{
		"unknown type":                  mutate(func(ev, _ map[string]any) { ev["type"] = "order.shipped" }),
		"another type's data":           mutate(func(ev, _ map[string]any) { ev["type"] = "order.refunded" }),
		"a status not the type's":       mutate(func(_, d map[string]any) { d["status"] = "failed" }),
		"a member missing":              mutate(func(_, d map[string]any) { delete(d, "paidAmount") }),
		"an unknown member":             mutate(func(_, d map[string]any) { d["from"] = "pending" }),
		"another type's member":         mutate(func(_, d map[string]any) { d["refund"] = map[string]any{"id": "x"} }),
		"an amount as a number":         mutate(func(_, d map[string]any) { d["amount"] = map[string]any{"currency": "USD", "total": 59.9} }),
		"an unknown event member":       mutate(func(ev, _ map[string]any) { ev["order"] = ev["orderId"] }),
		"no data":                       mutate(func(ev, _ map[string]any) { delete(ev, "data") }),
		"an unknown previous status":    mutate(func(_, d map[string]any) { d["previousStatus"] = "shipped" }),
		"an enrolment beside the order": mutate(func(ev, _ map[string]any) { ev["enrolmentId"] = ev["orderId"] }),
		"an autopay type on an order":   mutate(func(ev, _ map[string]any) { ev["type"] = "autopay.updated" }),
	} {
		t.Run(name, func(t *testing.T) {
			if errs := validate(t, all["Event"], ev); len(errs) == 0 {
				t.Errorf("Event accepts %v", ev)
			}
			if errs := Check(req, page(ev)); len(errs) == 0 {
				t.Errorf("GET /v1/events accepts a page with %v", ev)
			}
		})
	}
}
