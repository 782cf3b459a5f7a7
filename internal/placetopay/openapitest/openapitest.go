// Package openapitest validates HTTP requests and responses against PlacetoPay's own OpenAPI
// 3.1 descriptions (copies in internal/placetopay/testdata/spec, each naming its source on its
// first line), for the client's and the sandbox's tests.
package openapitest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel"
)

// Specs.
const (
	Checkout = "checkout-openapi.yaml"
	Autopay  = "autopay-openapi.yaml"
)

// patches fix what keeps PlacetoPay's published documents from compiling as JSON Schema, and
// nothing else. Each must still match the published text (TestPatchesStillNeeded), so a fixed
// document retires its patch.
var patches = []struct {
	name string
	re   *regexp.Regexp
	repl string
}{
	// The non-standard type "enum" (its enum lists stay), inline and as a type-list item.
	{"inline enum type", regexp.MustCompile(`type: enum\b`), "type: string"},
	{"enum type-list item", regexp.MustCompile(`(?m)^(\s*)- enum\s*$`), "${1}- string"},
	// References into a shared base file that is not published become any object.
	{"unpublished base reference", regexp.MustCompile(`\$ref: ["']\.\./base/en\.yaml#[^"']*["']`), "type: object"},
	// The autopay document refers to the checkout one by its source name.
	{"checkout reference", regexp.MustCompile(`\.\./checkout/en\.yaml#`), Checkout + "#"},
	// OpenAPI 3.0's nullable, which 3.1 dropped.
	{"nullable keyword", regexp.MustCompile(`(?m)^\s*nullable: "?true"?\s*\n`), ""},
	// Dispersion's `type: array` followed by a stray "- 'null'" line.
	{"dispersion type", regexp.MustCompile(`type: array\n(\s*)- 'null'`), "type:\n${1}- array\n${1}- 'null'"},
	// Lengths written as strings: maxLength: "64".
	{"quoted length", regexp.MustCompile(`(?m)^(\s*(?:minLength|maxLength): *)"(\d+)"\s*$`), "${1}${2}"},
	// Property names with a stray trailing space.
	{"trailing space in names", regexp.MustCompile(`'(currency|total|dueDate|notificationUrl) ':`), "${1}:"},
}

// Dir returns the folder holding the PlacetoPay specs, internal/placetopay/testdata/spec, found
// from the module root (the first folder with a go.mod above the working directory), so that
// the tests of any package in the module read the same copies.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "internal", "placetopay", "testdata", "spec")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("openapitest: no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	mu    sync.Mutex
	cache = map[string]validator.Validator{}
)

// Validator returns a validator for spec (Checkout or Autopay), built once per test binary.
func Validator(t testing.TB, spec string) validator.Validator {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if v, ok := cache[spec]; ok {
		return v
	}
	// The autopay document refers into the checkout one; both are patched into one folder.
	dir := t.TempDir() // references are resolved while the validator is built
	var text string
	for _, name := range []string{Checkout, Autopay} {
		raw, err := os.ReadFile(filepath.Join(Dir(t), name))
		if err != nil {
			t.Fatalf("openapitest: %v", err)
		}
		patched := patch(string(raw), map[string]int{})
		if err := os.WriteFile(filepath.Join(dir, name), []byte(patched), 0o600); err != nil {
			t.Fatal(err)
		}
		if name == spec {
			text = patched
		}
	}
	doc, err := libopenapi.NewDocumentWithConfiguration([]byte(text), &datamodel.DocumentConfiguration{
		BasePath: dir, AllowFileReferences: true,
	})
	if err != nil {
		t.Fatalf("openapitest: %s: %v", spec, err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("openapitest: %s: %v", spec, errs)
	}
	cache[spec] = v
	return v
}

// patch applies every patch to text and counts the matches of each.
func patch(text string, counts map[string]int) string {
	for _, p := range patches {
		counts[p.name] += len(p.re.FindAllStringIndex(text, -1))
		text = p.re.ReplaceAllString(text, p.repl)
	}
	return text
}

// Request reports every way req breaks spec. The request body is read and restored.
func Request(t testing.TB, spec string, req *http.Request) []string {
	t.Helper()
	restoreBody(t, req)
	ok, errs := Validator(t, spec).ValidateHttpRequestSync(req)
	restoreBody(t, req)
	if ok {
		return nil
	}
	return describe(errs)
}

// Response reports every way resp, the answer to req, breaks spec. Both bodies are read and
// restored.
func Response(t testing.TB, spec string, req *http.Request, resp *http.Response) []string {
	t.Helper()
	restoreBody(t, req)
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		defer func() { resp.Body = io.NopCloser(bytes.NewReader(b)) }()
	}
	ok, errs := Validator(t, spec).ValidateHttpResponse(req, resp)
	if ok {
		return nil
	}
	return describe(errs)
}

func restoreBody(t testing.TB, req *http.Request) {
	t.Helper()
	if req.Body == nil || req.GetBody == nil {
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				t.Fatal(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
		return
	}
	body, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	req.Body = body
}

func describe(errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		line := e.Message
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			line += "; " + f.FieldPath + " " + f.Reason
		}
		out = append(out, line)
	}
	return out
}
