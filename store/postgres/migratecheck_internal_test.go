package postgres

import (
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	for _, c := range []struct {
		num     int
		version string
		ok      bool
	}{
		{130014, "13.14", false},
		{140011, "14.11 (Debian 14.11-1)", false},
		{150000, "15.0", true},
		{150010, "15.10 (Debian 15.10-0+deb12u1)", true},
		{170002, "17.2", true},
	} {
		err := checkVersion(c.num, c.version)
		if c.ok != (err == nil) {
			t.Errorf("%s: %v", c.version, err)
		}
		if err != nil && !strings.Contains(err.Error(), "needs PostgreSQL 15 or later; this server runs "+c.version) {
			t.Errorf("%s: %v", c.version, err)
		}
	}
}
