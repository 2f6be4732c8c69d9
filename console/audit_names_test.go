package console

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// auditCall finds an audit event's action and object kind written in the
// source: s.audit(ctx, tx, "action", category, "kind", …) and
// AuditEvent{… Action: "action", … ObjectKind: "kind"}. An action built from
// a prefix ("mail." + status) is found by its prefix.
var (
	auditCall = regexp.MustCompile(`\.audit\(ctx, tx, "([a-z._]+)"(\s*\+[^,]+)?, meibo\.Category\w+, "([a-z]+)"`)
	// The helpers of sign-ins: s.auditSignIn(ctx, "action", …),
	// s.auditPortal(ctx, "action", …).
	auditHelper = regexp.MustCompile(`\.audit(?:SignIn|Portal)\(ctx, "([a-z._]+)"`)
	eventAction = regexp.MustCompile(`Action: "([a-z._]+)"(\s*\+\s*[^,]+)?`)
	eventKind   = regexp.MustCompile(`ObjectKind: "([a-z]+)"`)
)

// auditComposed are the actions written as a prefix and a value, with
// every value they take.
var auditComposed = map[string][]string{
	"refused.": {"authority", "scope"},
	"command.": {"done", "failed"},
	"mail.":    {string(meibo.MailSent), string(meibo.MailFailed)},
}

// TestAuditNamesComplete reads the audit events that meibo's packages
// write, from their source, and checks that the console has a name for
// each action and object kind: one without shows as a bare code and is
// missing from the log's filter.
func TestAuditNamesComplete(t *testing.T) {
	actions, kinds := map[string]bool{}, map[string]bool{}
	for _, dir := range []string{"../service", "../api", "../portal", "../console", "../scim", "../sso", "../backup", "../cmd/meibo"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range auditCall.FindAllStringSubmatch(string(src), -1) {
				actions[m[1]+m[2]], kinds[m[3]] = true, true
			}
			for _, m := range auditHelper.FindAllStringSubmatch(string(src), -1) {
				actions[m[1]] = true
			}
			for _, m := range eventAction.FindAllStringSubmatch(string(src), -1) {
				actions[m[1]+m[2]] = true
			}
			for _, m := range eventKind.FindAllStringSubmatch(string(src), -1) {
				kinds[m[1]] = true
			}
		}
	}
	if len(actions) < 60 || !actions["user.create"] || !kinds["user"] {
		t.Fatalf("read %d actions and %d kinds from the source: the patterns no longer match how events are written", len(actions), len(kinds))
	}
	for a := range actions {
		if prefix, _, composed := strings.Cut(a, "+"); composed {
			prefix = strings.TrimSpace(prefix)
			values, ok := auditComposed[prefix]
			if !ok {
				t.Errorf("the action %q is built from %q and a value: list its values in auditComposed", a, prefix)
			}
			for _, v := range values {
				if _, ok := auditActionNames[prefix+v]; !ok {
					t.Errorf("the action %s has no name", prefix+v)
				}
			}
			continue
		}
		if _, ok := auditActionNames[a]; !ok {
			t.Errorf("the action %s has no name", a)
		}
	}
	for k := range kinds {
		if _, ok := auditKindNames[k]; !ok {
			t.Errorf("the object kind %s has no name", k)
		}
	}
}
