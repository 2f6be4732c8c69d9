package csvio

import (
	"testing"
	"time"
)

func TestExportName(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 12, 5, 6, 30, 59, 0, time.UTC).In(jst)
	for _, c := range []struct{ kind, group, want string }{
		{"users", "G001", "users-G001-20261205-1530.csv"},
		{"admins", "", "admins-20261205-1530.csv"},
		{"devices", "G/1 \"x\"", "devices-G1x-20261205-1530.csv"},
		{"users", "営業", "users-20261205-1530.csv"},
	} {
		if got := ExportName(c.kind, c.group, at); got != c.want {
			t.Errorf("ExportName(%q, %q) = %q, want %q", c.kind, c.group, got, c.want)
		}
	}
}
