// Package contract checks the gateway's HTTP answers against its own OpenAPI document
// (internal/http/openapi.yaml), for the handler tests and the money-path tests: every
// response is validated, and the (path, method, status) triples seen are recorded so that a
// test binary can tell which documented answers no test produced. The events feed counts
// once more per event type: each type the Event schema maps is a documented answer of its
// own, produced when a valid page of GET /v1/events holds an event of that type.
package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

// Operation is one documented answer: a path template, a method and a status code; for the
// events feed, also the type of an event it listed.
type Operation struct {
	Path   string `json:"path"`
	Method string `json:"method"`
	Status string `json:"status"`
	Event  string `json:"event,omitempty"`
}

func (o Operation) String() string {
	s := o.Method + " " + o.Path + " " + o.Status
	if o.Event != "" {
		s += " " + o.Event
	}
	return s
}

// eventsFeed is the documented answer whose events are counted by type.
var eventsFeed = Operation{Path: "/v1/events", Method: http.MethodGet, Status: "200"}

type route struct {
	template string
	re       *regexp.Regexp
	methods  map[string][]string // method → documented statuses
}

var (
	once     sync.Once
	loadErr  error
	val      validator.Validator
	routes   []route
	events   []string // the event types the Event schema's discriminator maps
	mu       sync.Mutex
	seen     = map[Operation]bool{}
	failures []string
)

var param = regexp.MustCompile(`\\\{[^}/]+\\\}`)

func load() {
	doc, err := libopenapi.NewDocument(gatewayhttp.OpenAPIDocument)
	if err != nil {
		loadErr = err
		return
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		loadErr = fmt.Errorf("build model: %w", err)
		return
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		loadErr = fmt.Errorf("validator: %v", errs)
		return
	}
	val = v
	for pair := model.Model.Paths.PathItems.First(); pair != nil; pair = pair.Next() {
		tmpl := pair.Key()
		// QuoteMeta escapes the braces of {id}: the parameter pattern matches the escaped form.
		r := route{template: tmpl, methods: map[string][]string{},
			re: regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")}
		for op := pair.Value().GetOperations().First(); op != nil; op = op.Next() {
			var codes []string
			for c := op.Value().Responses.Codes.First(); c != nil; c = c.Next() {
				codes = append(codes, c.Key())
			}
			r.methods[strings.ToUpper(op.Key())] = codes
		}
		routes = append(routes, r)
	}
	if ev := model.Model.Components.Schemas.GetOrZero("Event"); ev != nil {
		if d := ev.Schema().Discriminator; d != nil && d.Mapping != nil {
			for pair := d.Mapping.First(); pair != nil; pair = pair.Next() {
				events = append(events, pair.Key())
			}
		}
	}
}

// Load parses the document and builds the validator once; it reports what keeps the
// document from loading.
func Load() error {
	once.Do(load)
	return loadErr
}

// Documented returns every (path, method, status) the document declares.
func Documented() []Operation {
	if err := Load(); err != nil {
		return nil
	}
	var out []Operation
	for _, r := range routes {
		for m, codes := range r.methods {
			for _, c := range codes {
				out = append(out, Operation{Path: r.template, Method: m, Status: c})
			}
		}
	}
	for _, typ := range events {
		op := eventsFeed
		op.Event = typ
		out = append(out, op)
	}
	sortOps(out)
	return out
}

func match(path string) *route {
	for i := range routes {
		if routes[i].re.MatchString(path) {
			return &routes[i]
		}
	}
	return nil
}

// Check validates resp, the gateway's answer to req, against the document. Requests to paths the document does not describe (the sandbox, the admin listener, the
// demo shop) are not the merchant API and are ignored; so is a wrong method on a documented
// path (405). It returns what is wrong, if anything; both bodies are left readable.
func Check(req *http.Request, resp *http.Response) []string {
	_, errs := check(req, resp)
	return errs
}

// check is Check, also returning the documented answers produced: the operation answered
// and, for a valid page of the events feed, one per type of event it lists (none when the
// request is not the merchant API's).
func check(req *http.Request, resp *http.Response) ([]Operation, []string) {
	if err := Load(); err != nil {
		return nil, []string{"contract: the OpenAPI document does not load: " + err.Error()}
	}
	r := match(req.URL.Path)
	if r == nil {
		return nil, nil
	}
	codes, ok := r.methods[req.Method]
	if !ok {
		return nil, nil
	}
	status := fmt.Sprint(resp.StatusCode)
	op := Operation{Path: r.template, Method: req.Method, Status: status}
	ops := []Operation{op}
	if !contains(codes, status) {
		return ops, []string{fmt.Sprintf("%s: status %s is not documented", op, status)}
	}
	var body []byte
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return ops, []string{fmt.Sprintf("%s: read body: %v", op, err)}
		}
		body = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	// The validator reads the response body; the request body is not needed for it.
	vreq := req.Clone(req.Context())
	vreq.Body = http.NoBody
	vresp := *resp
	vresp.Body = io.NopCloser(bytes.NewReader(body))
	mu.Lock()
	okv, errs := val.ValidateHttpResponse(vreq, &vresp)
	mu.Unlock()
	if okv {
		if op == eventsFeed {
			ops = append(ops, eventTypes(body)...)
		}
		return ops, nil
	}
	var out []string
	for _, e := range errs {
		line := fmt.Sprintf("%s: %s", op, e.Message)
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			line += "; " + f.FieldPath + " " + f.Reason
		}
		out = append(out, line+fmt.Sprintf(" (body %.300s)", body))
	}
	return ops, out
}

