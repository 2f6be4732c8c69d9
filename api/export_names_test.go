package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/store/storetest"
)

// wantExportName checks an export's file name: what it holds, its group,
// and the time of the request in the configured zone (to the minute).
func wantExportName(t *testing.T, r response, before time.Time, prefix string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s export: %s", prefix, r)
	}
	after := time.Now()
	got := r.header.Get("Content-Disposition")
	for _, at := range []time.Time{before, after} {
		if got == "attachment; filename="+prefix+at.In(apiZone).Format("20060102-1504")+".csv" {
			return
		}
	}
	t.Errorf("file name %q, want %s%s.csv (the time in the configured zone)", got, prefix, before.In(apiZone).Format("20060102-1504"))
}

// TestExportNames: every export of the API downloads under a name that
// says what it holds, of which group, and when in the configured zone.
func TestExportNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		for _, c := range []struct{ path, as, prefix string }{
			{"/api/v1/exports/users?group=G1", "manager", "users-G1-"},
			{"/api/v1/exports/users?group=g2&encoding=cp932", "manager", "users-G2-"},
			{"/api/v1/exports/admins", "admin", "admins-"},
			{"/api/v1/exports/devices?group=G1", "admin", "devices-G1-"},
		} {
			before := time.Now()
			r := e.do("GET", c.path, c.as, "", nil)
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
				t.Errorf("%s: content type %q", c.path, r.header.Get("Content-Type"))
			}
			wantExportName(t, r, before, c.prefix)
		}
	})
}
