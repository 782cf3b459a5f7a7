package placetopay

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay/openapitest"
)

// iso4217Exponents are the minor-unit exponents of ISO 4217 for the currencies PlacetoPay's
// documents name.
var iso4217Exponents = map[string]int{
	"AUD": 2, "CAD": 2, "CLP": 0, "COP": 2, "CRC": 2, "EUR": 2, "GBP": 2, "MXN": 2, "USD": 2, "UYU": 2,
}

// documentedCurrencies walks an OpenAPI document for every currency it names: the enum of a
// property called currency, and the value of a currency key in an example.
func documentedCurrencies(t *testing.T, spec string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(openapitest.Dir(t), spec))
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var found []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := strings.TrimSpace(n.Content[i].Value), n.Content[i+1]
				if key != "currency" {
					continue
				}
				switch val.Kind {
				case yaml.ScalarNode:
					found = append(found, val.Value)
				case yaml.MappingNode:
					for j := 0; j+1 < len(val.Content); j += 2 {
						if val.Content[j].Value == "enum" {
							for _, c := range val.Content[j+1].Content {
								found = append(found, c.Value)
							}
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	slices.Sort(found)
	return slices.Compact(found)
}

// Every currency PlacetoPay's Checkout and autopay documents list (the autopay amount enum
// among them: USD, COP, CRC, EUR, CAD, AUD, GBP, MXN, CLP) is one the gateway knows, with
// its ISO 4217 exponent: an approved amount in any of them can be read.
func TestEveryDocumentedCurrencyIsKnown(t *testing.T) {
	var all []string
	for _, spec := range []string{openapitest.Checkout, openapitest.Autopay} {
		all = append(all, documentedCurrencies(t, spec)...)
	}
	for _, want := range []string{"AUD", "CAD", "CLP", "GBP", "UYU"} {
		if !slices.Contains(all, want) {
			t.Errorf("%s not found in the documents: the walk misses currencies", want)
		}
	}
	for _, c := range all {
		iso, ok := iso4217Exponents[c]
		if !ok {
			t.Errorf("the documents name %s: add its ISO 4217 exponent to this test", c)
			continue
		}
		if exp, ok := orders.CurrencyExponent(c); !ok || exp != iso {
			t.Errorf("CurrencyExponent(%s) = %d, %v; want %d, true", c, exp, ok, iso)
		}
	}
}
