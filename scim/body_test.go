package scim_test

import (
	"strings"
	"testing"

	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/store/storetest"
)

// A body over the bound is answered as a SCIM error: 413, in SCIM's media
// type, without a scimType (tooMany is a filter's, RFC 7644 §3.12).
func TestBodyTooLarge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		big := `{"userName":"alice","displayName":"` + strings.Repeat("a", scim.DefaultMaxPayloadSize) + `"}`
		for _, path := range []string{"/Users", "/Users/.search", "/Bulk"} {
			a := e.scim("POST", "G1", path, big).want(t, 413)
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, scim.ContentType) || a.str("status") != "413" ||
				a.str("scimType") != "" || !strings.Contains(a.str("detail"), "1 MiB") {
				t.Errorf("%s: %s %s", path, ct, a.raw)
			}
		}
	})
}
