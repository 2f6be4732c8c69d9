package service_test

import (
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestDuplicateUserWith: a copy takes its source's profile and flags but
// for those changed; a change is checked like any new user's.
func TestDuplicateUserWith(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "field", true)
		src := e.user("G1", service.UserInput{Name: "src", Email: "src@example.com", Admin: true, Disabled: true})
		same, err := e.svc.DuplicateUser(e.sys, src.ID, service.UserInput{Name: "same"})
		e.must(err)
		if same.ProfileName != src.ProfileName || !same.Admin || !same.Disabled || same.APIAccess {
			t.Errorf("a plain copy: %+v", same)
		}
		field, no, yes := "field", false, true
		changed, err := e.svc.DuplicateUserWith(e.sys, src.ID, service.UserInput{Name: "changed", Email: "changed@example.com"},
			service.DuplicateChanges{Profile: &field, Admin: &no, APIAccess: &yes, Disabled: &no})
		e.must(err)
		if changed.ProfileName != "field" || changed.Admin || changed.Disabled || !changed.APIAccess || changed.Email != "changed@example.com" {
			t.Errorf("a changed copy: %+v", changed)
		}
		missing := "nowhere"
		_, err = e.svc.DuplicateUserWith(e.sys, src.ID, service.UserInput{Name: "lost"}, service.DuplicateChanges{Profile: &missing})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["profile"]; f.Key != "profile.not_found" {
			t.Errorf("an unknown profile: %v", err)
		}
	})
}
