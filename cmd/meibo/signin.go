package main

import (
	"context"
	"errors"
	"fmt"
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

// checkSSO logs the redirect URL of each identity provider (to register
// with it), and checks each in the background, never holding the start up:
// a warning for a provider that cannot be discovered, or that takes only
// clients with a secret while meibo was given none (clientSecretFile).
// Sign-ins discover a provider again until it answers.
func (m *Main) checkSSO(ctx context.Context, cl *sso.Client) {
	if cl == nil {
		return
	}
	for _, p := range cl.Providers() {
		m.log.Info(fmt.Sprintf("single sign-on with %s: register %s as a redirect URL of meibo's client at the provider, and %s as its post-logout redirect URL",
			p.Name, cl.RedirectURL(p.ID), cl.PostLogoutRedirectURL()),
			"provider", p.ID, "issuer", p.Issuer, "redirect", cl.RedirectURL(p.ID), "postLogoutRedirect", cl.PostLogoutRedirectURL(),
			"clientSecret", p.ClientSecret != "")
	}
	m.workers.Add(1)
	go func() {
		defer m.workers.Done()
		for _, p := range cl.Providers() {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := cl.Check(cctx, p.ID)
			cancel()
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, sso.ErrNoSecret):
				m.log.Warn(fmt.Sprintf("single sign-on with %s will fail: the provider refuses clients without a secret, and meibo has none for it. "+
					"Put the client secret in a file and name it in clientSecretFile (--sso-config)", p.Name), "provider", p.ID, "err", err)
			default:
				m.log.Warn(fmt.Sprintf("single sign-on with %s fails until its discovery document can be read: check the issuer URL and that meibo reaches it "+
					"(sign-ins try again)", p.Name), "provider", p.ID, "issuer", p.Issuer, "err", err)
			}
		}
	}()
}
