package web_test

import (
	"crypto/tls"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/meibo/meibo/web"
)

// TestCookies: the request's cookies by the names SetCookie was given; over
// https only the __Host- ones, without their prefix.
func TestCookies(t *testing.T) {
	names := func(https bool) []string {
		r := httptest.NewRequest("GET", "/console/", nil)
		if https {
			r.TLS = &tls.ConnectionState{}
		}
		r.Header.Set("Cookie", "__Host-meibo_sso_a=1; meibo_sso_b=2; __Host-meibo_lang=en")
		var n []string
		for _, c := range web.Cookies(r) {
			n = append(n, c.Name)
		}
		return n
	}
	if got := names(true); !slices.Equal(got, []string{"meibo_sso_a", "meibo_lang"}) {
		t.Errorf("over https: %v", got)
	}
	if got := names(false); !slices.Equal(got, []string{"__Host-meibo_sso_a", "meibo_sso_b", "__Host-meibo_lang"}) {
		t.Errorf("over http: %v", got)
	}
}
