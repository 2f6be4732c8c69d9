package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/sso"
)

// The single sign-on tests run a real OpenID Provider (zitadel/oidc's op
// package with its in-memory example storage) on a port of its own, and
// drive meibo's console through it as a browser does, with a cookie jar.
//
// Its users: "test-user@127.0.0.1" (e-mail test-user@zitadel.ch) and
// "test-user2" (e-mail test-user2@zitadel.ch), password "verysecure"; its
// ID tokens say amr ["pwd"].
//
// The example provider asks for the password at every sign-in; the harness
// gives it what real providers have, a session of the browser: a sign-in at
// its login page sets a cookie of the provider's, and the login page of a
// browser holding one signs the same person in again without asking. Its
// end_session endpoint (RP-Initiated Logout) ends the sessions of the
// person its id_token_hint names, and takes meibo's sign-in page as
// meibo's registered post_logout_redirect_uri.

// ssoEnv is meibo and the provider.
type ssoEnv struct {
	t      *testing.T
	m      *Main
	op     *httptest.Server
	sys    context.Context
	offset atomic.Int64 // added to meibo's clock for ID tokens (ns)
	logs   syncBuffer   // meibo's log

	mu   sync.Mutex
	swap string // an ID token the provider's token endpoint answers instead
	// The provider's browser sessions, by their cookie's value, and the
	// sign-outs its end_session endpoint was asked for.
	opSessions map[string]opSession
	opEnded    []string     // "user ID client ID"
	opLogouts  []url.Values // the requests at its end_session endpoint
}

// opSession is a browser signed in at the provider.
type opSession struct{ user, userID string }

// opSessionCookie is the provider's cookie of a browser signed in there.
const opSessionCookie = "op_session"

// opStorage is the example provider's storage with meibo's registered
// post_logout_redirect_uri and a sign-out that ends the browser sessions of
// the person.
type opStorage struct {
	*storage.Storage
	e *ssoEnv
}

// opClient is a client registered with the provider, with its
// post_logout_redirect_uris (the example's clients have none).
type opClient struct {
	op.Client
	postLogout []string
}

func (c opClient) PostLogoutRedirectURIs() []string { return c.postLogout }

func (s opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != "meibo" {
		return c, err
	}
	return opClient{Client: c, postLogout: []string{s.e.m.URL() + "/console/signin"}}, nil
}

func (s opStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	s.e.mu.Lock()
	s.e.opEnded = append(s.e.opEnded, userID+" "+clientID)
	for k, v := range s.e.opSessions {
		if userID != "" && v.userID == userID {
			delete(s.e.opSessions, k)
		}
	}
	s.e.mu.Unlock()
	return s.Storage.TerminateSession(ctx, userID, clientID)
}

// opSignOuts lists the requests at the provider's end_session endpoint and
// the sign-outs it made ("user ID client ID").
func (e *ssoEnv) opSignOuts() ([]url.Values, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.opLogouts), slices.Clone(e.opEnded)
}

