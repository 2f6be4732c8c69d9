package meibo

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Fold returns the search form of s: full-width letters and digits as
// half-width, half-width katakana as full-width, and lower case. Search keys
// and keywords are folded the same way on every engine. NFC after the width
// fold joins a half-width voiced mark to its kana (ｶﾞ → ガ, one character), as
// the full-width form is typed. ASCII is left as it is but for its case,
// and is folded without the width and NFC transformers: most names and
// nearly every e-mail address are ASCII, and an import folds each twice.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(norm.NFC.String(width.Fold.String(s)))
		}
	}
	return strings.ToLower(s)
}

// EmailKey is the form of an e-mail address used to recognise the same person
// in several groups: folded, so that case differences do not count.
func EmailKey(email string) string { return Fold(strings.TrimSpace(email)) }

// Columns counts s in half-width columns as Shift_JIS does: ASCII and
// half-width katakana count 1, every other character 2.
func Columns(s string) int {
	n := 0
	for _, r := range s {
		if r < 0x80 || (r >= 0xFF61 && r <= 0xFF9F) {
			n++
		} else {
			n += 2
		}
	}
	return n
}

// hasControl reports whether s holds a control character.
func hasControl(s string) bool {
	for _, r := range s {
		// The line and paragraph separators break lines as a line feed does.
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

// checkText validates a free-text field: at most max characters, no control
// characters; required fields must not be blank.
func checkText(v *Validation, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "too_long", max)
	case hasControl(s):
		v.Add(field, "control_chars")
	}
}

// CheckEmail validates one e-mail address. Blank is allowed here; callers that
// need an address check for blank themselves. Several addresses (separated by
// commas, semicolons or spaces) get their own message.
func CheckEmail(field, email string) error {
	if email == "" {
		return nil
	}
	if strings.ContainsAny(email, ",; \t\r\n") && strings.Count(email, "@") > 1 {
		return FieldError(field, "email.several")
	}
	if utf8.RuneCountInString(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return FieldError(field, "email.format")
	}
	// Full-width letters and signs (ＹＡＭＡＤＡ@…, ＠) are a Japanese
	// input method left on: mail does not reach them. Said as such, with
	// the address as it was surely meant.
	if n := width.Narrow.String(email); n != email && strings.IndexFunc(email, isFullwidthASCII) >= 0 {
		return FieldError(field, "email.fullwidth", n)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return FieldError(field, "email.format")
	}
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return FieldError(field, "email.format")
	}
	return nil
}

// isFullwidthASCII reports whether r is the full-width form of an ASCII
// character or the ideographic space.
func isFullwidthASCII(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 }
