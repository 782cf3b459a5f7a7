package http_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/http/contract"
)

// TestMain fails the package when any answer a test read broke the OpenAPI document.
func TestMain(m *testing.M) {
	os.Exit(contract.Finish("internal-http", m.Run()))
}

// GET /openapi.yaml serves the document kept in the repository, byte for byte, as YAML,
// without credentials.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, http.MethodGet, "/openapi.yaml", "", nil)
	r.wantStatus(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	file, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, file) {
		t.Errorf("GET /openapi.yaml is not openapi.yaml byte for byte (%d bytes served, %d in the file)", len(r.body), len(file))
	}
}

// The document is OpenAPI 3.1 that libopenapi builds with no error, and the contract
// validator loads it.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(gatewayhttp.OpenAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build model: %v", err)
	}
	if err := contract.Load(); err != nil {
		t.Fatal(err)
	}
	if len(contract.Documented()) == 0 {
		t.Fatal("the document declares no operation")
	}
}

// The contract check can fail: an answer that breaks the document is reported, one that
// follows it is not.
func TestContractRefusesDrift(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://gateway.test/v1/orders/8b1e6f1c-0000-4000-8000-000000000001", nil)
	answer := func(status int, ct, body string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}},
			Body: ioNopCloser(body), Request: req}
	}
	good := `{"type":"about:blank","title":"Not Found","status":404,"detail":"order x does not exist","code":"not_found","field":"id"}`
	if errs := contract.Check(req, answer(404, "application/problem+json", good)); len(errs) > 0 {
		t.Errorf("documented answer refused: %v", errs)
	}
	for name, resp := range map[string]*http.Response{
		"missing code":          answer(404, "application/problem+json", `{"type":"about:blank","title":"Not Found","status":404}`),
		"undocumented status":   answer(418, "application/problem+json", good),
		"order without amount":  answer(200, "application/json", `{"id":"8b1e6f1c-0000-4000-8000-000000000001","status":"paid"}`),
		"problem as plain JSON": answer(404, "text/plain", good),
	} {
		if errs := contract.Check(req, resp); len(errs) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}

func ioNopCloser(s string) *nopBody { return &nopBody{strings.NewReader(s)} }

type nopBody struct{ *strings.Reader }

func (nopBody) Close() error { return nil }
