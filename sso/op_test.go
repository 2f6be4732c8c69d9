package sso_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo/sso"
)

// fakeOP is a small OpenID provider whose ID tokens carry the claims a
// test gives, signed with a key of its own, and whose token endpoint can
// answer an OAuth error.
type fakeOP struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu         sync.Mutex
	nonce      string
	claims     map[string]any // added to iss, sub, aud, exp, iat, nonce
	tokenError string         // an OAuth error code the token endpoint answers
	tokenDesc  string
	tokenDown  bool     // the token endpoint answers 502 without a code
	methods    []string // token_endpoint_auth_methods_supported
	endSession string   // end_session_endpoint
}

var opKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newFakeOP(t *testing.T) *fakeOP {
	op := &fakeOP{t: t, key: opKey()}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		defer op.mu.Unlock()
		doc := map[string]any{"issuer": op.srv.URL, "authorization_endpoint": op.srv.URL + "/auth", "token_endpoint": op.srv.URL + "/token",
			"jwks_uri": op.srv.URL + "/jwks", "userinfo_endpoint": op.srv.URL + "/userinfo", "id_token_signing_alg_values_supported": []string{"RS256"}}
		if op.methods != nil {
			doc["token_endpoint_auth_methods_supported"] = op.methods
		}
		if op.endSession != "" {
			doc["end_session_endpoint"] = op.endSession
		}
		json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(op.key.N.Bytes()), "e": b64(big.NewInt(int64(op.key.E)).Bytes())}}})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"sub": "s-1"})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		defer op.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case op.tokenDown:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<h1>Bad gateway</h1>"))
			return
		case op.tokenError != "":
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": op.tokenError, "error_description": op.tokenDesc})
			return
		}
		now := time.Now()
		claims := map[string]any{"iss": op.srv.URL, "sub": "s-1", "aud": "meibo", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": op.nonce}
		for k, v := range op.claims {
			claims[k] = v
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": op.sign(claims)})
	})
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *fakeOP) sign(claims map[string]any) string {
	b64 := base64.RawURLEncoding.EncodeToString
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	signed := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, op.key, crypto.SHA256, sum[:])
	if err != nil {
		op.t.Fatal(err)
	}
	return signed + "." + b64(sig)
}

func (op *fakeOP) set(f func(op *fakeOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

// client is a client of op (and of a provider nobody answers at "down").
func (op *fakeOP) client(secret string) *sso.Client {
	cfg := &sso.Config{Providers: []sso.Provider{
		{ID: "op", Issuer: op.srv.URL, ClientID: "meibo", ClientSecret: secret},
		{ID: "down", Issuer: "http://127.0.0.1:1", ClientID: "meibo", ClientSecret: secret},
	}}
	if err := cfg.Validate(); err != nil {
		op.t.Fatal(err)
	}
	c := sso.New(cfg, "https://meibo.example.com")
	c.HTTP = op.srv.Client()
	return c
}

// signIn runs a sign-in with op to the end.
func (op *fakeOP) signIn(c *sso.Client) (*sso.Identity, error) {
	op.t.Helper()
	u, f, err := c.Start(context.Background(), "op", "")
	if err != nil {
		op.t.Fatal(err)
	}
	auth, _ := url.Parse(u)
	op.set(func(op *fakeOP) { op.nonce = auth.Query().Get("nonce") })
	return c.Finish(context.Background(), f, f.State, "a-code")
}

// TestEmailVerified: "email_verified" false refuses the address, as a JSON
// boolean or as a string in any case; "true" and an absent claim (Entra
// never sends it) take it.
func TestEmailVerified(t *testing.T) {
	op := newFakeOP(t)
	c := op.client("s3cret")
	for _, v := range []any{false, "false", "FALSE", " False", "no"} {
		op.set(func(op *fakeOP) { op.claims = map[string]any{"email": "ann@example.com", "email_verified": v} })
		id, err := op.signIn(c)
		if !errors.Is(err, sso.ErrNoIdentity) || !strings.Contains(err.Error(), "not verified the e-mail address ann@example.com") {
			t.Errorf("email_verified %#v: %+v %v", v, id, err)
		}
	}
	for _, v := range []any{true, "true", "TRUE", nil} {
		claims := map[string]any{"email": "ann@example.com"}
		if v != nil {
			claims["email_verified"] = v
		}
		op.set(func(op *fakeOP) { op.claims = claims })
		if id, err := op.signIn(c); err != nil || id.Value != "ann@example.com" {
			t.Errorf("email_verified %#v: %+v %v", v, id, err)
		}
	}
}

// TestClockSkew: an ID token is taken up to two minutes after its expiry
// by meibo's clock (one ahead of the provider's), not later; and up to five
// minutes before its "nbf" (a clock behind), not earlier.
func TestClockSkew(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.claims = map[string]any{"email": "ann@example.com"} })
	c := op.client("s3cret")
	var ahead time.Duration
	c.Now = func() time.Time { return time.Now().Add(ahead) }
	ahead = time.Hour + time.Minute
	if _, err := op.signIn(c); err != nil {
		t.Errorf("a clock a minute past the expiry: %v", err)
	}
	ahead = time.Hour + 3*time.Minute
	if _, err := op.signIn(c); !errors.Is(err, sso.ErrRefused) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("a clock three minutes past the expiry: %v", err)
	}
	op.set(func(op *fakeOP) { op.claims = map[string]any{"email": "ann@example.com", "nbf": time.Now().Unix()} })
	ahead = 0
	if _, err := op.signIn(c); err != nil {
		t.Errorf("a token valid from now: %v", err)
	}
	ahead = -4 * time.Minute
	if _, err := op.signIn(c); err != nil {
		t.Errorf("a clock four minutes before the nbf: %v", err)
	}
	ahead = -6 * time.Minute
	if _, err := op.signIn(c); !errors.Is(err, sso.ErrRefused) || !strings.Contains(err.Error(), "nbf") {
		t.Errorf("a clock six minutes before the nbf: %v", err)
	}
}

