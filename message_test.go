package meibo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// verbs parses the fmt verbs of format and returns the verb letter used for
// each argument (1-based), following explicit indexes such as %[2]d.
func verbs(t *testing.T, key, format string) map[int]rune {
	t.Helper()
	out := map[int]rune{}
	next := 1
	rs := []rune(format)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '%' {
			continue
		}
		i++
		if i < len(rs) && rs[i] == '%' {
			continue
		}
		for i < len(rs) && strings.ContainsRune("+-# 0", rs[i]) {
			i++
		}
		if i < len(rs) && rs[i] == '[' {
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			n, err := strconv.Atoi(string(rs[i+1 : j]))
			if err != nil || j == len(rs) {
				t.Errorf("%s: bad argument index in %q", key, format)
				return out
			}
			next = n
			i = j + 1
		}
		for i < len(rs) && (unicode.IsDigit(rs[i]) || rs[i] == '.') {
			i++
		}
		if i >= len(rs) || !unicode.IsLetter(rs[i]) {
			t.Errorf("%s: incomplete verb in %q", key, format)
			return out
		}
		out[next] = rs[i]
		next++
	}
	return out
}

// kind groups verbs that take the same kind of argument.
func kind(v rune) string {
	switch v {
	case 'd':
		return "int"
	case 's', 'q', 'v':
		return "text"
	default:
		return string(v)
	}
}

// TestCatalogueComplete checks that every message has an English and a
// Japanese text that take the same arguments, and render without fmt errors.
func TestCatalogueComplete(t *testing.T) {
	keys := MessageKeys()
	if len(keys) < 50 {
		t.Fatalf("only %d messages", len(keys))
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !HasMessage(k) {
			t.Errorf("%s: listed but not found", k)
		}
		en, ja := MessageText(k)
		if strings.TrimSpace(en) == "" || strings.TrimSpace(ja) == "" {
			t.Errorf("%s: English %q, Japanese %q", k, en, ja)
			continue
		}
		if en == ja || !strings.ContainsFunc(ja, func(r rune) bool { return r > 0x3000 }) {
			t.Errorf("%s: the Japanese text %q is not Japanese", k, ja)
		}
		ve, vj := verbs(t, k, en), verbs(t, k, ja)
		if len(ve) != len(vj) {
			t.Errorf("%s: %d arguments in English, %d in Japanese", k, len(ve), len(vj))
			continue
		}
		args := make([]any, len(ve))
		for n := 1; n <= len(ve); n++ {
			e, ok1 := ve[n]
			j, ok2 := vj[n]
			if !ok1 || !ok2 {
				t.Errorf("%s: argument %d is not used in both languages (%q / %q)", k, n, en, ja)
				continue
			}
			if kind(e) != kind(j) {
				t.Errorf("%s: argument %d is %%%c in English, %%%c in Japanese", k, n, e, j)
			}
			if kind(e) == "int" {
				args[n-1] = 42
			} else {
				args[n-1] = "X"
			}
		}
		for _, lang := range []Lang{English, Japanese} {
			if s := M(k, args...).In(lang); strings.Contains(s, "%!") {
				t.Errorf("%s (%s) renders as %q", k, lang, s)
			}
		}
	}
	if got := M("no.such.key").String(); got != "no.such.key" {
		t.Errorf("an unknown key renders as %q", got)
	}
}

// messageFuncs are the functions that take a catalogue key, with the
// position of the key among their arguments.
var messageFuncs = map[string]int{
	"M": 0, "Errorf": 1, "FieldError": 1, "ConflictField": 1, "NotFound": 0, "Conflict": 0, "Forbidden": 0,
}

// TestMessageKeysUsedExist reads the Go source of the domain, the services
// and the stores and checks that every literal message key they pass is in
// the catalogue (a missing one would show the bare key to a person).
// The CSV formats register their own messages and are left to their tests.
// registeredKeys collects the message keys that packages add to the
// catalogue themselves (meibo.RegisterMessages with map[string][2]string
// literals), which this package's test binary does not run.
func registeredKeys(t *testing.T) map[string]bool {
	keys := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// Every map[string][2]string literal is a catalogue of messages
		// (passed to RegisterMessages, directly or through a variable).
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			mt, ok := lit.Type.(*ast.MapType)
			if !ok {
				return true
			}
			if k, ok := mt.Key.(*ast.Ident); !ok || k.Name != "string" {
				return true
			}
			if at, ok := mt.Value.(*ast.ArrayType); !ok || at.Len == nil {
				return true
			}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.BasicLit); ok && k.Kind == token.STRING {
						key, _ := strconv.Unquote(k.Value)
						keys[key] = true
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestMessageKeysUsedExist(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	registered := registeredKeys(t)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch path {
			case "csvio", "api", "cmd", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		base := filepath.Base(path)
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			(filepath.Dir(path) == "service" && (strings.HasPrefix(base, "import") || strings.HasPrefix(base, "export"))) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			pos := -1
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if filepath.Dir(path) == "." {
					name = fn.Name
				}
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "meibo" {
					name = fn.Sel.Name
				} else if fn.Sel.Name == "Add" && len(call.Args) >= 2 {
					pos = 1 // Validation.Add(field, key, ...)
				}
			}
			if p, ok := messageFuncs[name]; ok {
				pos = p
			}
			if pos < 0 || pos >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[pos].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			checked++
			if !HasMessage(key) && !registered[key] {
				t.Errorf("%s: message key %q is not in the catalogue", fset.Position(lit.Pos()), key)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 60 {
		t.Errorf("only %d message keys found in the source: is the scan still looking at the right files?", checked)
	}
}

func TestErrorHelpers(t *testing.T) {
	var v Validation
	if v.Err() != nil {
		t.Fatal("an empty validation is an error")
	}
	v.Add("name", "required")
	v.Add("name", "too_long", 3) // the first message per field wins
	err := v.Err()
	e := AsError(err)
	if e.Code != CodeInvalid || e.Msg.Key != "required" || e.Fields["name"].Key != "required" {
		t.Errorf("one field: %+v", e)
	}
	v.Add("email", "email.format")
	if e := AsError(v.Err()); e.Msg.Key != "invalid" || len(e.Fields) != 2 {
		t.Errorf("two fields: %+v", e)
	}
	if got := ErrorCode(errString("boom")); got != CodeInternal {
		t.Errorf("plain error code %q", got)
	}
	if e := AsError(errString("secret detail")); e.Code != CodeInternal || strings.Contains(e.Error(), "secret") {
		t.Errorf("internal error shows its cause: %v", e)
	}
	var w Validation
	if err := w.AddError("x", Conflict("group.exists", "G1")); ErrorCode(err) != CodeConflict {
		t.Errorf("AddError swallowed a conflict: %v", err)
	}
	if err := w.AddError("authorities", NewAuthorities(AuthImport).Validate()); err != nil {
		t.Fatal(err)
	}
	if _, ok := AsError(w.Err()).Fields["authorities.import"]; !ok {
		t.Errorf("nested field names: %v", w.Err())
	}
	if got := FieldError("name", "required").Error(); got != "This is required. name: This is required." {
		t.Errorf("Error() = %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
