package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// endpointsConfig is what `gateway endpoints` reads: the database, the key ring that seals
// the secrets (serve must hold the same key to open them), and the default endpoint, which
// list shows.
type endpointsConfig struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable"`
	TokenKey    string `env:"GATEWAY_TOKEN_KEY"`
	WebhookURL  string `env:"MERCHANT_WEBHOOK_URL"`
}

// eventTypes lists every event type the gateway writes: endpoint filters are checked on it.
func eventTypes() []string { return append(orders.EventTypes(), autopay.EventTypes()...) }

// runEndpoints is `gateway endpoints create|list|disable|enable|rotate|replay`.
func runEndpoints(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("gateway endpoints "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rawURL := fs.String("url", "", "where events are posted")
	events := fs.String("events", "", "event types, comma-separated (none: every type)")
	id := fs.String("id", "", "the endpoint's id")
	reason := fs.String("reason", "", "why")
	overlap := fs.Duration("overlap", 24*time.Hour, "how long the old secret keeps signing")
	since := fs.String("since", "", "RFC 3339 time")
	replaySince := fs.String("replay-since", "", "RFC 3339 time: enable also queues again every event since then")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("endpoints %s: %w", args[0], err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("endpoints %s: unexpected %q", args[0], fs.Arg(0))
	}
	if cfg.tokenKeys == nil {
		return errors.New("invalid configuration: GATEWAY_TOKEN_KEY: gateway endpoints seals the endpoints' secrets with it, and serve must hold the same key to sign with them")
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := endpoints.NewService(pool, endpoints.Config{Keys: cfg.tokenKeys, EventTypes: eventTypes(), DefaultURL: cfg.MerchantWebhookURL,
		AllowPrivate: cfg.endpointAllowPrivate})
	by := operators.Actor{Kind: operators.ActorCLI, ID: envValue(environ, "USER"), Name: "gateway endpoints " + args[0]}
	if by.ID == "" {
		by.ID = "unknown"
	}
	needID := func() error {
		if *id == "" {
			return fmt.Errorf("endpoints %s: --id is required", args[0])
		}
		return nil
	}
	switch args[0] {
	case "create":
		if *rawURL == "" {
			return errors.New("endpoints create: --url is required; usage: gateway endpoints create --url URL [--events t1,t2]")
		}
		var types []string
		if *events != "" {
			types = strings.Split(*events, ",")
		}
		c, err := svc.Create(ctx, *rawURL, types, by)
		if err != nil {
			return fmt.Errorf("endpoints create: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "Webhook endpoint %s created, posting to %s.\n\nIts signing secret is shown once.\nsecret: %s\n", c.ID, c.URL, c.Secret)
		return err
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return fmt.Errorf("endpoints list: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tEVENTS\tSTATE\tSECRETS\tWAITING")
		for _, e := range list {
			types, state := strings.Join(e.EventTypes, ","), "enabled"
			if types == "" {
				types = "all"
			}
			switch {
			case e.Default:
				state = "enabled (MERCHANT_WEBHOOK_URL, read-only)"
			case !e.Enabled():
				state = "disabled " + e.DisabledAt.UTC().Format(time.RFC3339) + ": " + e.DisabledReason
			case e.FailingSince != nil:
				state = "failing since " + e.FailingSince.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", e.ID, e.URL, types, state, e.Secrets, e.Pending)
		}
		return tw.Flush()
	case "disable":
		if err := needID(); err != nil {
			return err
		}
		e, err := svc.Disable(ctx, *id, *reason, by)
		if err != nil {
			return fmt.Errorf("endpoints disable: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "Webhook endpoint %s disabled; %d event(s) wait for it.\n", e.ID, e.Pending)
		return err
	case "enable":
		if err := needID(); err != nil {
			return err
		}
		var from time.Time
		if *replaySince != "" {
			if from, err = time.Parse(time.RFC3339, *replaySince); err != nil {
				return errors.New("endpoints enable: --replay-since must be an RFC 3339 time, such as 2026-12-01T00:00:00Z")
			}
		}
		e, n, err := svc.Enable(ctx, *id, *reason, from, by)
		if err != nil {
			return fmt.Errorf("endpoints enable: %w", err)
		}
		if *replaySince != "" {
			_, err = fmt.Fprintf(stdout, "Webhook endpoint %s enabled; %d event(s) since %s queued again; %d waiting event(s) are due now.\n",
				e.ID, n, from.UTC().Format(time.RFC3339), e.Pending)
			return err
		}
		_, err = fmt.Fprintf(stdout, "Webhook endpoint %s enabled; %d waiting event(s) are due now.\n", e.ID, e.Pending)
		return err
	case "rotate":
		if err := needID(); err != nil {
			return err
		}
		c, err := svc.Rotate(ctx, *id, *overlap, by)
		if err != nil {
			return fmt.Errorf("endpoints rotate: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "Webhook endpoint %s has a new secret; the old one keeps signing beside it for %s.\n\nIt is shown once.\nsecret: %s\n", c.ID, *overlap, c.Secret)
		return err
	case "replay":
		if err := needID(); err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			return errors.New("endpoints replay: --since must be an RFC 3339 time, such as 2026-12-01T00:00:00Z")
		}
		n, err := svc.Replay(ctx, *id, t, by)
		if err != nil {
			return fmt.Errorf("endpoints replay: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "%d event(s) queued again for webhook endpoint %s.\n", n, *id)
		return err
	}
	return fmt.Errorf("unknown command %q; %s", "endpoints "+args[0], usageLine)
}