func startSSO(t *testing.T, edit ...func(*Config)) *ssoEnv {
	t.Helper()
	e := &ssoEnv{t: t, sys: meibo.WithActor(context.Background(), meibo.System("sso-test")), opSessions: map[string]opSession{}}
	e.op = httptest.NewUnstartedServer(nil)
	issuer := "http://" + e.op.Listener.Addr().String()
	// A proxy that says it is another issuer while sending everything to
	// the real provider: its tokens name the real issuer.
	var proxy *httptest.Server
	proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := http.Get(issuer + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err == nil {
				doc["issuer"] = proxy.URL
				b, _ = json.Marshal(doc)
			}
		}
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		w.Write(b)
	}))
	t.Cleanup(proxy.Close)

	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.AdminPassword = consolePassword
	cfg.SignIn.SSO = &sso.Config{Providers: []sso.Provider{
		{ID: "zt", Name: "Zitadel", Issuer: issuer, ClientID: "meibo", ClientSecret: "meibo-secret", Claim: "email", MFA: []string{"pwd"}},
		{ID: "name", Name: "Zitadel by name", Issuer: issuer, ClientID: "meibo", ClientSecret: "meibo-secret", Claim: "preferred_username"},
		{ID: "proxy", Name: "Impostor", Issuer: proxy.URL, ClientID: "meibo", ClientSecret: "meibo-secret"},
		// meibo given a wrong secret, and a provider nobody answers at.
		{ID: "badsecret", Name: "Zitadel with a wrong secret", Issuer: issuer, ClientID: "meibo", ClientSecret: "not-the-secret"},
		{ID: "down", Name: "Down", Issuer: "http://127.0.0.1:1", ClientID: "meibo", ClientSecret: "meibo-secret"},
	}}
	cfg.Logger = slog.New(slog.NewTextHandler(&e.logs, nil))
	for _, f := range edit {
		f(&cfg)
	}
	cfg.SignIn.SSONow = func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }
	e.m = NewMain(cfg)
	if err := e.m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.m.Close() })

	base := e.m.URL()
	clients := map[string]*storage.Client{
		"meibo": storage.WebClient("meibo", "meibo-secret", base+"/console/signin/sso/zt/callback", base+"/console/signin/sso/name/callback",
			base+"/console/signin/sso/proxy/callback", base+"/console/signin/sso/badsecret/callback"),
		"other": storage.WebClient("other", "other-secret", "http://other.invalid/callback"),
	}
	users := storage.NewUserStore(issuer)
	st := opStorage{Storage: storage.NewStorageWithClients(users, clients), e: e}
	opHandler := exampleop.SetupServer(issuer, st,
		// (It makes its logger the process's default: one that is quiet.)
		slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	e.op.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		swap := e.swap
		var sess opSession
		signedIn := false
		if k, err := r.Cookie(opSessionCookie); err == nil {
			sess, signedIn = e.opSessions[k.Value]
		}
		e.mu.Unlock()
		switch {
		case r.URL.Path == "/end_session":
			r.ParseForm()
			e.mu.Lock()
			e.opLogouts = append(e.opLogouts, r.Form)
			e.mu.Unlock()
		case r.URL.Path == "/login/username" && r.Method == http.MethodGet && signedIn:
			// Signed in at the provider already: no password asked.
			id := r.URL.Query().Get("authRequestID")
			if err := st.CheckUsernamePassword(sess.user, "verysecure", id); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, issuer+"/auth/callback?id="+url.QueryEscape(id), http.StatusFound)
			return
		case r.URL.Path == "/login/username" && r.Method == http.MethodPost:
			r.ParseForm() // (the provider reads it from a copy of the request)
			rec := httptest.NewRecorder()
			opHandler.ServeHTTP(rec, r)
			if u := users.GetUserByUsername(r.PostFormValue("username")); rec.Code == http.StatusFound && u != nil {
				k := rand.Text()
				e.mu.Lock()
				e.opSessions[k] = opSession{user: u.Username, userID: u.ID}
				e.mu.Unlock()
				http.SetCookie(w, &http.Cookie{Name: opSessionCookie, Value: k, Path: "/", HttpOnly: true})
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		if r.URL.Path != "/oauth/token" || swap == "" {
			opHandler.ServeHTTP(w, r)
			return
		}
		// The provider's real answer, with another ID token it issued.
		rec := httptest.NewRecorder()
		opHandler.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			body["id_token"] = swap
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(body)
	})
	e.op.Start()
	t.Cleanup(e.op.Close)
	return e
}

