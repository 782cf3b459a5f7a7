package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// keysConfig is what `gateway keys create` reads: the database, and the environment, which
// decides between live and test keys.
type keysConfig struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable"`
	Env         string `env:"GATEWAY_ENV" envDefault:"development"`
}

// runKeys is `gateway keys create|list|revoke`.
func runKeys(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("gateway keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "what the key is for")
	scope := fs.String("scope", "", "full, read or checkout")
	id := fs.String("id", "", "the key's id or prefix")
	reason := fs.String("reason", "", "why the key is revoked")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("keys %s: %w", args[0], err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keys %s: unexpected %q", args[0], fs.Arg(0))
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := apikeys.NewService(pool, cfg.production(), nil)
	// The command line is run by whoever holds DATABASE_URL; the audit log names the
	// system user it ran as.
	by := operators.Actor{Kind: operators.ActorCLI, ID: envValue(environ, "USER"), Name: "gateway keys " + args[0]}
	if by.ID == "" {
		by.ID = "unknown"
	}
	switch args[0] {
	case "create":
		if *name == "" || *scope == "" {
			return fmt.Errorf("keys create: --name and --scope are required; usage: gateway keys create --name NAME --scope full|read|checkout")
		}
		sc, err := apikeys.ParseScope(*scope)
		if err != nil {
			return fmt.Errorf("keys create: --scope must be full, read or checkout")
		}
		k, err := svc.Create(ctx, *name, sc, by)
		if err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "API key %q (%s scope) created, id %s.\n\nIt is shown once; it is stored only as a hash.\napi key: %s\n",
			k.Name, k.Scope, k.ID, k.Secret)
		return err
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return fmt.Errorf("keys list: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tNAME\tSCOPE\tSTATE\tCREATED\tLAST USED\tID")
		for _, k := range list {
			state, used := "active", "never"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.UTC().Format(time.RFC3339)
			}
			if k.LastUsedAt != nil {
				used = k.LastUsedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s…\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Name, k.Scope, state, k.CreatedAt.UTC().Format(time.RFC3339), used, k.ID)
		}
		return tw.Flush()
	case "revoke":
		if *id == "" || *reason == "" {
			return fmt.Errorf("keys revoke: --id and --reason are required; usage: gateway keys revoke --id ID|PREFIX --reason REASON")
		}
		k, err := svc.Revoke(ctx, *id, *reason, by)
		if err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "API key %s… (%q) revoked: every replica refuses it within a second.\n", k.Prefix, k.Name)
		return err
	}
	return fmt.Errorf("unknown command %q; %s", "keys "+args[0], usageLine)
}

// checkProductionKeys lets a production gateway without GATEWAY_API_KEYS start when the
// database holds an active live key, and refuses it when there is neither: a gateway no
// storefront can call is a mistake better found at start than at the first order.
func checkProductionKeys(ctx context.Context, cfg config, keys *apikeys.Service, log *zap.Logger) error {
	if !cfg.production() || len(cfg.APIKeys) > 0 {
		return nil
	}
	n, err := keys.Active(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("invalid configuration: GATEWAY_API_KEYS: production needs at least one API key: " +
			"set GATEWAY_API_KEYS, or make one in the database with `gateway keys create --name NAME --scope full`")
	}
	log.Info("GATEWAY_API_KEYS is empty: /v1 takes the API keys stored in the database (gateway keys)", zap.Int("activeKeys", n))
	return nil
}

// envValue is the value of name in environ, or "".
func envValue(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
