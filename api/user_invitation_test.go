package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// nullSender takes every message (none is delivered in these tests).
type nullSender struct{}

func (nullSender) Send(context.Context, *meibo.MailMessage) error { return nil }

// TestAPIInvitationsByDefault: a user added with an address and no
// password is invited unless sendInvitation is false; the user's answer
// and the list's filter say where the invitation stands; a reset link is
// sent on request.
func TestAPIInvitationsByDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h, err := argon2id.New(argon2id.Params{Memory: 7 * 1024, Time: 5, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := service.New(storetest.Open(t, engine, nil), service.Config{Hasher: h, Logger: log, PublicURL: mailPublicURL, Sender: nullSender{}})
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
		if len(msgs) != 2 || msgs[0].Kind != meibo.MailReset || msgs[0].To != "cat@example.org" || msgs[1].To != "ann@example.org" {
			t.Errorf("outbox: %+v", msgs)
		}
	})
}