// browser is a cookie jar that does not follow redirects by itself.
func (e *ssoEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func (e *ssoEnv) get(c *http.Client, u string) *http.Response {
	e.t.Helper()
	res, err := c.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// toProvider starts a sign-in with provider at meibo, signs in at the
// provider as user and returns the address the provider sends the browser
// back to (not yet followed).
func (e *ssoEnv) toProvider(c *http.Client, provider, user string) string {
	e.t.Helper()
	res := e.get(c, e.m.URL()+"/console/signin/sso/"+provider)
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("start: %d", res.StatusCode)
	}
	auth := res.Header.Get("Location")
	for _, q := range []string{"code_challenge=", "code_challenge_method=S256", "state=", "nonce="} {
		if !strings.Contains(auth, q) {
			e.t.Errorf("the authorization request lacks %s: %s", q, auth)
		}
	}
	return e.atProvider(c, auth, user)
}

// atProvider follows an authorization request at the provider, signing in
// as user, up to the redirect back to the client.
func (e *ssoEnv) atProvider(c *http.Client, auth, user string) string {
	e.t.Helper()
	res := e.get(c, auth)
	loc, _ := res.Request.URL.Parse(res.Header.Get("Location"))
	id := loc.Query().Get("authRequestID")
	if id == "" {
		e.t.Fatalf("the provider did not ask to sign in: %d %s", res.StatusCode, loc)
	}
	form := url.Values{"username": {user}, "password": {"verysecure"}, "id": {id}}
	r, err := c.PostForm(e.op.URL+"/login/username", form)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Body.Close()
	next, _ := r.Request.URL.Parse(r.Header.Get("Location"))
	for range 5 {
		if !strings.HasPrefix(next.String(), e.op.URL) {
			return next.String()
		}
		res = e.get(c, next.String())
		next, _ = res.Request.URL.Parse(res.Header.Get("Location"))
	}
	e.t.Fatalf("the provider did not send the browser back: %s", next)
	return ""
}

// back follows the provider's redirect into meibo and returns the status
// and where meibo sends the browser.
func (e *ssoEnv) back(c *http.Client, callback string) (int, string) {
	e.t.Helper()
	res, err := c.Get(callback)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusSeeOther {
		return res.StatusCode, res.Header.Get("Location")
	}
	return res.StatusCode, string(b)
}

func (e *ssoEnv) page(c *http.Client, path string) string {
	e.t.Helper()
	res, err := c.Get(e.m.URL() + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.Status + " " + res.Header.Get("Location")
	}
	return string(b)
}

// lastRefusal is the reason of the last refused single sign-on audited.
func (e *ssoEnv) lastRefusal() string {
	e.t.Helper()
	r, _ := e.lastFailure()["reason"].(string)
	return r
}

// lastFailure is the details of the last failed single sign-on audited.
func (e *ssoEnv) lastFailure() map[string]any {
	e.t.Helper()
	ev, err := e.m.Service.AuditEvents(e.sys, meibo.AuditFilter{Action: "admin.signin.sso.failed", Limit: 1})
	if err != nil || len(ev) == 0 {
		e.t.Fatalf("no refusal audited: %v", err)
	}
	return ev[0].Details
}

func TestSSOSignIn(t *testing.T) {
	e := startSSO(t)
	if _, err := e.m.Service.CreateAdmin(e.sys, service.AdminInput{LoginID: "alice", Name: "Alice", Email: "Test-User@zitadel.ch",
		Password: "Bright-harbor-91", Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Service.CreateAdmin(e.sys, service.AdminInput{LoginID: "test-user2", Name: "Two", Password: "Quiet-lantern-52",
		Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)}); err != nil {
		t.Fatal(err)
	}
	signInPage := e.page(e.browser(), "/console/signin")
	for _, want := range []string{"Sign in with Zitadel", `href="/console/signin/sso/zt"`} {
		if !strings.Contains(signInPage, want) {
			t.Errorf("the sign-in page lacks %q", want)
		}
	}

	var used string           // a callback already followed
	var aliceSSO *http.Client // signed in with the provider
	t.Run("by e-mail address", func(t *testing.T) {
		c := e.browser()
		aliceSSO = c
		used = e.toProvider(c, "zt", "test-user@127.0.0.1")
		st, loc := e.back(c, used)
		if st != http.StatusSeeOther || loc != "/console/" {
			t.Fatalf("callback: %d %s", st, loc)
		}
		if p := e.page(c, "/console/account/security"); !strings.Contains(p, "Single sign-on (zt) &#43; the provider&#39;s second factor") {
			t.Errorf("the session does not say it came from the provider:\n%s", p)
		}
	})

	t.Run("a manager unlinks the provider", func(t *testing.T) {
		c := e.browser()
		page := e.page(c, "/console/signin")
		form := url.Values{"loginId": {"admin"}, "password": {consolePassword}, "csrf": {csrfOf(t, page)}}
		res, err := c.PostForm(e.m.URL()+"/console/signin", form)
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in as admin: %v %v", res, err)
		}
		res.Body.Close()
		ad, err := e.m.Service.AdminByLoginID(e.sys, "alice")
		if err != nil {
			t.Fatal(err)
		}
		sec := fmt.Sprintf("/console/admins/%d/security", ad.ID)
		page = e.page(c, sec)
		if !strings.Contains(page, "Single sign-on (zt) &#43; the provider&#39;s second factor") || !strings.Contains(page, `/security/sso/zt/remove`) {
			t.Fatalf("the administrator's page does not show the provider's session and link:\n%s", page)
		}
		res, err = c.PostForm(e.m.URL()+sec+"/sso/zt/remove", url.Values{"csrf": {csrfOf(t, page)}})
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlink: %v %v", res, err)
		}
		res.Body.Close()
		if p := e.page(aliceSSO, "/console/account/security"); !strings.Contains(p, "303") {
			t.Errorf("alice's session outlived the unlinking")
		}
	})

	t.Run("by preferred_username, the policy asking for a second factor", func(t *testing.T) {
		if err := e.m.Service.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}); err != nil {
			t.Fatal(err)
		}
		defer e.m.Service.SetMFAPolicy(e.sys, meibo.MFAPolicy{})
		c := e.browser()
		st, loc := e.back(c, e.toProvider(c, "name", "test-user2"))
		if st != http.StatusSeeOther {
			t.Fatalf("callback: %d %s", st, loc)
		}
		// No amr the operator trusts: meibo's own second factor is set up
		// first.
		if p := e.page(c, "/console/"); !strings.Contains(p, "/console/account/security") {
			t.Errorf("the console was reached without the second factor: %s", p)
		}
	})

	t.Run("an unknown person", func(t *testing.T) {
		c := e.browser()
		st, body := e.back(c, e.toProvider(c, "zt", "test-user2"))
		if st != http.StatusUnauthorized || !strings.Contains(body, "No administrator of meibo is linked to this account. Ask a manager of administrators.") {
			t.Errorf("unknown person: %d %s", st, body)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "test-user2@zitadel.ch") {
			t.Errorf("refusal %q", r)
		}
	})

	t.Run("a bad state", func(t *testing.T) {
		c := e.browser()
		cb, _ := url.Parse(e.toProvider(c, "zt", "test-user@127.0.0.1"))
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		if st, _ := e.back(c, cb.String()); st != http.StatusUnauthorized {
			t.Errorf("bad state: %d", st)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "state") {
			t.Errorf("refusal %q", r)
		}
	})

	t.Run("a replayed code", func(t *testing.T) {
		// The same answer again: the sign-in it belonged to is over.
		c := e.browser()
		if st, body := e.back(c, used); st != http.StatusUnauthorized || !strings.Contains(body, "expired or was already used. Start again.") {
			t.Errorf("replayed answer: %d %s", st, body)
		}
		// The used code with the state of a new sign-in: the provider
		// refuses it.
		res := e.get(c, e.m.URL()+"/console/signin/sso/zt")
		auth, _ := url.Parse(res.Header.Get("Location"))
		old, _ := url.Parse(used)
		q := old.Query()
		q.Set("state", auth.Query().Get("state"))
		old.RawQuery = q.Encode()
		if st, _ := e.back(c, old.String()); st != http.StatusUnauthorized {
			t.Errorf("replayed code: %d", st)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "exchange") {
			t.Errorf("refusal %q", r)
		}
	})

	t.Run("a token of another issuer", func(t *testing.T) {
		c := e.browser()
		if st, _ := e.back(c, e.toProvider(c, "proxy", "test-user@127.0.0.1")); st != http.StatusUnauthorized {
			t.Errorf("another issuer: %d", st)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "issued by a different provider") {
			t.Errorf("refusal %q", r)
		}
	})

	t.Run("a token of another audience", func(t *testing.T) {
		// A real ID token of the provider for another client.
		oc := e.browser()
		auth := e.op.URL + "/auth?" + url.Values{"client_id": {"other"}, "redirect_uri": {"http://other.invalid/callback"},
			"response_type": {"code"}, "scope": {"openid email"}, "state": {"s"}, "nonce": {"n"}}.Encode()
		cb, _ := url.Parse(e.atProvider(oc, auth, "test-user@127.0.0.1"))
		req, _ := http.NewRequest("POST", e.op.URL+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"authorization_code"},
			"code": {cb.Query().Get("code")}, "redirect_uri": {"http://other.invalid/callback"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("other", "other-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			IDToken string `json:"id_token"`
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&tok); err != nil || tok.IDToken == "" {
			t.Fatalf("other client's token: %s %v", b, err)
		}
		e.mu.Lock()
		e.swap = tok.IDToken
		e.mu.Unlock()
		defer func() { e.mu.Lock(); e.swap = ""; e.mu.Unlock() }()
		c := e.browser()
		if st, _ := e.back(c, e.toProvider(c, "zt", "test-user@127.0.0.1")); st != http.StatusUnauthorized {
			t.Errorf("another audience: %d", st)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "audience") {
			t.Errorf("refusal %q", r)
		}
	})

	t.Run("counted in the metrics", func(t *testing.T) {
		// A sign-in through the provider counts as a console sign-in,
		// an unknown person and a refused answer as refused ones.
		count := func(outcome string) float64 { return signIns(t, e.m.URL(), "console", outcome) }
		success, refused := count("success"), count("refused")
		c := e.browser()
		if st, loc := e.back(c, e.toProvider(c, "zt", "test-user@127.0.0.1")); st != http.StatusSeeOther || loc != "/console/" {
			t.Fatalf("callback: %d %s", st, loc)
		}
		unknown := e.browser()
		if st, _ := e.back(unknown, e.toProvider(unknown, "zt", "test-user2")); st != http.StatusUnauthorized {
			t.Fatalf("unknown person: %d", st)
		}
		bad := e.browser()
		cb, _ := url.Parse(e.toProvider(bad, "zt", "test-user@127.0.0.1"))
		q := cb.Query()
		q.Set("state", "x"+q.Get("state"))
		cb.RawQuery = q.Encode()
		if st, _ := e.back(bad, cb.String()); st != http.StatusUnauthorized {
			t.Fatalf("bad state: %d", st)
		}
		if got := count("success") - success; got != 1 {
			t.Errorf("console sign-ins succeeded: +%v, want +1", got)
		}
		if got := count("refused") - refused; got != 2 {
			t.Errorf("console sign-ins refused: +%v, want +2", got)
		}
	})

	t.Run("two sign-ins begun in one browser", func(t *testing.T) {
		// Two tabs: each callback finds its own sign-in, once.
		c := e.browser()
		first := e.toProvider(c, "zt", "test-user@127.0.0.1")
		second := e.toProvider(c, "zt", "test-user@127.0.0.1")
		if st, loc := e.back(c, first); st != http.StatusSeeOther || loc != "/console/" {
			t.Errorf("the first tab: %d %s", st, loc)
		}
		if st, loc := e.back(c, second); st != http.StatusSeeOther || loc != "/console/" {
			t.Errorf("the second tab: %d %s", st, loc)
		}
		if st, _ := e.back(c, first); st != http.StatusUnauthorized {
			t.Errorf("the first tab's answer again: %d", st)
		}
		// A browser keeps a few sign-ins under way, not one per click.
		for range 7 {
			e.get(c, e.m.URL()+"/console/signin/sso/zt")
		}
		cb, _ := url.Parse(e.m.URL() + "/console/signin/sso/zt/callback")
		n := 0
		for _, k := range c.Jar.Cookies(cb) {
			if strings.HasPrefix(k.Name, "meibo_sso") {
				n++
			}
		}
		if n == 0 || n > 4 {
			t.Errorf("%d sign-ins kept in the browser", n)
		}
	})

	t.Run("the provider answers an error", func(t *testing.T) {
		// The person's account at the provider may not use meibo: the
		// provider says why, and the person reads it (escaped, clipped).
		c := e.browser()
		res := e.get(c, e.m.URL()+"/console/signin/sso/zt")
		auth, _ := url.Parse(res.Header.Get("Location"))
		said := "<b>Your account is not assigned to meibo.</b> Ask the IT desk." + strings.Repeat(" more", 100)
		cb := e.m.URL() + "/console/signin/sso/zt/callback?" + url.Values{"error": {"access_denied"}, "error_description": {said},
			"state": {auth.Query().Get("state")}}.Encode()
		st, body := e.back(c, cb)
		if st != http.StatusUnauthorized || !strings.Contains(body, "The identity provider did not let you sign in: &lt;b&gt;Your account is not assigned to meibo.&lt;/b&gt; Ask the IT desk.") ||
			strings.Contains(body, "<b>Your") || strings.Contains(body, strings.Repeat(" more", 50)) {
			t.Errorf("access_denied: %d %s", st, body)
		}
		if d := e.lastFailure(); !strings.Contains(d["reason"].(string), "provider error: access_denied: <b>Your account is not assigned") || d["fault"] != nil {
			t.Errorf("audited %v", d)
		}
		// The same answer without a sign-in under way (a link anyone can
		// write): the description is not shown.
		other := e.browser()
		st, body = e.back(other, cb)
		if st != http.StatusUnauthorized || strings.Contains(body, "IT desk") || !strings.Contains(body, "Start again.") {
			t.Errorf("access_denied without a sign-in: %d %s", st, body)
		}
	})

	t.Run("a callback anyone could have written", func(t *testing.T) {
		// No sign-in under way: what the address says is neither shown,
		// nor logged, nor audited, but an error code that is one.
		c := e.browser()
		for _, q := range []url.Values{
			{"error": {"x"}, "error_description": {"EVIL: call +1 555 0100"}, "state": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
			{"error": {"x"}, "error_description": {"EVIL"}},
			{"error": {"EVIL_said_here"}, "error_description": {"EVIL"}},
		} {
			st, body := e.back(c, e.m.URL()+"/console/signin/sso/zt/callback?"+q.Encode())
			if st != http.StatusUnauthorized || strings.Contains(body, "EVIL") || !strings.Contains(body, "Start again.") {
				t.Errorf("%v: %d %s", q, st, body)
			}
			r := e.lastRefusal()
			if strings.Contains(r, "EVIL") || !strings.Contains(r, "a callback with no sign-in under way") {
				t.Errorf("%v: audited %q", q, r)
			}
			if q.Get("error") == "x" && !strings.Contains(r, "error x") {
				t.Errorf("%v: audited %q", q, r)
			}
		}
		// A provider that is not configured is not one.
		if st, _ := e.back(c, e.m.URL()+"/console/signin/sso/EVIL/callback?error=x"); st != http.StatusNotFound {
			t.Errorf("an unknown provider's callback: %d", st)
		}
		ev, err := e.m.Service.AuditEvents(e.sys, meibo.AuditFilter{Limit: 5})
		if err != nil || strings.Contains(fmt.Sprintf("%+v", ev), "EVIL") {
			t.Errorf("audited: %v %+v", err, ev)
		}
		// (The access log has the path, not the query.)
		for _, line := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(line, "EVIL") && !strings.Contains(line, "msg=request ") {
				t.Errorf("logged: %s", line)
			}
		}
	})

	t.Run("a wrong client secret", func(t *testing.T) {
		c := e.browser()
		st, body := e.back(c, e.toProvider(c, "badsecret", "test-user@127.0.0.1"))
		if st != http.StatusBadGateway || !strings.Contains(body, "Try again later, or sign in with your password.") {
			t.Errorf("wrong client secret: %d %s", st, body)
		}
		if d := e.lastFailure(); !strings.Contains(d["reason"].(string), "provider error: invalid_client") || d["fault"] != "provider" {
			t.Errorf("audited %v", d)
		}
		if log := e.logs.String(); !strings.Contains(log, "level=ERROR msg=\"sso: the identity provider refused meibo") || !strings.Contains(log, "invalid_client") {
			t.Errorf("not logged:\n%s", log)
		}
	})

	t.Run("the provider refuses meibo's request at the redirect", func(t *testing.T) {
		// A scope or a client the provider does not allow: meibo's
		// configuration, not the person.
		for _, code := range []string{"invalid_scope", "unauthorized_client", "unsupported_response_type", "invalid_request"} {
			c := e.browser()
			res := e.get(c, e.m.URL()+"/console/signin/sso/zt")
			auth, _ := url.Parse(res.Header.Get("Location"))
			cb := e.m.URL() + "/console/signin/sso/zt/callback?" + url.Values{"error": {code}, "error_description": {"scope groups is not allowed"},
				"state": {auth.Query().Get("state")}}.Encode()
			st, body := e.back(c, cb)
			if st != http.StatusBadGateway || !strings.Contains(body, "Try again later, or sign in with your password.") || strings.Contains(body, "did not let you") {
				t.Errorf("%s: %d %s", code, st, body)
			}
			if d := e.lastFailure(); !strings.Contains(d["reason"].(string), "provider error: "+code) || d["fault"] != "provider" {
				t.Errorf("%s: audited %v", code, d)
			}
			logged := false
			for _, line := range strings.Split(e.logs.String(), "\n") {
				logged = logged || strings.Contains(line, "level=ERROR msg=\"sso: the identity provider refused meibo") &&
					strings.Contains(line, "provider error: "+code+": scope groups is not allowed")
			}
			if !logged {
				t.Errorf("%s: not logged at ERROR:\n%s", code, e.logs.String())
			}
		}
	})

	t.Run("a provider that cannot be reached", func(t *testing.T) {
		c := e.browser()
		res, err := c.Get(e.m.URL() + "/console/signin/sso/down")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "Try again later, or sign in with your password.") {
			t.Errorf("provider down: %d %s", res.StatusCode, b)
		}
		if d := e.lastFailure(); !strings.Contains(d["reason"].(string), "provider unreachable: discovery of http://127.0.0.1:1") || d["fault"] != "provider" {
			t.Errorf("audited %v", d)
		}
		if log := e.logs.String(); !strings.Contains(log, "level=WARN msg=\"sso: the identity provider cannot be reached") {
			t.Errorf("not logged:\n%s", log)
		}
	})

	t.Run("meibo's clock a minute ahead", func(t *testing.T) {
		c := e.browser()
		cb := e.toProvider(c, "zt", "test-user@127.0.0.1")
		e.offset.Store(int64(time.Hour + time.Minute))
		defer e.offset.Store(0)
		if st, loc := e.back(c, cb); st != http.StatusSeeOther {
			t.Errorf("a token a minute past its expiry by meibo's clock: %d %s", st, loc)
		}
	})

	t.Run("an expired ID token", func(t *testing.T) {
		c := e.browser()
		cb := e.toProvider(c, "zt", "test-user@127.0.0.1")
		// The answer arrives after the token's hour.
		e.offset.Store(int64(2 * time.Hour))
		defer e.offset.Store(0)
		if st, _ := e.back(c, cb); st != http.StatusUnauthorized {
			t.Errorf("expired token: %d", st)
		}
		if r := e.lastRefusal(); !strings.Contains(r, "expired") {
			t.Errorf("refusal %q", r)
		}
	})
}

