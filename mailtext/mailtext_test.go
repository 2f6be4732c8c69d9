package mailtext

import (
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
)

func TestRender(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	d := Data{GroupID: "G001", GroupName: "営業部 <Sales>", UserName: "taro", Link: "https://meibo.example.org/password/mbu_abc",
		Expires: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Location: tokyo}
	for _, kind := range []string{meibo.MailInvitation, meibo.MailReset, meibo.MailTest} {
		for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			subject, text, html, err := Render(kind, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if subject == "" || strings.Contains(subject, "\n") || !strings.Contains(subject, "meibo") {
				t.Errorf("%s/%s: subject %q", kind, lang, subject)
			}
			if !strings.Contains(html, `lang="`+string(lang)+`"`) {
				t.Errorf("%s/%s: the HTML does not declare its language", kind, lang)
			}
			if kind == meibo.MailTest {
				continue
			}
			for _, want := range []string{d.Link, "G001", "taro", "2026-01-02 12:04 JST"} {
				if !strings.Contains(text, want) || !strings.Contains(html, want) {
					t.Errorf("%s/%s: the message lacks %q", kind, lang, want)
				}
			}
			// HTML escapes what it shows; text does not.
			if !strings.Contains(html, "営業部 &lt;Sales&gt;") || !strings.Contains(text, "営業部 <Sales>") {
				t.Errorf("%s/%s: the group name is not shown as it should be", kind, lang)
			}
		}
	}
	if s, _, _, _ := Render(meibo.MailInvitation, meibo.Japanese, d); !strings.Contains(s, "招待") {
		t.Errorf("Japanese subject %q", s)
	}
}
