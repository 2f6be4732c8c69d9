package csvio

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/meibo/meibo"
)

var verbRE = regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// verbs returns the kind of each argument a format uses, by index
// (1-based): 'd' for numbers, 's' for strings (%s and %q).
func verbs(format string) map[int]byte {
	out := map[int]byte{}
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(format, -1) {
		if m[4] == "%" {
			continue
		}
		if m[2] != "" {
			next, _ = strconv.Atoi(m[2])
		}
		kind := m[4][0]
		if kind == 'q' {
			kind = 's'
		}
		out[next] = kind
		next++
	}
	return out
}

// Every message of the package is in both languages, with the same
// arguments, and renders without a formatting error.
func TestMessages(t *testing.T) {
	for key, text := range messages {
		if !strings.HasPrefix(key, "csv.") {
			t.Errorf("%s: keys of this package start with csv.", key)
		}
		en, ja := text[0], text[1]
		if en == "" || ja == "" {
			t.Errorf("%s: a language is missing", key)
			continue
		}
		if !strings.ContainsFunc(ja, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }) {
			t.Errorf("%s: the Japanese text is not Japanese: %s", key, ja)
		}
		ve, vj := verbs(en), verbs(ja)
		if len(ve) != len(vj) {
			t.Errorf("%s: %d arguments in English, %d in Japanese", key, len(ve), len(vj))
		}
		var args []any
		for i := 1; i <= len(ve); i++ {
			if ve[i] != vj[i] {
				t.Errorf("%s: argument %d is %%%c in English, %%%c in Japanese", key, i, ve[i], vj[i])
			}
			if ve[i] == 'd' {
				args = append(args, 7)
			} else {
				args = append(args, "x")
			}
		}
		for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			if s := meibo.M(key, args...).In(lang); strings.Contains(s, "%!") {
				t.Errorf("%s (%s): %s", key, lang, s)
			}
		}
	}
}

var keyRE = regexp.MustCompile(`"((?:csv|auth|admin|email|user|required|too_long|control_chars)[a-z0-9_.]*)"`)

// Every message key the package's code uses is in the catalogue, and every
// key of the package is used.
func TestMessageKeysUsed(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "messages.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(m[1], ".") || m[1] == "required" {
				used[m[1]] = true
			}
		}
	}
	for k := range used {
		if strings.HasPrefix(k, "csv.") && !meibo.HasMessage(k) {
			t.Errorf("%s is used but not in the catalogue", k)
		}
	}
	for k := range messages {
		if !used[k] {
			t.Errorf("%s is in the catalogue but not used", k)
		}
	}
}
