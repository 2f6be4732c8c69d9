package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestAPIInvitationsByDefault: a user added with an address and no
// password is invited unless sendInvitation is false, with no SMTP server
// configured (the invitation waits in the outbox); the user's answer and
// the list's filter say where the invitation stands; a reset link is
// queued on request; an import of users invites its new users unless
// sendInvitations is false.
func TestAPIInvitationsByDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := argon2id.ForTests()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := service.New(storetest.Open(t, engine, nil), service.Config{Hasher: h, Logger: log, PublicURL: mailPublicURL})
		srv := httptest.NewServer(api.New(svc, api.Options{Logger: log}))
		t.Cleanup(srv.Close)
		sys := meibo.WithActor(context.Background(), meibo.System("cli:test"))
		if _, _, err := svc.Bootstrap(context.Background(), rootPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.CreateToken(sys, "admin", "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e := &mailAPI{t: t, srv: srv, tokens: map[string]string{"admin": tok}}
		create := func(body map[string]any) int64 {
			t.Helper()
			var u struct {
				ID int64 `json:"id"`
			}
			if st := e.call(srv.URL, "admin", "POST", "/api/v1/groups/G1/users", body, nil, &u); st != 201 {
				t.Fatalf("create %v: %d", body, st)
			}
			return u.ID
		}
		state := func(id int64) string {
			t.Helper()
			var u struct {
				Invitation string `json:"invitation"`
			}
			if st := e.call(srv.URL, "admin", "GET", fmt.Sprintf("/api/v1/users/%d", id), nil, nil, &u); st != 200 {
				t.Fatalf("user %d: %d", id, st)
			}
			return u.Invitation
		}
		byDefault := create(map[string]any{"name": "ann", "email": "ann@example.org"})
		optedOut := create(map[string]any{"name": "ben", "email": "ben@example.org", "sendInvitation": false})
		withPassword := create(map[string]any{"name": "cat", "email": "cat@example.org", "password": "Amber-canyon-17"})
		noAddress := create(map[string]any{"name": "dan"})
		// Disabled, not asked: created, not invited (asked: refused).
		disabled := create(map[string]any{"name": "eve", "email": "eve@example.org", "disabled": true})
		if st := e.call(srv.URL, "admin", "POST", "/api/v1/groups/G1/users", map[string]any{"name": "fay", "email": "fay@example.org", "disabled": true, "sendInvitation": true}, nil, nil); st != 422 {
			t.Errorf("a disabled user asked to be invited: %d", st)
		}
		// Copies of a disabled user, or made disabled, are not invited
		// unless asked.
		dup := func(src int64, body map[string]any) int64 {
			t.Helper()
			var u struct {
				ID int64 `json:"id"`
			}
			if st := e.call(srv.URL, "admin", "POST", fmt.Sprintf("/api/v1/users/%d/duplicate", src), body, nil, &u); st != 201 {
				t.Fatalf("duplicate %v: %d", body, st)
			}
			return u.ID
		}
		copyOfDisabled := dup(disabled, map[string]any{"name": "eve2", "email": "eve2@example.org"})
		madeDisabled := dup(byDefault, map[string]any{"name": "ann2", "email": "ann2@example.org", "disabled": true, "admin": true})
		for id, want := range map[int64]string{disabled: "none", copyOfDisabled: "none", madeDisabled: "none"} {
			if got := state(id); got != want {
				t.Errorf("user %d: invitation %q, want %q", id, got, want)
			}
		}
		for _, id := range []int64{disabled, copyOfDisabled, madeDisabled} {
			if st := e.call(srv.URL, "admin", "DELETE", fmt.Sprintf("/api/v1/users/%d", id), nil, nil, nil); st != 204 {
				t.Fatalf("delete %d: %d", id, st)
			}
		}
		for id, want := range map[int64]string{byDefault: "pending", optedOut: "none", withPassword: "none", noAddress: "none"} {
			if got := state(id); got != want {
				t.Errorf("user %d: invitation %q, want %q", id, got, want)
			}
		}
		var page struct {
			Users []struct {
				Name string `json:"name"`
			} `json:"users"`
		}
		if st := e.call(srv.URL, "admin", "GET", "/api/v1/groups/G1/users?invitation=pending", nil, nil, &page); st != 200 ||
			len(page.Users) != 1 || page.Users[0].Name != "ann" {
			t.Errorf("pending users: %d %+v", st, page)
		}
		if st := e.call(srv.URL, "admin", "GET", "/api/v1/groups/G1/users?invitation=maybe", nil, nil, nil); st != 400 {
			t.Errorf("an unknown state: %d", st)
		}
		if st := e.call(srv.URL, "admin", "POST", fmt.Sprintf("/api/v1/users/%d/password-reset", withPassword), nil, nil, nil); st != 202 {
			t.Errorf("password reset: %d", st)
		}
		msgs, err := svc.Mails(sys, meibo.MailFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].Kind != meibo.MailReset || msgs[0].To != "cat@example.org" || msgs[1].To != "ann@example.org" ||
			msgs[1].Kind != meibo.MailInvitation || msgs[1].Status != meibo.MailPending {
			t.Errorf("outbox: %+v", msgs)
		}

		// Imports: new users with an address and no password are invited
		// unless sendInvitations is false.
		for i, opt := range []map[string]string{{}, {"sendInvitations": "false"}} {
			fields := map[string]string{"format": "users", "group": "G1"}
			for k, v := range opt {
				fields[k] = v
			}
			name := fmt.Sprintf("imp%d", i)
			up := &upload{fields: fields, fileName: "u.csv", file: []byte("name,password,email\r\n" + name + ",," + name + "@example.org\r\n")}
			var job struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			}
			body, ctype := up.encode()
			req, err := http.NewRequest("POST", srv.URL+"/api/v1/imports", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(res.Body).Decode(&job)
			res.Body.Close()
			if res.StatusCode != 202 || err != nil {
				t.Fatalf("import %v: %d %v", opt, res.StatusCode, err)
			}
			if _, err := svc.RunImport(sys, job.ID, nil); err != nil {
				t.Fatal(err)
			}
			u, err := svc.UserByName(sys, "G1", name)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := state(u.ID), map[int]string{0: "pending", 1: "none"}[i]; got != want {
				t.Errorf("imported with %v: invitation %q, want %q", opt, got, want)
			}
		}
	})
}
