package console

import (
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// importsPrefixes are the label prefixes of the import, export, outbox and audit
// pages.
var importsPrefixes = []string{"imp.", "exp.", "outbox.", "audit.", "done.imp."}

func importsOwnKey(k string) bool {
	for _, p := range importsPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

var verbMessage = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// TestLabels checks that every label of these pages is in both languages
// with the same arguments, and that every key the pages and handlers use
// exists.
func TestLabels(t *testing.T) {
	for k, v := range web.Labels() {
		if !importsOwnKey(k) {
			continue
		}
		if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
			t.Errorf("label %s is blank in a language: %q", k, v)
		}
		en, ja := verbMessage.FindAllString(v[0], -1), verbMessage.FindAllString(v[1], -1)
		if len(en) != len(ja) {
			t.Errorf("label %s: arguments %v in English, %v in Japanese", k, en, ja)
		}
	}
	used := map[string]bool{}
	key := regexp.MustCompile(`(?:t \$l|web\.T\(q\.lang,) "([a-zA-Z0-9._]+)"`)
	pages, _ := fs.Glob(files, "templates/pages/*.html")
	for _, p := range pages {
		base := p[strings.LastIndex(p, "/")+1:]
		if !strings.HasPrefix(base, "import") && !strings.HasPrefix(base, "export") && !strings.HasPrefix(base, "mail") && !strings.HasPrefix(base, "audit") {
			continue
		}
		b, _ := fs.ReadFile(files, p)
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, f := range []string{"imports.go", "exports.go", "logs.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") {
				used[m[1]] = true
			}
		}
	}
	for _, s := range []meibo.ImportStatus{meibo.ImportQueued, meibo.ImportRunning, meibo.ImportSuccess, meibo.ImportFailed} {
		used["imp.status."+string(s)] = true
	}
	for _, f := range []string{meibo.FormatPersonal, meibo.FormatUsers, meibo.FormatAdmins, meibo.FormatDevices} {
		used["imp.format."+f] = true
	}
	for _, s := range []meibo.MailStatus{meibo.MailPending, meibo.MailSent, meibo.MailFailed} {
		used["outbox.status."+string(s)] = true
	}
	for _, k := range []string{meibo.MailInvitation, meibo.MailReset, meibo.MailTest} {
		used["outbox.kind."+k] = true
	}
	for _, k := range []string{meibo.ActorUser, meibo.ActorSystem, meibo.ActorDevice} {
		used["audit.actor."+k] = true
	}
	for _, c := range auditCategories {
		used["audit.cat."+c.name] = true
	}
	if len(used) < 100 {
		t.Errorf("only %d keys found in use: is the pattern right?", len(used))
	}
	for k := range used {
		if _, ok := web.Labels()[k]; !ok {
			t.Errorf("label %s is used but not defined", k)
		}
	}
}

// TestPagesRender renders every page of the area in both languages, as an
// administrator who may use all of it, and looks for labels shown as keys.
func TestPagesRender(t *testing.T) {
	e := newEnv(t)
	root := e.admin(meibo.BuiltinAdmin)
	id := root.submitted(root.upload(map[string]string{"format": "users", "group": "G1"}, "x.csv",
		[]byte("name,password,email\r\nbob,short,\r\n"), false))
	e.startWorker()
	root.await(id)
	c := root // the built-in admin holds every authority
	leak := regexp.MustCompile(`>[^<]*\b(imp|exp|outbox)\.[a-z]+[^<]*<|\baudit\.(cat|date|hidden|filter)\.`)
	for _, lang := range []string{"en", "ja"} {
		c.lang = lang
		for _, p := range []string{"/console/imports", "/console/imports/" + id, "/console/exports", "/console/mail", "/console/audit"} {
			r := c.get(p)
			if r.status != http.StatusOK {
				t.Errorf("%s in %s: %d\n%s", p, lang, r.status, clip(r.body))
				continue
			}
			if m := leak.FindString(r.body); m != "" {
				t.Errorf("%s in %s shows a label key: %s", p, lang, m)
			}
			if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
				t.Errorf("%s: not in %s", p, lang)
			}
		}
	}
}

// verb finds the verbs of a label's format.
var verb = regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// TestSingularLabels: a label's singular (key.one, for a count of 1) that
// formats arguments takes those of its plural in either language and uses
// each, so that no "%!(EXTRA …)" shows on a page.
func TestSingularLabels(t *testing.T) {
	n := 0
	for k, v := range web.Labels() {
		base, ok := strings.CutSuffix(k, ".one")
		if !ok {
			continue
		}
		plural, ok := web.Labels()[base]
		if !ok {
			continue // a plural of another name (imp.bytes)
		}
		n++
		var args []any
		for _, m := range verb.FindAllStringSubmatch(plural[0], -1) {
			switch m[4] {
			case "%":
			case "d":
				args = append(args, 1)
			default:
				args = append(args, "1")
			}
		}
		if !verb.MatchString(v[0]) && !verb.MatchString(v[1]) {
			continue // a fixed text ("1 error"), called without arguments
		}
		for i, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			if got := web.T(lang, k, args...); strings.Contains(got, "%!") {
				t.Errorf("%s in %s: %q (from %q)", k, lang, got, v[i])
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d singular labels", n)
	}
}