// TestFailures: each failure is told apart, for the person's message and
// the operator's log.
func TestFailures(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.claims = map[string]any{"email": "ann@example.com"} })
	c := op.client("wrong")

	op.set(func(op *fakeOP) {
		op.tokenError, op.tokenDesc = "invalid_client", "client authentication failed\r\n<b>"
	})
	_, err := op.signIn(c)
	var pe *sso.ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_client" || !pe.Operator() || errors.Is(err, sso.ErrStale) ||
		!strings.Contains(err.Error(), "provider error: invalid_client: client authentication failed") || strings.ContainsAny(pe.Description, "\r\n") {
		t.Errorf("a wrong client secret: %v", err)
	}

	op.set(func(op *fakeOP) { op.tokenError, op.tokenDesc = "invalid_grant", "code already used" })
	if _, err := op.signIn(c); !errors.Is(err, sso.ErrStale) || !errors.As(err, &pe) || pe.Operator() {
		t.Errorf("a used code: %v", err)
	}

	op.set(func(op *fakeOP) { op.tokenError, op.tokenDown = "", true })
	if _, err := op.signIn(c); !errors.Is(err, sso.ErrUnreachable) || !strings.Contains(err.Error(), "502") {
		t.Errorf("a token endpoint down: %v", err)
	}
	op.set(func(op *fakeOP) { op.tokenDown = false })

	if _, _, err := c.Start(context.Background(), "down", ""); !errors.Is(err, sso.ErrUnreachable) || !strings.Contains(err.Error(), "discovery of http://127.0.0.1:1") {
		t.Errorf("a provider down: %v", err)
	}

	_, f, err := c.Start(context.Background(), "op", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Finish(context.Background(), f, "another", "a-code"); !errors.Is(err, sso.ErrStale) {
		t.Errorf("another state: %v", err)
	}

	q := url.Values{"error": {"access_denied"}, "error_description": {strings.Repeat("é", 300) + "\n"}}
	if pe := sso.AnswerError(q); pe == nil || pe.Code != "access_denied" || pe.Operator() ||
		len([]rune(pe.Description)) != 201 || !strings.HasSuffix(pe.Description, "…") {
		t.Errorf("an answered error: %+v", pe)
	}
	// Answered at the redirect, errors of meibo's request as configured
	// are the operator's; the person's refusals and the provider's
	// prompts are not.
	for code, operator := range map[string]bool{"invalid_scope": true, "unauthorized_client": true, "unsupported_response_type": true,
		"invalid_request": true, "server_error": true, "temporarily_unavailable": true,
		"access_denied": false, "login_required": false, "interaction_required": false, "consent_required": false} {
		if pe := sso.AnswerError(url.Values{"error": {code}}); pe.Operator() != operator {
			t.Errorf("%s answered at the redirect: operator %v", code, pe.Operator())
		}
	}
	if sso.AnswerError(url.Values{"code": {"c"}}) != nil {
		t.Errorf("an answer without error")
	}
}