// eventTypes returns one answer of the events feed per event type listed in body.
func eventTypes(body []byte) []Operation {
	var page struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &page) != nil {
		return nil
	}
	var out []Operation
	for _, ev := range page.Data {
		op := eventsFeed
		op.Event = ev.Type
		out = append(out, op)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Transport validates every answer that passes through it (see Check). Mismatches are kept
// for Finish, which fails the test binary; next is http.DefaultTransport when nil.
type Transport struct{ Next http.RoundTripper }

// RoundTrip sends req and checks the answer.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	ops, errs := check(req, resp)
	mu.Lock()
	for _, op := range ops {
		seen[op] = true
	}
	failures = append(failures, errs...)
	mu.Unlock()
	return resp, nil
}

// Seen returns the documented answers produced so far.
func Seen() []Operation {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Operation, 0, len(seen))
	for op := range seen {
		out = append(out, op)
	}
	sortOps(out)
	return out
}

func sortOps(ops []Operation) {
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
}

// SeenEnv names a folder where Finish leaves each test binary's seen answers (name.json),
// so that the answers of several packages can be added up (CoverageMissing).
const SeenEnv = "GATEWAY_CONTRACT_SEEN_DIR"

// Finish is for TestMain, after m.Run: it reports every answer that broke the document and
// turns code into a failure when there was one. With SeenEnv set it also writes the answers
// seen to name.json there.
func Finish(name string, code int) int {
	mu.Lock()
	fails := append([]string(nil), failures...)
	mu.Unlock()
	if len(fails) > 0 {
		fmt.Fprintf(os.Stderr, "contract: %d answers do not match internal/http/openapi.yaml:\n", len(fails))
		for _, f := range fails {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		code = 1
	}
	if dir := os.Getenv(SeenEnv); dir != "" {
		b, _ := json.Marshal(Seen())
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "contract:", err)
			code = 1
		}
	}
	return code
}

// Failures returns the mismatches recorded by Transport so far.
func Failures() []string {
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), failures...)
}

// CoverageMissing returns the documented answers no file in dir records as seen.
func CoverageMissing(dir string) ([]Operation, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	got := map[Operation]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var ops []Operation
		if err := json.Unmarshal(b, &ops); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, op := range ops {
			got[op] = true
		}
	}
	var missing []Operation
	for _, op := range Documented() {
		if !got[op] {
			missing = append(missing, op)
		}
	}
	return missing, nil
}
