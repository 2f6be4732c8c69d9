package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo/console"
)

// Every form of the console and the portal that sends a POST must be sent
// at least once by Chromium in the browser tests: a form is tested as a
// person uses it, by filling it and pressing its button, not by a request
// written by hand (which passes whatever the page's form really sends).
// newTab records every POST the browser makes; after a whole run of the
// package, TestMain compares them with the forms of the templates.

// browserPosts holds the path of every POST a tab of the browser tests made.
var browserPosts struct {
	sync.Mutex
	paths map[string]bool
}

// recordPosts records the POSTs the tab at ctx makes, forms and scripts'.
func recordPosts(ctx context.Context) error {
	return chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok || e.Request.Method != "POST" {
			return
		}
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			return
		}
		browserPosts.Lock()
		defer browserPosts.Unlock()
		if browserPosts.paths == nil {
			browserPosts.paths = map[string]bool{}
		}
		browserPosts.paths[u.Path] = true
	})
}

// postForm is a form of a template that sends a POST.
type postForm struct {
	template string   // e.g. "console/templates/pages/device.html"
	action   string   // as the template writes it
	paths    []string // patterns of the paths it posts to
}

// dynamicActions are the paths of the forms whose action the handler sets:
// the same form creates and edits.
var dynamicActions = map[string][]string{
	"console/templates/pages/admin_form.html":   {console.Prefix + "/admins", console.Prefix + "/admins/{id}"},
	"console/templates/pages/profile_form.html": {console.Prefix + "/groups/{g}/profiles", console.Prefix + "/groups/{g}/profiles/{id}"},
	"console/templates/pages/user_form.html":    {console.Prefix + "/groups/{g}/users", console.Prefix + "/users/{id}", console.Prefix + "/users/{id}/duplicate"},
}

var (
	formTag     = regexp.MustCompile(`(?s)<form\b[^>]*>`)
	formMethod  = regexp.MustCompile(`\bmethod="([^"]*)"`)
	formAction  = regexp.MustCompile(`\baction="([^"]*)"`)
	templateArg = regexp.MustCompile(`\{\{[^}]*\}\}|\{[a-z]+\}`)
)

// postForms reads the templates of the console and the portal (from the
// source tree) and returns their forms that send a POST.
func postForms() ([]postForm, error) {
	var forms []postForm
	root := os.DirFS("../..")
	for _, dir := range []string{"console/templates", "portal/templates"} {
		err := fs.WalkDir(root, dir, func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".html") {
				return err
			}
			src, err := fs.ReadFile(root, name)
			if err != nil {
				return err
			}
			for _, tag := range formTag.FindAllString(string(src), -1) {
				m := formMethod.FindStringSubmatch(tag)
				if m == nil || !strings.EqualFold(m[1], "post") {
					continue
				}
				a := formAction.FindStringSubmatch(tag)
				if a == nil {
					return fmt.Errorf("%s: a POST form without an action: %s", name, tag)
				}
				f := postForm{template: name, action: a[1]}
				switch {
				case strings.HasPrefix(a[1], "{{$d.Action}}") || strings.HasPrefix(a[1], "{{.Action}}"):
					f.paths = dynamicActions[name]
					if f.paths == nil {
						return fmt.Errorf("%s: the form's action %q is set by its handler: add its paths to dynamicActions", name, a[1])
					}
				default:
					f.paths = []string{strings.ReplaceAll(a[1], "{{prefix}}", console.Prefix)}
				}
				forms = append(forms, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return forms, nil
}

// pathPattern matches the paths a form's action stands for: each template
// argument ({{…}} or {name}) is one segment.
func pathPattern(p string) *regexp.Regexp {
	parts := templateArg.Split(p, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile(`^` + strings.Join(parts, `[^/]+`) + `$`)
}

// formsNotSent returns, for each form whose paths Chromium never posted to,
// a line naming it.
func formsNotSent(forms []postForm, posted map[string]bool) []string {
	var missing []string
	for _, f := range forms {
		for _, p := range f.paths {
			re := pathPattern(p)
			sent := false
			for path := range posted {
				if re.MatchString(path) {
					sent = true
					break
				}
			}
			if !sent {
				missing = append(missing, fmt.Sprintf("%s: %s (action %s)", f.template, p, f.action))
			}
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

// wholeRun reports whether this run of the package ran every test: no -run,
// no -skip, not -short.
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

// checkFormsSent is TestMain's check after a whole, passing run of the
// browser tests; it returns a non-zero exit code when a form was never sent.
func checkFormsSent() int {
	forms, err := postForms()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forms of the templates:", err)
		return 1
	}
	browserPosts.Lock()
	defer browserPosts.Unlock()
	missing := formsNotSent(forms, browserPosts.paths)
	if len(missing) == 0 {
		return 0
	}
	fmt.Fprintf(os.Stderr, "--- FAIL: forms never sent by Chromium in the browser tests (fill and press them in a browser test):\n\t%s\n",
		strings.Join(missing, "\n\t"))
	return 1
}

// TestFormsNotSent checks the check: a form counts as sent only when a POST
// went to a path its action stands for.
func TestFormsNotSent(t *testing.T) {
	t.Parallel()
	forms, err := postForms()
	if err != nil {
		t.Fatal(err)
	}
	var enrol, userForm bool
	for _, f := range forms {
		enrol = enrol || f.action == "{{prefix}}/devices/enrolment"
		userForm = userForm || f.template == "console/templates/pages/user_form.html" && len(f.paths) == 3
	}
	if !enrol || !userForm || len(forms) < 40 {
		t.Fatalf("read %d forms from the templates; the enrolment form found: %v, the user form's three paths: %v", len(forms), enrol, userForm)
	}
	sample := []postForm{
		{template: "a.html", action: "{{prefix}}/devices/enrolment/{{.ID}}/delete", paths: []string{"/console/devices/enrolment/{{.ID}}/delete"}},
		{template: "b.html", action: "/password", paths: []string{"/password"}},
		{template: "c.html", action: "{{$d.Action}}", paths: []string{"/console/groups/{g}/users", "/console/users/{id}"}},
	}
	posted := map[string]bool{"/console/devices/enrolment/12/delete": true, "/console/users/5": true, "/password/x": true}
	got := formsNotSent(sample, posted)
	want := []string{
		"b.html: /password (action /password)",
		"c.html: /console/groups/{g}/users (action {{$d.Action}})",
	}
	if !slices.Equal(got, want) {
		t.Errorf("not sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
