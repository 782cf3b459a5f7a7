package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Relay stands where PlacetoPay's notifications reach the gateways, as a load balancer does:
// it forwards each POST, path included, to the next of its targets, trying the next one
// when a target refuses the connection, and reports how long the gateway took to answer.
type Relay struct {
	HTTP *http.Client

	mu      sync.Mutex
	targets []string
	observe func(d time.Duration, status int, err error)
	next    atomic.Uint64
}

// NewRelay returns a relay with no targets yet.
func NewRelay() *Relay { return &Relay{HTTP: NewClient(nil, "", "").HTTP} }

// SetTargets sets the gateways' base URLs.
func (r *Relay) SetTargets(urls []string) {
	r.mu.Lock()
	r.targets = append([]string(nil), urls...)
	r.mu.Unlock()
}

// Observe sets what is told of each forwarded post (nil: nothing): the gateway's time to
// answer, its status, or the error when no target took the post.
func (r *Relay) Observe(fn func(d time.Duration, status int, err error)) {
	r.mu.Lock()
	r.observe = fn
	r.mu.Unlock()
}

// Listen serves the relay on a loopback port; it returns its base URL and how to stop it.
func (r *Relay) Listen() (string, func(), error) {
	return serveLoopback(&http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second})
}

// serveLoopback serves srv on a free loopback port; it returns the base URL and how to stop it.
func serveLoopback(srv *http.Server) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	targets, observe := r.targets, r.observe
	r.mu.Unlock()
	if observe == nil {
		observe = func(time.Duration, int, error) {}
	}
	err = errors.New("relay: no target")
	for range targets {
		u := targets[int(r.next.Add(1)-1)%len(targets)]
		start := time.Now()
		var resp *http.Response
		resp, err = r.HTTP.Post(u+req.URL.Path, "application/json", bytes.NewReader(body))
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue
		}
		if err != nil {
			break
		}
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		observe(time.Since(start), resp.StatusCode, nil)
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
		return
	}
	observe(0, 0, err)
	http.Error(w, "relay: "+err.Error(), http.StatusBadGateway)
}

// Approval is PlacetoPay's notification that the session was approved at date, signed with
// secret (SHA-256, as the sandbox signs by default), and its signature.
func Approval(requestID int64, reference, date, secret string) (body []byte, signature string) {
	sig, err := placetopay.NotificationSignature(placetopay.SHA256, requestID, "APPROVED", date, secret)
	if err != nil { // SHA-256 is always available
		panic(err)
	}
	return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"La petición ha sido aprobada exitosamente","date":%q},"requestId":%d,"reference":%q,"signature":%q}`,
		date, requestID, reference, sig), sig
}
