package service_test

import (
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestAdminCP932: the console and the API refuse, as an import does, an
// administrator's text that a Shift_JIS export could not write, so that an
// export never fails on data meibo let in.
func TestAdminCP932(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		_, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "sato", Name: "Sato", Notes: "sushi 🍣", Authorities: meibo.Authorities(0).With(meibo.AuthLogViewer)})
		if meibo.ErrorCode(err) != meibo.CodeInvalid || meibo.AsError(err).Fields["notes"].Key != "text.cp932" {
			t.Fatalf("emoji in notes: %v", err)
		}
		ad, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: "sato", Name: "佐藤〜", Notes: "¥100", Authorities: meibo.Authorities(0).With(meibo.AuthLogViewer)})
		if err != nil {
			t.Fatalf("characters CP932 holds after its mappings: %v", err)
		}
		name := "𠮷田"
		_, err = e.svc.UpdateAdmin(e.sys, ad.ID, meibo.AdminUpdate{Name: &name})
		if meibo.ErrorCode(err) != meibo.CodeInvalid || meibo.AsError(err).Fields["name"].Key != "text.cp932" {
			t.Fatalf("a character outside CP932 in the name: %v", err)
		}
	})
}
