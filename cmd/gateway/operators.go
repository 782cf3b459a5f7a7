package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// operatorsConfig is what `gateway operators` reads besides DATABASE_URL.
type operatorsConfig struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable"`
	ConsoleURL  string `env:"GATEWAY_CONSOLE_URL"`
	AdminAddr   string `env:"GATEWAY_ADMIN_ADDR" envDefault:":9090"`
}

// consoleURL is where operators reach the console: GATEWAY_CONSOLE_URL, else the admin
// listener on this host.
func (c *config) consoleURL() string {
	if c.ConsoleURL != "" {
		return strings.TrimRight(c.ConsoleURL, "/")
	}
	host, port, err := net.SplitHostPort(c.AdminAddr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// runOperators is `gateway operators add|list|disable`.
func runOperators(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Adding, listing and disabling never touch TOTP secrets: a throwaway key will do when
	// GATEWAY_TOKEN_KEY is not set.
	sealer := cfg.tokenKeys
	if sealer == nil {
		sealer = tokens.Generate()
	}
	svc := operators.NewService(pool, sealer, cfg.production(), nil)

	fs := flag.NewFlagSet("gateway operators "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the operator's email")
	role := fs.String("role", "", "viewer, support or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("operators %s: %w", args[0], err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("operators %s: unexpected %q", args[0], fs.Arg(0))
	}
	switch args[0] {
	case "add":
		if *email == "" || *role == "" {
			return fmt.Errorf("operators add: --email and --role are required; usage: gateway operators add --email EMAIL --role viewer|support|admin")
		}
		r, err := operators.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("operators add: --role must be viewer, support or admin")
		}
		a, err := svc.Add(ctx, *email, r)
		if err != nil {
			return fmt.Errorf("operators add: %w", err)
		}
		link := cfg.consoleURL() + "/console/enroll?token=" + url.QueryEscape(a.EnrollmentToken)
		_, err = fmt.Fprintf(stdout, "operator %s (%s) added.\n\nThese are shown once; they are stored only as hashes.\n"+
			"enrollment link (valid until %s): %s\napi token: %s\n",
			a.Email, a.Role, a.CreatedAt.Add(operators.EnrollmentTTL).Format(time.RFC3339), link, a.APIToken)
		return err
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return fmt.Errorf("operators list: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tROLE\tSTATE\tTOTP\tCREATED")
		for _, o := range list {
			state := "active"
			switch {
			case o.DisabledAt != nil:
				state = "disabled"
			case !o.Enrolled:
				state = "not enrolled"
			case o.LockedUntil != nil && o.LockedUntil.After(time.Now()):
				state = "locked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", o.Email, o.Role, state, o.TOTP, o.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	case "disable":
		if *email == "" {
			return fmt.Errorf("operators disable: --email is required")
		}
		o, err := svc.Disable(ctx, *email)
		if err != nil {
			return fmt.Errorf("operators disable: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "operator %s disabled: its sessions and api token no longer work.\n", o.Email)
		return err
	}
	return fmt.Errorf("unknown command %q; %s", "operators "+args[0], usageLine)
}
