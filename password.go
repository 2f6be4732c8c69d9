package meibo

import (
	"bufio"
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password length bounds, counted in code points so that 64 kanji are as good
// as 64 letters and nothing is cut at a byte limit.
const (
	PasswordMinLength = 8
	PasswordMaxLength = 128
)

// The blocklist holds the 11,611 passwords of 8 or more characters among the
// 30,000 most common ones of zxcvbn's frequency lists (MIT licence, Copyright (c)
// 2012-2016 Dan Wheeler and Dropbox, Inc.), one per line, in lower case.
//
//go:embed password_blocklist.txt
var blocklistText string

var blocklist = func() map[string]struct{} {
	m := make(map[string]struct{}, 12000)
	sc := bufio.NewScanner(strings.NewReader(blocklistText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[w] = struct{}{}
		}
	}
	return m
}()

// NormalizePassword returns the form of a password that is checked and
// hashed: Unicode NFC, so that the same characters typed on different systems
// give the same password.
func NormalizePassword(pw string) string { return norm.NFC.String(pw) }

// CheckPassword applies the password policy: 8 to 128 characters, no control
// characters, not among the most common passwords, and not containing any of
// the account's own identifiers (user ID, e-mail address, group ID). There are
// no composition rules. The error is an invalid-value error on field
// "password" whose message says why.
func CheckPassword(pw string, ids ...string) error {
	pw = NormalizePassword(pw)
	n := utf8.RuneCountInString(pw)
	switch {
	case n < PasswordMinLength:
		return FieldError("password", "password.short", PasswordMinLength)
	case n > PasswordMaxLength:
		return FieldError("password", "password.long", PasswordMaxLength)
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return FieldError("password", "password.control")
		}
	}
	if first, _ := utf8.DecodeRuneInString(pw); strings.Trim(pw, string(first)) == "" {
		return FieldError("password", "password.repeated")
	}
	lower := strings.ToLower(pw)
	if _, ok := blocklist[lower]; ok {
		return FieldError("password", "password.common")
	}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		if lower == id || (utf8.RuneCountInString(id) >= 4 && strings.Contains(lower, id)) {
			return FieldError("password", "password.own_id")
		}
		if local, _, ok := strings.Cut(id, "@"); ok && utf8.RuneCountInString(local) >= 4 && strings.Contains(lower, local) {
			return FieldError("password", "password.own_id")
		}
	}
	return nil
}

// PasswordHasher turns passwords into self-describing hash strings (PHC
// format) and checks them. Implementations must use a unique salt per hash and
// compare in constant time.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches hash. rehash is true when the
	// hash was made with other parameters than the current ones.
	Verify(hash, password string) (ok, rehash bool, err error)
}
