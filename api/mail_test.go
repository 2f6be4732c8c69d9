package api_test

// The outbox and invitations through the JSON API: who may read messages
// (Log Viewer with authority 24, department scope), and resending an
// invitation, which ends the older link.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

const mailPublicURL = "https://meibo.example.org"

var mailLinkRE = regexp.MustCompile(`https://meibo\.example\.org/password/(mbl_[A-Za-z0-9_-]{43})\b`)

type mailAPI struct {
	t      *testing.T
	svc    *service.Service
	srv    *httptest.Server
	noURL  *httptest.Server // the same API, without a public URL
	sys    context.Context
	tokens map[string]string
	users  map[string]int64
}

func newMailAPI(t *testing.T, engine string) *mailAPI {
	t.Helper()
	h := argon2id.ForTests()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.Open(t, engine, nil)
	cfg := service.Config{Hasher: h, Logger: log, PublicURL: mailPublicURL}
	svc := service.New(db, cfg)
	cfg.PublicURL = ""
	e := &mailAPI{t: t, svc: svc, sys: meibo.WithActor(context.Background(), meibo.System("cli:test")),
		srv:    newTestServer(t, api.New(svc, api.Options{Logger: log})),
		noURL:  newTestServer(t, api.New(service.New(db, cfg), api.Options{Logger: log})),
		tokens: map[string]string{}, users: map[string]int64{}}
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.noURL.Close)
	if _, _, err := svc.Bootstrap(context.Background(), rootPassword); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"G1", "G2"} {
		if _, err := svc.CreateGroup(e.sys, meibo.Group{ID: g}); err != nil {
			t.Fatal(err)
		}
	}
	for name, in := range map[string]struct {
		auth  meibo.Authorities
		group string
	}{
		"mail":     {meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail), ""},
		"viewer":   {meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments, meibo.AuthLogSaveCSV, meibo.AuthLogConfig), ""},
		"manager":  {meibo.NewAuthorities(meibo.AuthConsole), ""},
		"deptmail": {meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogMail, meibo.AuthDepartment), "G1"},
		"deptmgr":  {meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment), "G1"},
	} {
		ai := service.AdminInput{LoginID: name, Name: name, Authorities: in.auth, Password: "Velvet-summit-88"}
		if in.group != "" {
			ai.Groups = []string{in.group}
		}
		if _, err := svc.CreateAdmin(e.sys, ai); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.CreateToken(e.sys, name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	return e
}

// call sends a request as admin and decodes the JSON answer into out.
func (e *mailAPI) call(base, as, method, path string, body any, header map[string]string, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[as])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode
}

type mailList struct {
	Mail []map[string]any `json:"mail"`
}

func TestMailAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMailAPI(t, engine)
		evil := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
		// Adding with sendInvitation queues an invitation; the request's
		// Host plays no part in its link.
		var u1, u2 meibo.User
		if st := e.call(e.srv.URL, "manager", "POST", "/api/v1/groups/G1/users",
			map[string]any{"name": "taro", "email": "taro@example.org", "sendInvitation": true}, evil, &u1); st != http.StatusCreated {
			t.Fatalf("create with an invitation: %d", st)
		}
		if st := e.call(e.srv.URL, "manager", "POST", "/api/v1/groups/G2/users",
			map[string]any{"name": "zed", "email": "zed@example.org", "sendInvitation": true}, nil, &u2); st != http.StatusCreated {
			t.Fatalf("create with an invitation: %d", st)
		}
		// Without a public URL the invitation, and the user, are refused.
		var fail struct {
			Error struct {
				Code   string            `json:"code"`
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		if st := e.call(e.noURL.URL, "manager", "POST", "/api/v1/groups/G1/users",
			map[string]any{"name": "jiro", "email": "jiro@example.org", "sendInvitation": true}, nil, &fail); st != http.StatusUnprocessableEntity {
			t.Errorf("an invitation without a public URL: %d %+v", st, fail)
		}

		// Who reads the outbox.
		var list mailList
		if st := e.call(e.srv.URL, "mail", "GET", "/api/v1/mail", nil, nil, &list); st != 200 || len(list.Mail) != 2 {
			t.Fatalf("5+24: %d, %d messages", st, len(list.Mail))
		}
		g2, g1 := list.Mail[0], list.Mail[1]
		if g1["group"] != "G1" || g1["status"] != "pending" || g1["to"] != "taro@example.org" || g1["kind"] != "invitation" {
			t.Errorf("message %v", g1)
		}
		if _, ok := g1["claimedBy"]; ok {
			t.Error("the answer shows the worker's claim")
		}
		// The outbox never shows a usable link: it is minted at delivery.
		text, _ := g1["text"].(string)
		html, _ := g1["html"].(string)
		if strings.Contains(text+html, "mbl_") || !strings.Contains(text, "[link sent only to the addressee]") {
			t.Fatalf("the outbox shows a link, or no placeholder:\n%s", text)
		}
		id1, id2 := strconv.FormatFloat(g1["id"].(float64), 'f', 0, 64), strconv.FormatFloat(g2["id"].(float64), 'f', 0, 64)
		for _, c := range []struct {
			as, path string
			want     int
			count    int
		}{
			{"mail", "/api/v1/mail?status=pending", 200, 2},
			{"mail", "/api/v1/mail?status=sent", 200, 0},
			{"mail", "/api/v1/mail?limit=1", 200, 1},
			{"mail", "/api/v1/mail?before=" + id2, 200, 1},
			{"mail", "/api/v1/mail?status=bogus", 400, 0},
			{"viewer", "/api/v1/mail", 403, 0},
			{"manager", "/api/v1/mail", 403, 0},
			{"", "/api/v1/mail", 401, 0},
			{"deptmail", "/api/v1/mail", 200, 1},
		} {
			var l mailList
			if st := e.call(e.srv.URL, c.as, "GET", c.path, nil, nil, &l); st != c.want || len(l.Mail) != c.count {
				t.Errorf("%s GET %s: %d with %d messages, want %d with %d", c.as, c.path, st, len(l.Mail), c.want, c.count)
			}
		}
		for _, c := range []struct {
			as, id string
			want   int
		}{
			{"mail", id1, 200}, {"mail", id2, 200}, {"deptmail", id1, 200}, {"deptmail", id2, 404},
			{"viewer", id1, 403}, {"manager", id1, 403}, {"mail", "999999", 404}, {"mail", "x", 404},
		} {
			var one map[string]any
			if st := e.call(e.srv.URL, c.as, "GET", "/api/v1/mail/"+c.id, nil, nil, &one); st != c.want {
				t.Errorf("%s GET /api/v1/mail/%s: %d, want %d", c.as, c.id, st, c.want)
			} else if st == 200 && (one["text"] == "" || one["html"] == "" || one["subject"] == "") {
				t.Errorf("message %s without its contents: %v", c.id, one)
			}
		}

		// Resending an invitation ends the old link (here one issued to an
		// administrator, there being no SMTP server).
		var issued service.IssuedLink
		if st := e.call(e.srv.URL, "manager", "POST", "/api/v1/users/"+strconv.FormatInt(u1.ID, 10)+"/password-link",
			map[string]any{"kind": "invitation"}, nil, &issued); st != http.StatusCreated {
			t.Fatalf("issue a link: %d", st)
		}
		m := mailLinkRE.FindStringSubmatch(issued.Link)
		if m == nil {
			t.Fatalf("no link from the public URL in %q", issued.Link)
		}
		oldLink := m[1]
		path := "/api/v1/users/" + strconv.FormatInt(u1.ID, 10) + "/invitation"
		for as, want := range map[string]int{"viewer": 403, "mail": 403} {
			if st := e.call(e.srv.URL, as, "POST", path, nil, nil, nil); st != want {
				t.Errorf("%s resends: %d, want %d", as, st, want)
			}
		}
		if st := e.call(e.srv.URL, "deptmgr", "POST", "/api/v1/users/"+strconv.FormatInt(u2.ID, 10)+"/invitation", nil, nil, nil); st != 404 {
			t.Errorf("a department administrator of G1 resends to G2: %d", st)
		}
		if _, err := e.svc.CheckLink(context.Background(), oldLink); err != nil {
			t.Fatalf("refused resends ended the link: %v", err)
		}
		var queued map[string]any
		if st := e.call(e.srv.URL, "deptmgr", "POST", path, nil, evil, &queued); st != http.StatusAccepted || queued["queued"] != true {
			t.Fatalf("resend: %d %v", st, queued)
		}
		if _, err := e.svc.CheckLink(context.Background(), oldLink); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("the old link after a resend: %v", err)
		}
		list = mailList{}
		e.call(e.srv.URL, "mail", "GET", "/api/v1/mail", nil, nil, &list)
		text, _ = list.Mail[0]["text"].(string)
		if len(list.Mail) != 3 || strings.Contains(text, "mbl_") || list.Mail[0]["status"] != "pending" {
			t.Fatalf("after the resend: %d messages, newest:\n%s", len(list.Mail), text)
		}
		// No address, disabled, no public URL.
		var noMail meibo.User
		e.call(e.srv.URL, "manager", "POST", "/api/v1/groups/G1/users", map[string]any{"name": "noemail"}, nil, &noMail)
		if st := e.call(e.srv.URL, "manager", "POST", "/api/v1/users/"+strconv.FormatInt(noMail.ID, 10)+"/invitation", nil, nil, &fail); st != 422 || fail.Error.Fields["email"] == "" {
			t.Errorf("resend without an address: %d %+v", st, fail)
		}
		if st := e.call(e.noURL.URL, "manager", "POST", path, nil, nil, nil); st != 422 {
			t.Errorf("resend without a public URL: %d", st)
		}
		if st := e.call(e.srv.URL, "manager", "PATCH", "/api/v1/users/"+strconv.FormatInt(u1.ID, 10), map[string]any{"disabled": true}, nil, nil); st != 200 {
			t.Fatalf("disable: %d", st)
		}
		if st := e.call(e.srv.URL, "manager", "POST", path, nil, nil, nil); st != 409 {
			t.Errorf("resend to a disabled user: %d", st)
		}
	})
}