// TestSSOFlowCookiesOverHTTPS: over https the flow cookies are __Host-
// ones (for the whole site), and a browser still keeps at most four of
// them, each start clearing the oldest by its own name.
func TestSSOFlowCookiesOverHTTPS(t *testing.T) {
	cert, key := testCert(t, t.TempDir(), 1)
	e := startSSO(t, func(c *Config) { c.HTTP.TLSCert, c.HTTP.TLSKey = cert, key })
	if !strings.HasPrefix(e.m.URL(), "https://") {
		t.Fatalf("not served over https: %s", e.m.URL())
	}
	c := e.browser()
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	for i := range 6 {
		res := e.get(c, e.m.URL()+"/console/signin/sso/zt")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("start %d: %d", i, res.StatusCode)
		}
		for _, h := range res.Header.Values("Set-Cookie") {
			if strings.Contains(h, "meibo_sso") && (!strings.HasPrefix(h, "__Host-meibo_sso_") || !strings.Contains(h, "; Path=/;")) {
				t.Errorf("start %d set %s", i, h)
			}
		}
	}
	u, _ := url.Parse(e.m.URL() + "/")
	var kept []string
	for _, k := range c.Jar.Cookies(u) {
		if strings.Contains(k.Name, "meibo_sso") {
			kept = append(kept, k.Name)
		}
		if strings.Contains(k.Name, "__Host-__Host-") {
			t.Errorf("a cookie with the prefix twice: %s", k.Name)
		}
	}
	if len(kept) == 0 || len(kept) > 4 {
		t.Errorf("%d sign-ins kept in the browser: %v", len(kept), kept)
	}
	// The newest is among them: its callback finds its sign-in.
	st, loc := e.back(c, e.toProvider(c, "zt", "test-user@127.0.0.1"))
	if st != http.StatusUnauthorized || !strings.Contains(loc, "No administrator of meibo") {
		t.Errorf("callback: %d %s", st, loc)
	}
}

