package console

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// The pages and files of groups and profiles, licence, settings and own
// account.
var (
	groupsTemplates = []string{"groups", "group", "group_delete", "profile_form", "profile_delete", "licence", "settings", "account"}
	groupsSources   = []string{"groups.go", "licence.go", "settings.go", "account.go"}
	groupsPrefixes  = []string{"groups.", "profiles.", "licence.", "settings.", "account.", "done.groups.", "done.profiles.",
		"done.settings.", "done.account."}
)

// TestGroupsSettingsLabels checks that every label of these pages is there in
// English and Japanese, and that every label they use exists.
func TestGroupsSettingsLabels(t *testing.T) {
	labels := web.Labels()
	n := 0
	for key, l := range labels {
		for _, p := range groupsPrefixes {
			if strings.HasPrefix(key, p) {
				n++
				if strings.TrimSpace(l[0]) == "" || strings.TrimSpace(l[1]) == "" {
					t.Errorf("%s: a language is missing: %q", key, l)
				}
				if l[0] == l[1] {
					t.Errorf("%s: the same in both languages: %q", key, l[0])
				}
				if strings.Count(l[0], "%") != strings.Count(l[1], "%") {
					t.Errorf("%s: not the same arguments: %q", key, l)
				}
				break
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d labels with the prefixes", n)
	}

	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\bt \$l "([^"]+)"`)
	for _, name := range groupsTemplates {
		b, err := fs.ReadFile(files, "templates/pages/"+name+".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		// The pages keep to the content security policy: no inline script
		// or style.
		if m := regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=`).FindString(string(b)); m != "" {
			t.Errorf("%s.html: %q breaks the content security policy", name, m)
		}
	}
	for _, a := range meibo.AllActions {
		used["profiles.action."+string(a)] = true
		used["profiles.action."+string(a)+".hint"] = true
	}
	goKey := regexp.MustCompile(`"((?:groups|profiles|licence|settings|account)\.[A-Za-z.]+)"`)
	redirectKey := regexp.MustCompile(`c\.redirect\(q, [^\n]*, "([^"]+)"\)`)
	for _, name := range groupsSources {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range redirectKey.FindAllStringSubmatch(string(b), -1) {
			used["done."+m[1]] = true
		}
		// The notices of redirects are labels under "done.", not by themselves.
		for _, m := range goKey.FindAllStringSubmatch(redirectKey.ReplaceAllString(string(b), ""), -1) {
			used[m[1]] = true
		}
	}
	for key := range used {
		l, ok := labels[key]
		if !ok {
			t.Errorf("label %q is used but not defined", key)
			continue
		}
		if l[0] == "" || l[1] == "" {
			t.Errorf("label %q lacks a language", key)
		}
	}
	for _, key := range []string{"done.groups.created", "done.profiles.deleted", "done.settings.saved", "done.account.password"} {
		if !used[key] {
			t.Errorf("the test did not find the notice %s in the sources", key)
		}
	}
}
