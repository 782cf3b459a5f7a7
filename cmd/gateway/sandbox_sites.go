package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// sandboxAloneConfig is what only `gateway sandbox` reads: the more logins it takes. `gateway
// serve` refuses it, since its embedded sandbox serves the sites of GATEWAY_SITES_FILE.
type sandboxAloneConfig struct {
	// Sites is "login:secretKey[:notifyUrl],login:secretKey[:notifyUrl],...".
	Sites string `env:"SANDBOX_SITES"`
}

// parseSandboxSites reads SANDBOX_SITES: comma-separated sites, each login:secretKey, or
// login:secretKey:notifyUrl to send that site's notifications somewhere (without it they are
// recorded, not sent). A login is 1 to 32 characters without ':' or spaces, never the
// default login (SANDBOX_LOGIN) nor another site's; a secret is not empty and has no ':',
// ',' or spaces. Errors name the site by position and login, never its secret.
func parseSandboxSites(value, defaultLogin string) ([]sandbox.Site, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid configuration: SANDBOX_SITES: %s (each site is login:secretKey or login:secretKey:notifyUrl, comma-separated)", fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	logins := map[string]bool{defaultLogin: true}
	var sites []sandbox.Site
	for i, entry := range strings.Split(value, ",") {
		at := fmt.Sprintf("site %d", i+1)
		parts := strings.SplitN(strings.TrimSpace(entry), ":", 3)
		if len(parts) < 2 {
			return nil, bad("%s is not login:secretKey", at)
		}
		s := sandbox.Site{Login: parts[0], SecretKey: parts[1]}
		switch {
		case s.Login == "" || utf8.RuneCountInString(s.Login) > 32 || strings.IndexFunc(s.Login, unicode.IsSpace) >= 0:
			return nil, bad("%s: the login must be 1 to 32 characters without spaces", at)
		case s.Login == defaultLogin:
			return nil, bad("%s: login %q is SANDBOX_LOGIN's already", at, s.Login)
		case logins[s.Login]:
			return nil, bad("%s: login %q is given twice", at, s.Login)
		case s.SecretKey == "" || strings.IndexFunc(s.SecretKey, unicode.IsSpace) >= 0:
			return nil, bad("%s (login %q): the secret key must not be empty nor hold spaces", at, s.Login)
		}
		logins[s.Login] = true
		if len(parts) == 3 {
			if err := checkBaseURL(parts[2]); err != nil {
				return nil, bad("%s (login %q): the notification URL %v", at, s.Login, err)
			}
			s.NotifyURL = parts[2]
		}
		sites = append(sites, s)
	}
	return sites, nil
}
