package main

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"text/tabwriter"
)

// command is one of the binary's commands, as its help describes it.
type command struct {
	name, summary string
	// vars are the settings it reads: the env tags of these structs' fields.
	vars []any
}

var commands = []command{
	{"serve", "serves the merchant API, PlacetoPay's notifications and the admin listener (the default command). " +
		"In development without PLACETOPAY_* it also runs the PlacetoPay sandbox in-process.", []any{config{}, sandboxConfig{}}},
	{"migrate up", "applies the database migrations (serve applies them too, safely across replicas).", []any{dbOnly{}}},
	{"migrate status", "lists the database migrations and which are applied.", []any{dbOnly{}}},
	{"operators add", "adds a console operator: --email EMAIL --role viewer|support|admin. Prints, once, an enrollment link " +
		"for the console and an operator API token (op_…).", []any{operatorsConfig{}}},
	{"operators list", "lists the console operators, their roles and states.", []any{dbOnly{}}},
	{"operators disable", "disables an operator (--email EMAIL): sign-in, sessions and API token stop working.", []any{dbOnly{}}},
	{"keys create", "creates a merchant API key: --name NAME --scope full|read|checkout. Prints the key once (sk_live_… in " +
		"production, sk_test_… in development); only its hash is stored. read may only read, checkout may also create orders " +
		"and open checkouts, full may do everything.", []any{keysConfig{}}},
	{"keys list", "lists the API keys kept in the database: prefix, name, scope, state, last use. Never the keys.", []any{dbOnly{}}},
	{"keys revoke", "revokes an API key (--id ID or PREFIX, --reason REASON): every replica refuses it within a second.", []any{dbOnly{}}},
	{"endpoints create", "adds a webhook endpoint: --url URL [--events TYPE,TYPE] (none: every type). Prints its signing " +
		"secret (whsec_…) once; it is stored sealed with GATEWAY_TOKEN_KEY, which serve needs to open it.", []any{endpointsConfig{}}},
	{"endpoints list", "lists the webhook endpoints: the default one (MERCHANT_WEBHOOK_URL, read-only) first, then each " +
		"stored one with its state, filter and what waits for it. Never the secrets.", []any{endpointsConfig{}}},
	{"endpoints disable", "stops posting to an endpoint (--id ID --reason REASON); its events wait.", []any{endpointsConfig{}}},
	{"endpoints enable", "posts to a disabled endpoint again (--id ID [--reason REASON] [--replay-since RFC3339]); what waited is " +
		"due at once. Events written while it was disabled were not queued for it: --replay-since queues again every event since then.", []any{endpointsConfig{}}},
	{"endpoints rotate", "gives an endpoint a new secret (--id ID [--overlap 24h]), printed once; the old one keeps " +
		"signing beside it for the overlap.", []any{endpointsConfig{}}},
	{"endpoints replay", "queues again every event since a time for an endpoint (--id ID --since RFC3339).", []any{endpointsConfig{}}},
	{"sandbox", "runs the PlacetoPay sandbox alone: PlacetoPay's Checkout API, its payment page and its notifications. " +
		"SANDBOX_SITES makes it several PlacetoPay sites at once, each with its own login and secret.", []any{sandboxConfig{}, sandboxAloneConfig{}}},
	{"healthcheck", "asks the local admin listener for /healthz (the container's health check); exits 1 when unhealthy.", []any{adminOnly{}}},
	{"version", "prints the version and how it was built.", nil},
	{"help", "prints this help; `gateway help COMMAND` (or `gateway COMMAND --help`) that command's.", nil},
}

// dbOnly and adminOnly are the settings of the commands that read one.
type dbOnly struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable"`
}

type adminOnly struct {
	AdminAddr string `env:"GATEWAY_ADMIN_ADDR" envDefault:":9090"`
}

