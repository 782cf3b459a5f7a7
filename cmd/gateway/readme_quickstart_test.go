package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// quickstartStep is one shell block of the README's quick start and what the README says its
// answer shows (its "# shows ..." lines).
type quickstartStep struct {
	script string
	shows  []string
}

// readmeQuickstart returns the shell blocks between the README's quickstart markers, in order.
func readmeQuickstart(t *testing.T, readme string) []quickstartStep {
	t.Helper()
	const begin, end = "<!-- quickstart -->", "<!-- /quickstart -->"
	if strings.Count(readme, begin) != 1 || strings.Count(readme, end) != 1 {
		t.Fatalf("README.md must hold one %s ... %s section", begin, end)
	}
	_, rest, _ := strings.Cut(readme, begin)
	section, _, found := strings.Cut(rest, end)
	if !found {
		t.Fatalf("README.md: %s comes before %s", end, begin)
	}
	var (
		steps []quickstartStep
		cur   *quickstartStep
	)
	for line := range strings.SplitSeq(section, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &quickstartStep{}
		case cur == nil && strings.HasPrefix(line, "```"):
			t.Fatalf("README quick start has a %q block; its blocks are pasted into a shell, so they are all ```sh", line)
		case cur != nil && strings.HasPrefix(line, "```"):
			if len(cur.shows) == 0 {
				t.Fatalf("README quick start block without a \"# shows\" line:\n%s", cur.script)
			}
			steps, cur = append(steps, *cur), nil
		case cur != nil:
			cur.script += line + "\n"
			if s, ok := strings.CutPrefix(line, "# shows "); ok {
				cur.shows = append(cur.shows, strings.TrimSpace(s))
			}
		}
	}
	if cur != nil {
		t.Fatal("README quick start: a ```sh block is not closed")
	}
	if len(steps) == 0 {
		t.Fatal("README quick start holds no ```sh block")
	}
	return steps
}

// TestReadmeQuickstart: the README's quick start, pasted as written into bash in a checkout
// whose .dev/env was made by make run's own script, against a development gateway that runs on
// those secrets with its embedded sandbox, shows at each step what the README says it shows
// and leaves a refunded order. Only the addresses are the test's: the README's localhost:8080,
// :8090 and :9090 become the ones the kernel gave the listeners (127.0.0.1:<port>, which is
// also the host of the sandbox's processUrl when its port is chosen by the kernel).
func TestReadmeQuickstart(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeQuickstart(t, string(raw))
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's quick start runs curl, and it is not installed")
	}

	// A checkout root: scripts/dev-env.sh makes .dev/env there, as make run does.
	script, err := os.ReadFile("../../scripts/dev-env.sh")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scripts", "dev-env.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	secrets := runDevEnv(t, root)
	key := secrets["GATEWAY_API_KEYS"]

	_, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + pgtest.URL(t), "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", "GATEWAY_PUBLIC_URL=http://gateway.test",
		"GATEWAY_API_KEYS=" + key, "GATEWAY_TOKEN_KEY=" + secrets["GATEWAY_TOKEN_KEY"],
	}, "public", "admin", "sandbox")
	ports := strings.NewReplacer("localhost:8080", addrs["public"], "localhost:8090", addrs["sandbox"], "localhost:9090", addrs["admin"])

	// One bash, as one terminal: the variables of a step are there for the next. A marker line
	// before each step splits the output.
	const marker = "@@quickstart-step@@"
	var whole strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&whole, "printf '\\n%s\\n'\n%s", marker, ports.Replace(s.script))
	}
	whole.WriteString("printf '\\n" + marker + "\\nORDER_ID=%s\\n' \"${ORDER_ID:-}\"\n")
	file := filepath.Join(t.TempDir(), "quickstart.sh")
	if err := os.WriteFile(file, []byte(whole.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// A minute is ample: the steps take seconds. The README's waits for the events feed loop
	// until the event shows, so a step that went wrong before them ends here.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", file)
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C"}
	out, err := cmd.CombinedOutput()
	parts := strings.Split(string(out), marker+"\n")[1:]
	finished := len(parts) // the steps that ran to their end (and the line after them)
	if err != nil {
		finished = max(len(parts)-1, 0)
	}
	// What each finished step shows, first: the step that went wrong is the first named.
	for i, s := range steps[:min(finished, len(steps))] {
		for _, want := range s.shows {
			if want = ports.Replace(want); !strings.Contains(parts[i], want) {
				t.Errorf("step %d shows\n%s\nwithout %s, which the README says it shows; the step:\n%s", i+1, parts[i], want, s.script)
			}
		}
	}
	if err != nil {
		why := err.Error()
		if ctx.Err() != nil {
			why = "still running after a minute"
		}
		t.Fatalf("the quick start stopped at step %d of %d: %s\nthe step:\n%s\noutput:\n%s",
			finished+1, len(steps), why, steps[min(finished, len(steps)-1)].script, out)
	}
	if len(parts) != len(steps)+1 {
		t.Fatalf("output has %d steps, want %d:\n%s", len(parts), len(steps)+1, out)
	}

	// The order the quick start made, read by the API: refunded, all of it.
	m := regexp.MustCompile(`ORDER_ID=([0-9a-f-]{36})\n`).FindStringSubmatch(parts[len(steps)])
	if m == nil {
		t.Fatalf("the quick start leaves no order id in ORDER_ID: %q", parts[len(steps)])
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addrs["public"]+"/v1/orders/"+m[1], nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var order struct {
		Status         string
		Amount         struct{ Currency, Total string }
		RefundedAmount struct{ Currency, Total string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&order); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/orders/%s = %d, %v", m[1], resp.StatusCode, err)
	}
	if order.Status != "refunded" || order.Amount.Currency != "COP" || order.RefundedAmount != order.Amount {
		t.Errorf("the quick start's order is %s, %v refunded of %v; want refunded, all of an amount in COP",
			order.Status, order.RefundedAmount, order.Amount)
	}
}