// TestCheck: a provider that cannot be reached, and one that takes
// clients that authenticate only while meibo has no secret for it.
func TestCheck(t *testing.T) {
	op := newFakeOP(t)
	ctx := context.Background()
	if err := op.client("").Check(ctx, "down"); !errors.Is(err, sso.ErrUnreachable) {
		t.Errorf("a provider down: %v", err)
	}
	if err := op.client("").Check(ctx, "op"); !errors.Is(err, sso.ErrNoSecret) || !strings.Contains(err.Error(), "clientSecretFile") {
		t.Errorf("no secret, none listed (client_secret_basic): %v", err)
	}
	op.set(func(op *fakeOP) { op.methods = []string{"client_secret_post", "private_key_jwt"} })
	if err := op.client("").Check(ctx, "op"); !errors.Is(err, sso.ErrNoSecret) {
		t.Errorf("no secret, confidential clients only: %v", err)
	}
	if err := op.client("s3cret").Check(ctx, "op"); err != nil {
		t.Errorf("a secret: %v", err)
	}
	op.set(func(op *fakeOP) { op.methods = []string{"client_secret_basic", "none"} })
	if err := op.client("").Check(ctx, "op"); err != nil {
		t.Errorf("a public client: %v", err)
	}
}

// TestLogoutEndSessionURL: the provider's end_session_endpoint, from its
// discovery document, with the request of RP-Initiated Logout; none for a
// provider without one.
func TestLogoutEndSessionURL(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.claims = map[string]any{"email": "ann@example.com"} })
	ctx := context.Background()
	c := op.client("s3cret")
	if u, err := c.EndSessionURL(ctx, "op", "hint", "ja"); err != nil || u != "" {
		t.Errorf("a provider without end_session_endpoint: %q %v", u, err)
	}

	op.set(func(op *fakeOP) { op.endSession = op.srv.URL + "/logout?tenant=t1" })
	c = op.client("s3cret")
	id, err := op.signIn(c)
	if err != nil || id.IDToken == "" || strings.Count(id.IDToken, ".") != 2 {
		t.Fatalf("the sign-in keeps no ID token: %+v %v", id, err)
	}
	raw, err := c.EndSessionURL(ctx, "op", id.IDToken, "ja")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Host != strings.TrimPrefix(op.srv.URL, "http://") || u.Path != "/logout" || q.Get("tenant") != "t1" || q.Get("id_token_hint") != id.IDToken ||
		q.Get("client_id") != "meibo" || q.Get("post_logout_redirect_uri") != "https://meibo.example.com/console/signin" ||
		q.Get("state") != sso.SignedOutState || q.Get("ui_locales") != "ja" {
		t.Errorf("end session URL %s", raw)
	}
	if c.PostLogoutRedirectURL() != "https://meibo.example.com/console/signin" {
		t.Errorf("post-logout redirect URL %s", c.PostLogoutRedirectURL())
	}
	// Without the ID token (a session older than it), client_id alone.
	if raw, err := c.EndSessionURL(ctx, "op", "", ""); err != nil || strings.Contains(raw, "id_token_hint") || strings.Contains(raw, "ui_locales") ||
		!strings.Contains(raw, "client_id=meibo") {
		t.Errorf("without a hint: %s %v", raw, err)
	}

	if _, err := c.EndSessionURL(ctx, "down", "", "en"); !errors.Is(err, sso.ErrUnreachable) {
		t.Errorf("a provider down: %v", err)
	}
	if _, err := c.EndSessionURL(ctx, "nobody", "", "en"); err == nil {
		t.Errorf("a provider not configured")
	}
	op.set(func(op *fakeOP) { op.endSession = "javascript:alert(1)" })
	if raw, err := op.client("s3cret").EndSessionURL(ctx, "op", "", "en"); !errors.Is(err, sso.ErrUnreachable) {
		t.Errorf("an end_session_endpoint that is not an address: %q %v", raw, err)
	}
}
