package loadtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// ProviderTimer stands between a gateway and the sandbox and times each session the gateway
// opens (POST /api/session) from the moment it forwards the request to the moment the
// sandbox's answer is read, by the session's payment reference. A load run subtracts that
// from the checkout's latency to see what the gateway itself adds. Everything else passes
// untimed.
type ProviderTimer struct {
	HTTP *http.Client

	mu     sync.Mutex
	target string
	took   map[string]time.Duration // by payment reference
	conns  int                      // connections the gateways opened to it
}

// NewProviderTimer returns a ProviderTimer with no target yet.
func NewProviderTimer() *ProviderTimer {
	return &ProviderTimer{HTTP: NewClient(nil, "", "").HTTP, took: map[string]time.Duration{}}
}

// SetTarget sets the sandbox's base URL.
func (p *ProviderTimer) SetTarget(url string) {
	p.mu.Lock()
	p.target = url
	p.mu.Unlock()
}

// Took is how long the sandbox took to open the session of reference, and whether it did.
func (p *ProviderTimer) Took(reference string) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.took[reference]
	return d, ok
}

// Conns is how many connections the gateways opened to PlacetoPay so far: with connections
// kept for reuse, far fewer than the calls.
func (p *ProviderTimer) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// Listen serves on a loopback port; it returns the base URL and how to stop it.
func (p *ProviderTimer) Listen() (string, func(), error) {
	return serveLoopback(&http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second, ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			p.mu.Lock()
			p.conns++
			p.mu.Unlock()
		}
	}})
}

func (p *ProviderTimer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	if target == "" {
		http.Error(w, "no sandbox yet", http.StatusBadGateway)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	start := time.Now()
	resp, err := p.HTTP.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/session" {
		var s struct {
			Payment struct {
				Reference string `json:"reference"`
			} `json:"payment"`
		}
		if json.Unmarshal(body, &s) == nil && s.Payment.Reference != "" {
			p.mu.Lock()
			p.took[s.Payment.Reference] = took
			p.mu.Unlock()
		}
	}
	for name, values := range resp.Header {
		if name != "Content-Length" {
			w.Header()[name] = values
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}
