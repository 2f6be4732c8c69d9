package console

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
)

// TestAuditNames: actions and kinds have names in both languages, the
// filter offers them by name and keeps a code it does not know, and the
// time zone is named by its real name, also the machine's own.
func TestAuditNames(t *testing.T) {
	for code, n := range auditActionNames {
		if n[0] == "" || n[1] == "" {
			t.Errorf("action %s lacks a name: %q", code, n)
		}
	}
	if got := auditActionLabel(meibo.Japanese, "user.create"); got != "ユーザーの追加" {
		t.Errorf("user.create in Japanese: %q", got)
	}
	if got := auditActionLabel(meibo.English, "something.new"); got != "something.new" {
		t.Errorf("an unknown action: %q", got)
	}
	opts := auditOptions(meibo.English, auditActionNames, "audit.act.", "custom.action")
	if len(opts) != len(auditActionNames)+1 || opts[len(opts)-1].Value != "custom.action" {
		t.Errorf("options keep the chosen code: %d, last %+v", len(opts), opts[len(opts)-1])
	}
	if opts[0].Label > opts[1].Label {
		t.Errorf("options not by name: %q, %q", opts[0].Label, opts[1].Label)
	}
	if got := zoneName(time.UTC); got != "UTC" {
		t.Errorf("UTC: %q", got)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err == nil {
		if got := zoneName(tokyo); got != "Asia/Tokyo" {
			t.Errorf("Asia/Tokyo: %q", got)
		}
	}
	t.Setenv("TZ", "Europe/Paris")
	if got := zoneName(time.Local); got != "Europe/Paris" {
		t.Errorf("the machine's zone: %q, want its name", got)
	}
}
