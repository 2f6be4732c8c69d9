// Package mailtext renders the messages meibo mails — invitations, password
// resets, the test message — in English and Japanese, as plain text and
// HTML, from embedded templates. Every template is parsed at start, so a
// broken one stops the program there rather than at the first mail.
package mailtext

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/meibo/meibo"
)

//go:embed templates
var files embed.FS

// Data is what a message can show.
type Data struct {
	Product   string    // the product name, "meibo"
	GroupID   string    // the user's group
	GroupName string    //
	UserName  string    // the user's login ID
	Link      string    // the single-use link (invitation, reset)
	Expires   time.Time // when the link stops working
	Location  *time.Location
}

// ExpiresText is the expiry in the configured time zone.
func (d Data) ExpiresText() string {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	return d.Expires.In(loc).Format("2006-01-02 15:04 MST")
}

type set struct {
	text *texttemplate.Template // defines "subject" and "text"
	html *htmltemplate.Template // defines "html"
}

var templates = func() map[string]set {
	out := map[string]set{}
	for _, kind := range []string{meibo.MailInvitation, meibo.MailReset, meibo.MailTest} {
		for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			base := fmt.Sprintf("templates/%s.%s", kind, lang)
			t := texttemplate.Must(texttemplate.ParseFS(files, base+".txt"))
			h := htmltemplate.Must(htmltemplate.ParseFS(files, base+".html"))
			for _, name := range []string{"subject", "text"} {
				if t.Lookup(name) == nil {
					panic("mailtext: " + base + ".txt lacks " + name)
				}
			}
			out[kind+"."+string(lang)] = set{t, h}
		}
	}
	return out
}()

// Render renders a message of kind in lang.
func Render(kind string, lang meibo.Lang, d Data) (subject, text, html string, err error) {
	if lang != meibo.Japanese {
		lang = meibo.English
	}
	if d.Product == "" {
		d.Product = "meibo"
	}
	s, ok := templates[kind+"."+string(lang)]
	if !ok {
		return "", "", "", fmt.Errorf("mailtext: no template for %q", kind)
	}
	var b bytes.Buffer
	if err := s.text.ExecuteTemplate(&b, "subject", d); err != nil {
		return "", "", "", fmt.Errorf("mailtext: %s subject: %w", kind, err)
	}
	subject = strings.TrimSpace(b.String())
	b.Reset()
	if err := s.text.ExecuteTemplate(&b, "text", d); err != nil {
		return "", "", "", fmt.Errorf("mailtext: %s text: %w", kind, err)
	}
	text = strings.TrimLeft(b.String(), "\n")
	b.Reset()
	if err := s.html.ExecuteTemplate(&b, "html", d); err != nil {
		return "", "", "", fmt.Errorf("mailtext: %s html: %w", kind, err)
	}
	return subject, text, b.String(), nil
}