// csrfOf is the CSRF token of a page's first form.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in the page:\n%s", page)
	}
	return m[1]
}

// TestSSOPasswordOff: with passwordOffWithSso, an administrator who has
// signed in with the provider is told, after a correct password only, to
// sign in with the provider, as the API says, and the refusal is audited;
// a wrong password gets the usual answer.
func TestSSOPasswordOff(t *testing.T) {
	e := startSSO(t, func(c *Config) { c.SignIn.SSO.PasswordOffWithSSO = true })
	if _, err := e.m.Service.CreateAdmin(e.sys, service.AdminInput{LoginID: "alice", Name: "Alice", Email: "test-user@zitadel.ch",
		Password: "Bright-harbor-91", Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	if st, loc := e.back(c, e.toProvider(c, "zt", "test-user@127.0.0.1")); st != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", st, loc)
	}
	signIn := func(password string, loginID ...string) (int, string) {
		c := e.browser()
		id := "alice"
		if len(loginID) > 0 {
			id = loginID[0]
		}
		form := url.Values{"loginId": {id}, "password": {password}, "csrf": {csrfOf(t, e.page(c, "/console/signin"))}}
		res, err := c.PostForm(e.m.URL()+"/console/signin", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := signIn("Wrong-harbor-91"); st != http.StatusUnauthorized || !strings.Contains(body, "The ID or password is not correct.") ||
		strings.Contains(body, "identity provider") {
		t.Errorf("a wrong password: %d %s", st, body)
	}
	st, body := signIn("Bright-harbor-91")
	if st != http.StatusUnauthorized || !strings.Contains(body, "Password sign-in is turned off for this administrator: sign in with the identity provider.") {
		t.Errorf("the right password: %d %s", st, body)
	}
	ev, err := e.m.Service.AuditEvents(e.sys, meibo.AuditFilter{Action: "admin.signin.failed", Limit: 1})
	if err != nil || len(ev) == 0 || ev[0].ObjectID != "alice" || !strings.Contains(fmt.Sprint(ev[0].Details["reason"]), "passwordOffWithSso") {
		t.Errorf("not audited: %v %+v", err, ev)
	}
	// The refusal is audited with the login ID as typed, which is the
	// administrator's own: login IDs match exactly, so another spelling is
	// no administrator and gets the usual answer.
	for _, typed := range []string{"Alice", " alice", "alice "} {
		if st, body := signIn("Bright-harbor-91", typed); st != http.StatusUnauthorized || !strings.Contains(body, "The ID or password is not correct.") {
			t.Errorf("%q: %d %s", typed, st, body)
		}
	}
	ev, err = e.m.Service.AuditEvents(e.sys, meibo.AuditFilter{Action: "admin.signin.failed", Limit: 10})
	for _, a := range ev {
		if strings.Contains(fmt.Sprint(a.Details["reason"]), "passwordOffWithSso") && a.ObjectID != "alice" {
			t.Errorf("a refusal audited for %q: %+v", a.ObjectID, a)
		}
	}
	if err != nil {
		t.Error(err)
	}
}

// TestSSOStartupChecks: the log at the start names each provider's
// redirect URL, and warns, without holding the start up, of a provider
// that cannot be discovered and of one that needs the client secret meibo
// was not given.
func TestSSOStartupChecks(t *testing.T) {
	// A provider that takes clients with a secret only.
	var op *httptest.Server
	op = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": op.URL, "authorization_endpoint": op.URL + "/auth", "token_endpoint": op.URL + "/token",
			"jwks_uri": op.URL + "/jwks", "token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"}})
	}))
	defer op.Close()
	var logs syncBuffer
	cfg := testConfig(migratedDB(t), io.Discard)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.Mail.PublicURL = "https://meibo.example.com"
	cfg.SignIn.SSO = &sso.Config{Providers: []sso.Provider{
		{ID: "corp", Name: "Corp", Issuer: op.URL, ClientID: "meibo"},
		{ID: "down", Name: "Down", Issuer: "http://127.0.0.1:1", ClientID: "meibo", ClientSecret: "s"},
	}}
	m := NewMain(cfg)
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, want := range []string{"https://meibo.example.com/console/signin/sso/corp/callback", "https://meibo.example.com/console/signin/sso/down/callback",
		"and https://meibo.example.com/console/signin as its post-logout redirect URL"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log at the start lacks %s:\n%s", want, logs.String())
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), "single sign-on with Down fails") || !strings.Contains(logs.String(), "single sign-on with Corp will fail") {
		if time.Now().After(deadline) {
			t.Fatalf("no warnings:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	log := logs.String()
	for _, want := range []string{"level=WARN msg=\"single sign-on with Corp will fail", "clientSecretFile", "level=WARN msg=\"single sign-on with Down fails",
		"discovery of http://127.0.0.1:1"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}
