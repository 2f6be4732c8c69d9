package docs

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	_ "github.com/meibo/meibo/service" // registers the messages of imports
)

// csvDomainKeys are the messages of the domain that the rows of a file can
// get: the checks of values (names, e-mail addresses, passwords, notes,
// authorities) and of the data (profiles, users, licence, administrators),
// and the refusals of an upload. Every key whose name starts with "csv." or
// "import." is required besides these, whichever package registers it.
var csvDomainKeys = []string{
	"required", "too_long", "control_chars", "user.name.format", "email.format", "email.several",
	"password.short", "password.long", "password.control", "password.common", "password.own_id",
	"profile.not_found", "profile.api", "licence.exceeded", "user.not_found",
	"admin.id.format", "admin.notes.long", "auth.depends", "auth.exclusive",
	"admin.backup.fixed", "admin.builtin.delete", "admin.last_manager",
	"internal", "too_large", "invitation.no_url", "group.not_found",
}

// csvDoc is CSV.md split at its second-level headings.
type csvDoc struct {
	sections map[string]string // by heading, without "## "
	text     string
}

func readCSVDoc(t *testing.T) csvDoc {
	t.Helper()
	b, err := os.ReadFile("CSV.md")
	if err != nil {
		t.Fatal(err)
	}
	d := csvDoc{sections: map[string]string{}, text: string(b)}
	parts := regexp.MustCompile(`(?m)^## `).Split(d.text, -1)
	for _, p := range parts[1:] {
		head, body, _ := strings.Cut(p, "\n")
		d.sections[strings.TrimSpace(head)] = body
	}
	return d
}

// hasRow reports whether text has a table row whose first cell is first and
// (when not blank) whose second cell is second.
func hasRow(text, first, second string) bool {
	pat := `(?m)^\|\s*` + regexp.QuoteMeta(first) + `\s*\|`
	if second != "" {
		pat += `\s*` + regexp.QuoteMeta(second) + `\s*\|`
	}
	return regexp.MustCompile(pat).MatchString(text)
}

// TestCSVDocColumns: the section of each format describes each of its
// columns in a table row: "| `name` |" for the formats with a header, "| 15 |
// Name |" for the 44 columns of administrator files.
func TestCSVDocColumns(t *testing.T) {
	d := readCSVDoc(t)
	for _, format := range csvio.TemplateFormats {
		heading := "Format `" + format + "`"
		section, ok := d.sections[heading]
		if !ok {
			t.Errorf("CSV.md has no section %q", "## "+heading)
			continue
		}
		for i, col := range csvio.Header(format) {
			if format == meibo.FormatAdmins {
				if i == 0 {
					col = "Processing Flag" // its title is a half-width space
				}
				if !hasRow(section, strconv.Itoa(i+1), col) {
					t.Errorf("%s: column %d (%s) has no row \"| %d | %s |\"", heading, i+1, col, i+1, col)
				}
				continue
			}
			if !hasRow(section, "`"+col+"`", "") {
				t.Errorf("%s: the column %s has no row \"| `%s` |\"", heading, col, col)
			}
		}
	}
}

// TestCSVDocMessages: every message that reading, checking, importing or
// exporting a file can give has a row "| `key` |" in the messages section,
// and every key listed there is one of the catalogue.
func TestCSVDocMessages(t *testing.T) {
	d := readCSVDoc(t)
	section, ok := d.sections["Messages"]
	if !ok {
		t.Fatal("CSV.md has no section \"## Messages\"")
	}
	want := append([]string(nil), csvDomainKeys...)
	for _, k := range meibo.MessageKeys() {
		if strings.HasPrefix(k, "csv.") || strings.HasPrefix(k, "import.") {
			want = append(want, k)
		}
	}
	for _, k := range want {
		if !meibo.HasMessage(k) {
			t.Errorf("%s is not a message of the catalogue any more: take it out of csvDomainKeys", k)
			continue
		}
		if !hasRow(section, "`"+k+"`", "") {
			en, _ := meibo.MessageText(k)
			t.Errorf("the message %s (%q) has no row \"| `%s` |\" under \"## Messages\"", k, en, k)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\|\\s*`([^`]+)`\\s*\\|").FindAllStringSubmatch(section, -1) {
		if !meibo.HasMessage(m[1]) {
			t.Errorf("CSV.md lists %s, which is not a message", m[1])
		}
	}
}
