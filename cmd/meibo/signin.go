package main

import (
	"net/http"
	"time"

	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/sso"
)

// signInConfig is how administrators sign in beyond the password: single
// sign-on with OpenID Connect providers, configured in a JSON file (see
// README, "Administrator sign-in"). Second factors and passkeys need no
// configuration: the passkeys' relying party is the public URL's host.
type signInConfig struct {
	SSOConfig string      // --sso-config: the JSON file
	SSO       *sso.Config // set directly (tests); overrides SSOConfig
	// SSOHTTP and SSONow reach the providers and check their tokens'
	// times (tests).
	SSOHTTP *http.Client
	SSONow  func() time.Time
}

func signInFlags(fs *flagSet, c *signInConfig) {
	fs.StringVar(&c.SSOConfig, "sso-config", "", "JSON file of the OpenID Connect identity providers administrators may sign in with (see the README)")
}

// client returns the single sign-on client (nil without providers) and
// what the service needs to know of it.
func (c *signInConfig) client(publicURL string) (*sso.Client, service.FactorConfig, error) {
	cfg := c.SSO
	if cfg == nil && c.SSOConfig != "" {
		var err error
		if cfg, err = sso.Load(c.SSOConfig); err != nil {
			return nil, service.FactorConfig{}, usagef("--sso-config: %v", err)
		}
	}
	if cfg == nil {
		return nil, service.FactorConfig{}, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, service.FactorConfig{}, usagef("--sso-config: %v", err)
	}
	cl := sso.New(cfg, publicURL)
	cl.HTTP, cl.Now = c.SSOHTTP, c.SSONow
	return cl, service.FactorConfig{PasswordOffWithSSO: cfg.PasswordOffWithSSO}, nil
}
