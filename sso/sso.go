// Package sso signs administrators in with OpenID Connect identity
// providers (Microsoft Entra ID, Google, Okta, Keycloak, Zitadel...): the
// authorization-code flow with PKCE, state and nonce, and the ID token
// verified, with github.com/coreos/go-oidc and golang.org/x/oauth2. It
// returns who the provider says signed in; matching that person to an
// administrator (never creating one) is the service's.
//
// It imports the domain only.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/meibo/meibo"
)

// Config is the single sign-on configuration, read from a JSON file
// (--sso-config).
type Config struct {
	// Providers are offered on the sign-in page in this order.
	Providers []Provider `json:"providers"`
	// PasswordOffWithSSO refuses the password to administrators who have
	// signed in with a provider (they use the provider from then on).
	PasswordOffWithSSO bool `json:"passwordOffWithSso"`
}

// Provider is one OpenID provider.
type Provider struct {
	// ID names the provider in addresses and sessions ("entra").
	ID string `json:"id"`
	// Name is shown on the button: "Sign in with <Name>".
	Name string `json:"name"`
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer + "/.well-known/openid-configuration").
	Issuer       string `json:"issuer"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"-"`
	// ClientSecretFile holds the client secret (kept out of the file).
	ClientSecretFile string `json:"clientSecretFile"`
	// Scopes asked for; "openid" is always among them (default: openid,
	// email, profile).
	Scopes []string `json:"scopes"`
	// Claim names the administrator: "email" (matched with the
	// administrator's e-mail address) or "preferred_username" (matched with
	// the administrator's ID); another claim name is matched with the ID.
	Claim string `json:"claim"`
	// MFA lists the "amr" values by which the provider says the person used
	// more than a password ("mfa", "hwk", "otp"...): a sign-in carrying one
	// satisfies meibo's second-factor policy. Empty: the policy asks for
	// meibo's own second factor after the provider.
	MFA []string `json:"mfaAmr"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Load reads the configuration file and the client secrets it names.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sso: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("sso: %s: %w", path, err)
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.ClientSecretFile != "" {
			s, err := os.ReadFile(p.ClientSecretFile)
			if err != nil {
				return nil, fmt.Errorf("sso: provider %s: %w", p.ID, err)
			}
			p.ClientSecret = strings.TrimSpace(string(s))
		}
	}
	return &c, c.Validate()
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i := range c.Providers {
		p := &c.Providers[i]
		switch {
		case !idPattern.MatchString(p.ID):
			return fmt.Errorf("sso: provider ID %q: lower-case letters, digits and -, up to 32", p.ID)
		case seen[p.ID]:
			return fmt.Errorf("sso: provider %q twice", p.ID)
		case p.Issuer == "" || p.ClientID == "":
			return fmt.Errorf("sso: provider %s needs issuer and clientId", p.ID)
		}
		seen[p.ID] = true
		if p.Name == "" {
			p.Name = p.ID
		}
		if p.Claim == "" {
			p.Claim = "email"
		}
		if len(p.Scopes) == 0 {
			p.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
		}
		if !slices.Contains(p.Scopes, oidc.ScopeOpenID) {
			p.Scopes = append([]string{oidc.ScopeOpenID}, p.Scopes...)
		}
	}
	return nil
}

// Identity is who a provider says signed in.
type Identity struct {
	Provider string
	Subject  string // the provider's "sub"
	Claim    string // the configured claim's name
	Value    string // and its value
	AMR      []string
	MFA      bool // an amr value the provider was trusted for
	// IDToken is the ID token as the provider issued it, verified: the
	// id_token_hint of the sign-out (EndSessionURL).
	IDToken string
}

// Flow is a sign-in under way, kept by the caller (server-side) until the
// provider sends the browser back.
type Flow struct {
	Provider string `json:"provider"`
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // PKCE
	Next     string `json:"next"`
}

// Client runs the flows of the configured providers. Providers are
// discovered at their first use (and again after a failure), so that a
// provider that is down does not stop meibo from starting.
type Client struct {
	cfg      *Config
	redirect string // the console's callback address, with {id}
	signIn   string // the console's sign-in page, where providers send the browser back after a sign-out
	// HTTP is the client used to reach providers (default
	// http.DefaultClient).
	HTTP *http.Client
	// Now is the clock ID tokens are checked with (default time.Now),
	// with leeways: see ClockSkew and NotBeforeLeeway.
	Now func() time.Time

	mu    sync.Mutex
	known map[string]*discovered
}

type discovered struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
}

// New returns a client for cfg whose callbacks are publicURL +
// "/console/signin/sso/<id>/callback".
func New(cfg *Config, publicURL string) *Client {
	base := strings.TrimRight(publicURL, "/")
	return &Client{cfg: cfg, redirect: base + "/console/signin/sso/{id}/callback", signIn: base + "/console/signin",
		known: map[string]*discovered{}}
}

// Providers lists the configured providers.
func (c *Client) Providers() []Provider {
	if c == nil || c.cfg == nil {
		return nil
	}
	return c.cfg.Providers
}

// PasswordOffWithSSO reports the setting of the same name.
func (c *Client) PasswordOffWithSSO() bool {
	return c != nil && c.cfg != nil && c.cfg.PasswordOffWithSSO
}

// RedirectURL is the callback address of a provider, to register with it.
func (c *Client) RedirectURL(id string) string { return strings.ReplaceAll(c.redirect, "{id}", id) }

func (c *Client) find(id string) (*Provider, bool) {
	for i := range c.Providers() {
		if c.cfg.Providers[i].ID == id {
			return &c.cfg.Providers[i], true
		}
	}
	return nil, false
}

var errUnknownProvider = meibo.NotFound("sso.provider")

func (c *Client) ctx(ctx context.Context) context.Context {
	if c.HTTP != nil {
		return oidc.ClientContext(ctx, c.HTTP)
	}
	return ctx
}

func (c *Client) discover(ctx context.Context, p *Provider) (*discovered, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.known[p.ID]; d != nil {
		return d, nil
	}
	op, err := oidc.NewProvider(c.ctx(ctx), p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %w", ErrUnreachable, p.Issuer, err)
	}
	d := &discovered{
		provider: op,
		// go-oidc has no leeway for the expiry, and setting its clock back
		// would shrink its tolerance for "nbf": Finish checks both times
		// (checkTimes).
		verifier: op.Verifier(&oidc.Config{ClientID: p.ClientID, SkipExpiryCheck: true}),
		oauth: &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: op.Endpoint(),
			RedirectURL: c.RedirectURL(p.ID), Scopes: p.Scopes},
	}
	c.known[p.ID] = d
	return d, nil
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("sso: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a sign-in with provider id: the address to send the browser
// to, and the flow to keep until it comes back.
func (c *Client) Start(ctx context.Context, id, next string) (string, *Flow, error) {
	p, ok := c.find(id)
	if !ok {
		return "", nil, errUnknownProvider
	}
	d, err := c.discover(ctx, p)
	if err != nil {
		return "", nil, err
	}
	f := &Flow{Provider: id, State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next}
	u := d.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, f, nil
}

// ClockSkew is how far meibo's clock may be ahead of a provider's: an ID
// token is taken up to this long after its expiry.
const ClockSkew = 2 * time.Minute

// NotBeforeLeeway is how far meibo's clock may be behind a provider's: an
// ID token is taken from this long before its "nbf" (not before) time, as
// go-oidc does (its figure, that of other OpenID Connect libraries).
const NotBeforeLeeway = 5 * time.Minute

// checkTimes checks the expiry and the "nbf" of an ID token verified with
// SkipExpiryCheck, with their leeways, as go-oidc would with none for the
// expiry.
func (c *Client) checkTimes(idt *oidc.IDToken) error {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	if now.After(idt.Expiry.Add(ClockSkew)) {
		return &oidc.TokenExpiredError{Expiry: idt.Expiry}
	}
	var t struct {
		NotBefore json.Number `json:"nbf"`
	}
	if err := idt.Claims(&t); err != nil {
		return err
	}
	if t.NotBefore == "" {
		return nil
	}
	// (Read as go-oidc reads it: whole seconds, or a number of them.)
	unix, err := t.NotBefore.Int64()
	if err != nil {
		f, err := t.NotBefore.Float64()
		if err != nil {
			return fmt.Errorf("nbf %q: %w", t.NotBefore, err)
		}
		unix = int64(f)
	}
	if nbf := time.Unix(unix, 0); now.Add(NotBeforeLeeway).Before(nbf) {
		return fmt.Errorf("the token is valid from %s (nbf), more than %v after meibo's clock (%s)", nbf.UTC().Format(time.RFC3339),
			NotBeforeLeeway, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// The failures of a sign-in, told apart with errors.Is (and errors.As for
// a *ProviderError), for the person's message and the operator's log.
var (
	// ErrUnreachable: the provider could not be reached or did not answer
	// as one: its discovery document, its token or UserInfo endpoint (a
	// network error, an answer without an OAuth error code).
	ErrUnreachable = errors.New("provider unreachable")
	// ErrStale: a sign-in that is over or is not this browser's: the state
	// does not match the flow, or the provider no longer exchanges the
	// code (invalid_grant: used already, or expired).
	ErrStale = errors.New("sign-in expired or replayed")
	// ErrRefused: the ID token does not verify (signature, issuer,
	// audience, expiry, nonce) or the answer lacks one.
	ErrRefused = errors.New("ID token refused")
	// ErrNoIdentity: the provider's answer names no one: the configured
	// claim is missing, or the e-mail address is not verified.
	ErrNoIdentity = errors.New("no identity")
)

// ProviderError is an OAuth error the provider answered: at the redirect
// back ("access_denied"...), or at its token endpoint ("invalid_client": the
// client ID or secret meibo was given).
type ProviderError struct {
	Code        string
	Description string // clipped to 200 characters, control characters removed
	// Token: answered by the token endpoint (meibo's configuration is at
	// fault), not at the redirect (the person or the provider's policy).
	Token bool
}

func (e *ProviderError) Error() string {
	s := "provider error: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Operator reports whether the operator, not the person, must act: the
// provider refused meibo itself (its client ID or secret, a grant it does
// not allow; at the redirect too, meibo's request as configured: its
// scopes, its client, the code flow) or failed.
func (e *ProviderError) Operator() bool {
	switch e.Code {
	case "server_error", "temporarily_unavailable",
		"invalid_scope", "unauthorized_client", "unsupported_response_type", "invalid_request":
		return true
	case "invalid_grant":
		return false // a code used already or expired
	}
	return e.Token
}

// AnswerError is the error the provider answered at the redirect back
// (error, error_description), or nil.
func AnswerError(q url.Values) *ProviderError {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	return &ProviderError{Code: Clip(code, 64), Description: Clip(q.Get("error_description"), 200)}
}

// Clip keeps the first n characters of s, control characters removed.
func Clip(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if n == 0 {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			r = ' '
		}
		b.WriteRune(r)
		n--
	}
	return b.String()
}

// exchangeError classes a failed exchange of the code.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("%w: token exchange: %w", ErrUnreachable, err)
	}
	if re.ErrorCode == "" {
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		return fmt.Errorf("%w: token exchange: the token endpoint answered %s", ErrUnreachable, status)
	}
	pe := &ProviderError{Code: Clip(re.ErrorCode, 64), Description: Clip(re.ErrorDescription, 200), Token: true}
	if re.ErrorCode == "invalid_grant" {
		return fmt.Errorf("%w: token exchange: %w", ErrStale, pe)
	}
	return fmt.Errorf("token exchange: %w", pe)
}

// emailVerified reads the "email_verified" claim: false when the provider
// says the address is not verified, as a JSON boolean or as a string (as
// some providers send it: only "true", in any case, is verified). An
// absent claim is not a refusal: Entra ID never sends it.
func emailVerified(claims map[string]any) bool {
	switch v := claims["email_verified"].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(strings.TrimSpace(v), "true")
	case nil:
		return true
	}
	return false
}

// Finish checks the provider's answer (state and code) against the flow and
// returns who signed in.
func (c *Client) Finish(ctx context.Context, f *Flow, state, code string) (*Identity, error) {
	p, ok := c.find(f.Provider)
	if !ok {
		return nil, errUnknownProvider
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return nil, fmt.Errorf("%w: state does not match", ErrStale)
	}
	if code == "" {
		return nil, fmt.Errorf("%w: no code", ErrRefused)
	}
	d, err := c.discover(ctx, p)
	if err != nil {
		return nil, err
	}
	ctx = c.ctx(ctx)
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no ID token", ErrRefused)
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if err := c.checkTimes(idt); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce does not match", ErrRefused)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	value, _ := claims[p.Claim].(string)
	verified := emailVerified(claims)
	if value == "" {
		// Some providers put profile claims in the UserInfo answer only.
		info, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("%w: userinfo: %w", ErrUnreachable, err)
		}
		if info.Subject != idt.Subject {
			return nil, fmt.Errorf("%w: userinfo of another subject", ErrRefused)
		}
		more := map[string]any{}
		if err := info.Claims(&more); err != nil {
			return nil, fmt.Errorf("%w: userinfo: %w", ErrRefused, err)
		}
		value, _ = more[p.Claim].(string)
		verified = verified && emailVerified(more)
	}
	if value == "" {
		return nil, fmt.Errorf("%w: no %s claim", ErrNoIdentity, p.Claim)
	}
	if p.Claim == "email" && !verified {
		// An address the provider has not verified names nobody.
		return nil, fmt.Errorf("%w: the provider has not verified the e-mail address %s (email_verified)", ErrNoIdentity, Clip(value, 100))
	}
	id := &Identity{Provider: p.ID, Subject: idt.Subject, Claim: p.Claim, Value: value, IDToken: raw}
	if amr, ok := claims["amr"].([]any); ok {
		for _, v := range amr {
			if s, ok := v.(string); ok {
				id.AMR = append(id.AMR, s)
				if slices.Contains(p.MFA, s) {
					id.MFA = true
				}
			}
		}
	}
	return id, nil
}

// ErrNoSecret: a provider without a client secret whose discovery document
// does not offer public clients (token_endpoint_auth_methods_supported
// lacks "none"), so that its token endpoint will refuse meibo.
var ErrNoSecret = errors.New("no client secret")

// Check discovers provider id as a sign-in would (keeping what it found)
// and reports what would fail its sign-ins: a provider that cannot be
// reached or discovered (ErrUnreachable), or a client secret it needs and
// meibo was not given (ErrNoSecret).
func (c *Client) Check(ctx context.Context, id string) error {
	p, ok := c.find(id)
	if !ok {
		return errUnknownProvider
	}
	d, err := c.discover(ctx, p)
	if err != nil {
		return err
	}
	if p.ClientSecret != "" {
		return nil
	}
	var doc struct {
		Methods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := d.provider.Claims(&doc); err != nil {
		return fmt.Errorf("%w: discovery of %s: %w", ErrUnreachable, p.Issuer, err)
	}
	if len(doc.Methods) == 0 {
		doc.Methods = []string{"client_secret_basic"} // the default of OpenID Connect Discovery
	}
	if !slices.Contains(doc.Methods, "none") {
		return fmt.Errorf("%w: provider %s takes clients that authenticate only (%s): give its secret in clientSecretFile",
			ErrNoSecret, p.ID, strings.Join(doc.Methods, ", "))
	}
	return nil
}

// PostLogoutRedirectURL is where a provider sends the browser back after a
// sign-out (the console's sign-in page, the same for every provider), to
// register with each provider that has an end_session_endpoint.
func (c *Client) PostLogoutRedirectURL() string { return c.signIn }

// SignedOutState is the state EndSessionURL sends: a provider that ends its
// session sends it back to PostLogoutRedirectURL, whose page then says the
// person is signed out. (It carries nothing secret: the page shows no more
// than it would to anyone who wrote the address.)
const SignedOutState = "signed-out"

// endSessionTimeout bounds the discovery a sign-out may wait for (a
// provider discovered already is not asked again).
const endSessionTimeout = 5 * time.Second

// EndSessionURL is the address to send the browser to so that provider id
// ends its own session too (OpenID Connect RP-Initiated Logout 1.0): its
// end_session_endpoint, read from its discovery document, with
// id_token_hint (when given), client_id, post_logout_redirect_uri, state and
// ui_locales. It is "" when the provider's discovery document has no
// end_session_endpoint (Google's has none): the person stays signed in
// there. An error: the provider is not configured or cannot be discovered.
func (c *Client) EndSessionURL(ctx context.Context, id, idTokenHint, locale string) (string, error) {
	p, ok := c.find(id)
	if !ok {
		return "", errUnknownProvider
	}
	ctx, cancel := context.WithTimeout(ctx, endSessionTimeout)
	defer cancel()
	d, err := c.discover(ctx, p)
	if err != nil {
		return "", err
	}
	var doc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := d.provider.Claims(&doc); err != nil {
		return "", fmt.Errorf("%w: discovery of %s: %w", ErrUnreachable, p.Issuer, err)
	}
	if doc.EndSession == "" {
		return "", nil
	}
	u, err := url.Parse(doc.EndSession)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%w: discovery of %s: end_session_endpoint %q is not an address", ErrUnreachable, p.Issuer, Clip(doc.EndSession, 100))
	}
	q := u.Query()
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	// client_id as well, which the specification allows beside the hint:
	// it names the client whose registered post_logout_redirect_uri the
	// provider checks, for providers that read it rather than the hint's
	// audience.
	q.Set("client_id", p.ClientID)
	q.Set("post_logout_redirect_uri", c.PostLogoutRedirectURL())
	q.Set("state", SignedOutState)
	if locale != "" {
		q.Set("ui_locales", locale)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
