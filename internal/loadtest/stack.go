package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StackConfig is what Start runs: the sandbox and Replicas gateway processes, all from the
// same gateway binary, on one database.
type StackConfig struct {
	Bin           string // the gateway binary
	DatabaseURL   string
	Replicas      int
	ProbeInterval string   // GATEWAY_PROBE_INTERVAL
	NotifyURL     string   // where the sandbox posts notifications (a relay or balancer in front of the replicas)
	PlacetoPayURL string   // where the gateways call PlacetoPay, when not the sandbox itself (a proxy in front of it)
	Dir           string   // where the processes' logs go
	GatewayEnv    []string // more variables for the gateways
	SandboxEnv    []string // more variables for the sandbox (SANDBOX_LATENCY)
}

// Stack is the running sandbox and gateways.
type Stack struct {
	Sandbox    *Proc
	SandboxURL string
	Gateways   []*Gateway
	APIKey     string
	Login      string
	Secret     string // the PlacetoPay site's secret key, shared by the sandbox and the gateways
}

// Gateway is one `gateway serve` replica.
type Gateway struct {
	*Proc
	URL      string // public listener
	AdminURL string
}

// Start starts the sandbox, then the gateways, and waits until all are ready (the first
// gateway applies the migrations).
func Start(ctx context.Context, cfg StackConfig) (*Stack, error) {
	st := &Stack{APIKey: "sk_load_" + token(16), Login: "load-login", Secret: token(24)}
	// One key for every replica: each one replays the answers another stored (sealed).
	tokenKey := "load:" + token(32) // 32 random bytes, as 64 hex digits
	sbAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	st.SandboxURL = "http://" + sbAddr
	st.Sandbox = NewProc("sandbox", cfg.Bin, []string{"sandbox"}, append([]string{
		"PATH=" + os.Getenv("PATH"), "GATEWAY_ENV=development", "SANDBOX_ADDR=" + sbAddr,
		"SANDBOX_LOGIN=" + st.Login, "SANDBOX_SECRET_KEY=" + st.Secret, "SANDBOX_NOTIFY_URL=" + cfg.NotifyURL,
	}, cfg.SandboxEnv...), filepath.Join(cfg.Dir, "sandbox.log"))
	if err := st.Sandbox.Start(); err != nil {
		return nil, err
	}
	if err := WaitHTTP(ctx, st.Sandbox, st.SandboxURL+"/sandbox/clock", 20*time.Second); err != nil {
		st.Stop()
		return nil, err
	}
	placetopayURL := st.SandboxURL
	if cfg.PlacetoPayURL != "" {
		placetopayURL = cfg.PlacetoPayURL
	}
	for i := range cfg.Replicas {
		addr, err := FreeAddr()
		if err != nil {
			st.Stop()
			return nil, err
		}
		admin, err := FreeAddr()
		if err != nil {
			st.Stop()
			return nil, err
		}
		env := append([]string{
			"PATH=" + os.Getenv("PATH"), "GATEWAY_ENV=development", "DATABASE_URL=" + cfg.DatabaseURL,
			"GATEWAY_ADDR=" + addr, "GATEWAY_ADMIN_ADDR=" + admin, "GATEWAY_PUBLIC_URL=http://" + addr,
			"GATEWAY_API_KEYS=" + st.APIKey, "GATEWAY_PROBE_INTERVAL=" + cfg.ProbeInterval,
			"PLACETOPAY_BASE_URL=" + placetopayURL, "PLACETOPAY_LOGIN=" + st.Login, "PLACETOPAY_SECRET_KEY=" + st.Secret,
			"GATEWAY_TOKEN_KEY=" + tokenKey,
			// Every simulated shopper reads its order from this one address: a per-client
			// limit would throttle the whole load.
			"GATEWAY_RATE_LIMIT=0",
		}, cfg.GatewayEnv...)
		g := &Gateway{Proc: NewProc("gateway-"+strconv.Itoa(i+1), cfg.Bin, []string{"serve"}, env,
			filepath.Join(cfg.Dir, "gateway-"+strconv.Itoa(i+1)+".log")), URL: "http://" + addr, AdminURL: "http://" + admin}
		if err := g.Start(); err != nil {
			st.Stop()
			return nil, err
		}
		st.Gateways = append(st.Gateways, g)
		// The first replica migrates the database; the others wait for it in parallel.
		if i == 0 {
			if err := g.WaitReady(ctx, 60*time.Second); err != nil {
				st.Stop()
				return nil, err
			}
		}
	}
	for _, g := range st.Gateways[1:] {
		if err := g.WaitReady(ctx, 60*time.Second); err != nil {
			st.Stop()
			return nil, err
		}
	}
	return st, nil
}

// WaitReady waits for the replica's /readyz.
func (g *Gateway) WaitReady(ctx context.Context, timeout time.Duration) error {
	return WaitHTTP(ctx, g.Proc, g.AdminURL+"/readyz", timeout)
}

// Stop stops the gateways (SIGTERM, they drain) and then the sandbox.
func (st *Stack) Stop() {
	for _, g := range st.Gateways {
		g.Stop()
	}
	st.Sandbox.Stop()
}

// URLs are the gateways' public base URLs.
func (st *Stack) URLs() []string {
	out := make([]string, len(st.Gateways))
	for i, g := range st.Gateways {
		out[i] = g.URL
	}
	return out
}

func token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("loadtest: random: %v", err))
	}
	return hex.EncodeToString(b)
}
