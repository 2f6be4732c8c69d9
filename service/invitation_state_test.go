package service_test

import (
	"slices"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestInvitationState reads each user's invitation from the outbox and
// their password, on the user and as a filter of the users list: none,
// pending, accepted (the password set through the link), expired (the
// link's time passed). An administrator sends a password-reset link.
func TestInvitationState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine, func(c *service.Config) { c.InvitationTTL = 48 * time.Hour })
		e.group("G1", "")
		if !e.svc.InvitationsByDefault() {
			t.Fatal("with a mail server and a public address, invitations are the default")
		}
		no, yes := false, true
		for _, tc := range []struct {
			asked           *bool
			email, password string
			want            bool
		}{
			{nil, "a@example.org", "", true},
			{&no, "a@example.org", "", false},
			{nil, "a@example.org", "Amber-canyon-17", false},
			{nil, "", "", false},
			{&yes, "a@example.org", "", true},
		} {
			if got := e.svc.ShouldInvite(tc.asked, tc.email, tc.password); got != tc.want {
				t.Errorf("ShouldInvite(%v, %q, %q) = %v", tc.asked, tc.email, tc.password, got)
			}
		}
		// Without a mail server too: the invitation waits in the outbox.
		if !service.New(e.store, service.Config{Hasher: e.hasher, PublicURL: "https://meibo.example"}).InvitationsByDefault() {
			t.Error("without a mail server, invitations are not the default")
		}
		// Without a public address no link can be made: none by default.
		if service.New(e.store, service.Config{Hasher: e.hasher}).InvitationsByDefault() {
			t.Error("without a public address, invitations are the default")
		}

		plain, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "plain", Email: "plain@example.org"})
		e.must(err)
		accepted := e.invite("G1", "accepted", "accepted@example.org")
		pending := e.invite("G1", "pending", "pending@example.org")
		e.deliver()
		// accepted sets the password through the link.
		for _, m := range e.smtp.Wait(t, 2, 5*time.Second) {
			if m.To[0] != "accepted@example.org" {
				continue
			}
			if _, err := e.svc.SetPasswordByLink(bg, mlSecret(t, m.Text), "Amber-canyon-17", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
		}
		state := func(u *meibo.User) meibo.InvitationState {
			t.Helper()
			inv, err := e.svc.InvitationOf(e.sys, u.ID)
			e.must(err)
			return inv.State
		}
		listed := func(s meibo.InvitationState) []string {
			t.Helper()
			page, err := e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1", Invitation: s})
			e.must(err)
			var names []string
			for _, u := range page.Users {
				names = append(names, u.Name)
			}
			slices.Sort(names)
			return names
		}
		for u, want := range map[*meibo.User]meibo.InvitationState{plain: meibo.InvitationNone, accepted: meibo.InvitationAccepted,
			pending: meibo.InvitationPending} {
			if got := state(u); got != want {
				t.Errorf("%s: %s, want %s", u.Name, got, want)
			}
			if got := listed(want); !slices.Contains(got, u.Name) || len(got) != 1 {
				t.Errorf("users %s: %v", want, got)
			}
		}
		if got := listed(meibo.InvitationExpired); len(got) != 0 {
			t.Errorf("expired before the time: %v", got)
		}
		e.clock.Add(48 * time.Hour)
		if got := state(pending); got != meibo.InvitationExpired {
			t.Errorf("pending after its time: %s", got)
		}
		if got := listed(meibo.InvitationExpired); !slices.Equal(got, []string{"pending"}) {
			t.Errorf("expired: %v", got)
		}
		if got := listed(meibo.InvitationPending); len(got) != 0 {
			t.Errorf("pending after the time: %v", got)
		}
		// A bulk action on "all matching" counts (and walks) the same users.
		if n, err := e.svc.BulkCount(e.sys, "G1", service.BulkFilter{Invitation: meibo.InvitationExpired}, 100); err != nil || n != 1 {
			t.Errorf("bulk count of expired invitations: %d, %v", n, err)
		}
		if n, err := e.svc.BulkCount(e.sys, "G1", service.BulkFilter{Keyword: "pend", Invitation: meibo.InvitationExpired}, 100); err != nil || n != 1 {
			t.Errorf("bulk count of expired invitations with a keyword: %d, %v", n, err)
		}

		// A reset link, as an administrator sends it.
		e.must(e.svc.SendPasswordReset(e.sys, accepted.ID))
		if m := e.outbox(meibo.MailPending); len(m) != 1 || m[0].Kind != meibo.MailReset || m[0].To != "accepted@example.org" {
			t.Errorf("reset messages: %+v", m)
		}
		if n := len(e.events("user.reset.send")); n != 1 {
			t.Errorf("%d reset events", n)
		}
	})
}