// varHelp says what each setting is, in one line. A setting without a line here fails
// TestEveryVariableIsExplained.
var varHelp = map[string]string{
	"DATABASE_URL":                        "Postgres connection string",
	"GATEWAY_ADDR":                        "public listener: merchant API, webhooks, return pages",
	"GATEWAY_ADMIN_ADDR":                  "admin listener: /metrics, /healthz, /readyz, the console and /admin/api",
	"GATEWAY_CONSOLE_URL":                 "external base URL of the console (the admin listener), in enrollment links",
	"GATEWAY_PUBLIC_URL":                  "external base URL of the public listener (return URLs are built on it)",
	"GATEWAY_API_KEYS":                    "comma-separated API keys accepted on /v1, full scope, beside `gateway keys` (none: development makes one; production then needs an active key from `gateway keys create`)",
	"PLACETOPAY_BASE_URL":                 "the PlacetoPay site's URL; with LOGIN and SECRET_KEY, all three or none (none: the sandbox)",
	"PLACETOPAY_LOGIN":                    "the PlacetoPay site's login",
	"PLACETOPAY_SECRET_KEY":               "the PlacetoPay site's secret key",
	"PLACETOPAY_AUTOPAY_URL":              "base URL of PlacetoPay's autopay API",
	"PLACETOPAY_AUTOPAY_WEBHOOK_USER":     "Basic user PlacetoPay sends on autopay webhooks",
	"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD": "Basic password PlacetoPay sends on autopay webhooks",
	"PLACETOPAY_NOTIFICATION_SIGNATURES":  "notification signatures accepted: sha256, sha1 or both",
	"PLACETOPAY_TIMEOUT":                  "how long one PlacetoPay call may take",
	"GATEWAY_SITES_FILE":                  "YAML or JSON file listing PlacetoPay sites beside the default one, by currency (docs/sites.md)",
	"GATEWAY_PROBE_INTERVAL":              "spacing of the status checks of open sessions",
	"GATEWAY_CONFIRMATION_WINDOW":         "how long PlacetoPay waits for a payment's confirmation (empty: 30m)",
	"GATEWAY_REFUND_CHECKS":               "when after payment paid sessions are queried again for refunds made outside the gateway: Go durations, comma-separated, or off",
	"MERCHANT_WEBHOOK_URL":                "where order events are delivered (none: only stored)",
	"MERCHANT_WEBHOOK_SECRET":             "the events' signing secret",
	"MERCHANT_WEBHOOK_TIMEOUT":            "how long one event delivery may take",
	"GATEWAY_ENDPOINT_DISABLE_AFTER":      "how long a webhook endpoint (gateway endpoints) may fail every attempt before it is disabled",
	"GATEWAY_ENDPOINT_ALLOW_PRIVATE":      "let webhook endpoints reach loopback, private and link-local addresses: true or false (none: true in development, false in production)",
	"GATEWAY_CORS_ORIGINS":                "storefront origins allowed to read an order's status",
	"GATEWAY_ENV":                         "development or production (production refuses weak settings)",
	"GATEWAY_TOKEN_KEY":                   "keys that seal card tokens and stored answers, id:key pairs (none: development makes one)",
	"GATEWAY_PPROF":                       "serve Go's profiles on the admin listener",
	"GATEWAY_RATE_LIMIT":                  "requests a minute per client address on the routes with no API key (0: off)",
	"GATEWAY_NOTIFICATION_LIMIT":          "PlacetoPay notifications taken in at once; four times as many more wait up to 1 s, then 503 (0: twice the database pool's size; -1: no limit)",
	"GATEWAY_TRUSTED_PROXIES":             "proxies whose X-Forwarded-For is believed",
	"GATEWAY_RETENTION_NOTIFICATIONS":     "how long PlacetoPay's raw notifications are kept (90d or a Go duration)",
	"GATEWAY_RETENTION_EVENT_DELIVERIES":  "how long event delivery attempts are kept",
	"GATEWAY_RETENTION_EVENTS":            "how long an event is kept once delivered or given up",
	"GATEWAY_RETENTION_IDEMPOTENCY":       "how long an Idempotency-Key's answer is replayed",
	"SANDBOX_ADDR":                        "the sandbox's listener",
	"SANDBOX_PUBLIC_URL":                  "the sandbox's external base URL, in processUrl",
	"SANDBOX_LOGIN":                       "the site login the sandbox accepts",
	"SANDBOX_SECRET_KEY":                  "the site secret the sandbox accepts (none: development makes one)",
	"SANDBOX_NOTIFY_URL":                  "where the sandbox posts its notifications",
	"SANDBOX_SIGNATURE":                   "how the sandbox signs notifications: sha256 or sha1",
	"SANDBOX_AUTOPAY_URL":                 "the merchant base the sandbox's autopay calls go to",
	"SANDBOX_AUTOPAY_USER":                "Basic user of the sandbox's autopay calls",
	"SANDBOX_AUTOPAY_PASSWORD":            "Basic password of the sandbox's autopay calls",
	"SANDBOX_STATE_FILE":                  "file the sandbox keeps its sessions in across restarts (none: memory for `sandbox`, the database for `serve`)",
	"SANDBOX_SITES":                       "more sites `gateway sandbox` acts as: login:secretKey[:notifyUrl], comma-separated (docs/sandbox.md)",
	"SANDBOX_LATENCY":                     "how long the sandbox takes per API call: p50=600ms,p99=2s (log-normal) or fixed=200ms (none: at once)",
}

// setting is one environment variable a command reads.
type setting struct{ name, def string }

// settingsOf lists the env-tagged fields of the structs, in order, once each.
func settingsOf(structs []any) []setting {
	var out []setting
	seen := map[string]bool{}
	for _, s := range structs {
		t := reflect.TypeOf(s)
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("env")
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, setting{name: name, def: f.Tag.Get("envDefault")})
		}
	}
	return out
}

// printUsage writes the list of commands.
func printUsage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("gateway: a payment gateway for PlacetoPay Web Checkout.\n\nusage: gateway [COMMAND]\n\ncommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	_ = tw.Flush()
	b.WriteString("\nEvery setting is an environment variable; `gateway help COMMAND` lists a command's, with its default.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// printCommandHelp writes one command's help: what it does and the variables it reads.
func printCommandHelp(w io.Writer, name string) error {
	for _, c := range commands {
		if c.name != name && !strings.HasPrefix(c.name, name+" ") {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "gateway %s: %s\n", c.name, c.summary)
		if vars := settingsOf(c.vars); len(vars) > 0 {
			b.WriteString("\nenvironment:\n")
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			for _, v := range vars {
				def := v.def
				if def == "" {
					def = "-"
				}
				fmt.Fprintf(tw, "  %s\t%s\t(default %s)\n", v.name, varHelp[v.name], def)
			}
			_ = tw.Flush()
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("no command %q; %s", name, usageLine)
}

// printVersion writes the version the binary was stamped with and the Go that built it.
func printVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "gateway %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
