package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/meibo/meibo/argon2id"
)

// noun is a command made of verbs, as the console's pages are: meibo user
// add, meibo user list… Each verb has its own flags, so that its --help lists
// only what it reads.
type noun struct {
	name  string
	verbs []verb
}

// verb is one action of a noun.
type verb struct {
	name    string
	args    string // what follows "meibo NOUN VERB" in its usage
	summary string
	hashes  bool // hashes passwords: takes the argon2 flags
	mail    bool // queues or sends mail: takes the mail flags
	list    bool // lists: takes --json and --csv
	// setup declares the verb's own flags and returns what runs it.
	setup func(fs *flagSet) func(x *verbRun) error
}

// verbRun is what a verb runs with: the service, its positional arguments
// and, for a list, how to print it.
type verbRun struct {
	env *cliEnv
	c   *cliService
	pos []string
	out output
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" || s == "help" }

// usage prints the noun's verbs.
func (n *noun) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: meibo %s VERB [flags] [args]\n\n", n.name)
	t := &table{}
	for _, v := range n.verbs {
		t.add("  "+v.name, v.summary)
	}
	t.writeBare(w)
	fmt.Fprintf(w, "\nRun meibo %s VERB --help for a verb's flags.\n", n.name)
}

func (n *noun) names() []string {
	out := make([]string, len(n.verbs))
	for i, v := range n.verbs {
		out[i] = v.name
	}
	return out
}

// run dispatches a command line to the noun's verb.
func (n *noun) run(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		n.usage(env.stderr)
		return &exitError{code: exitUsage}
	}
	if isHelp(args[0]) {
		n.usage(env.stdout)
		return nil
	}
	var v *verb
	for i := range n.verbs {
		if n.verbs[i].name == args[0] {
			v = &n.verbs[i]
		}
	}
	if v == nil {
		return usagef("unknown %s command %q%s", n.name, args[0], suggest(args[0], n.names()))
	}
	fs := newFlags(env, n.name+" "+v.name, n.name+" "+v.name+" "+v.args)
	var dsn string
	dbFlag(fs, &dsn)
	params := argon2id.Default
	if v.hashes {
		argonFlags(fs, &params)
	}
	var mc mailConfig
	if v.mail {
		mailFlags(fs, &mc)
	}
	var out output
	if v.list {
		fs.BoolVar(&out.json, "json", false, "print JSON")
		fs.BoolVar(&out.csv, "csv", false, "print CSV (UTF-8, a header row)")
	}
	do := v.setup(fs)
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if out.json && out.csv {
		return usagef("--json and --csv exclude each other")
	}
	var confs []configurer
	if v.mail {
		confs = append(confs, &mc)
	}
	c, err := openCLI(ctx, dsn, params, "", 0, confs...)
	if err != nil {
		return err
	}
	defer c.Close()
	return do(&verbRun{env: env, c: c, pos: pos, out: out})
}

// need checks the number of positional arguments.
func (x *verbRun) need(n int, what string) error {
	if len(x.pos) != n {
		return usagef("needs %s", what)
	}
	return nil
}

// output is how a list prints: a table (default), JSON or CSV.
type output struct{ json, csv bool }

// emit prints a list: v as JSON, or t as CSV or as a table.
func (x *verbRun) emit(t *table, v any) error {
	switch {
	case x.out.json:
		return printJSON(x.env.stdout, v)
	case x.out.csv:
		w := csv.NewWriter(x.env.stdout)
		w.Write(t.head)
		w.WriteAll(t.rows)
		return w.Error()
	}
	return t.write(x.env.stdout)
}

// more tells how to see the next page of a list.
func (x *verbRun) more(hasNext bool, last string) {
	if hasNext && !x.out.json && !x.out.csv {
		fmt.Fprintf(x.env.stderr, "(more: --after %q)\n", last)
	}
}

// table lines up columns by display width: an East Asian wide character
// counts two, so Japanese names keep their columns straight.
type table struct {
	head []string
	rows [][]string
}

func newTable(head ...string) *table { return &table{head: head} }

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, row)
}

func (t *table) write(w io.Writer) error {
	return t.print(w, append([][]string{t.head}, t.rows...))
}

// writeBare writes the rows without the header.
func (t *table) writeBare(w io.Writer) error { return t.print(w, t.rows) }

func (t *table) print(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// page keeps the items after the key after (in their order) up to limit.
func page[T any](items []T, key func(T) string, after string, limit int) ([]T, bool) {
	start := 0
	if after != "" {
		start = len(items)
		for i, it := range items {
			if key(it) == after {
				start = i + 1
				break
			}
		}
	}
	items = items[start:]
	if limit > 0 && len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

// suggest names the nearest of names to s, when one is near enough.
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := distance(s, n)
		if strings.HasPrefix(n, s) && len(s) >= 2 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// globalFlags takes --db and --lang given before the command: they stand
// for MEIBO_DB and MEIBO_LANG, which every command's own flags fall back to.
func globalFlags(env *cliEnv, args []string) (*cliEnv, []string, error) {
	set := map[string]string{}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if name != "db" && name != "lang" {
			return env, nil, usagef("unknown global flag %s (only --db and --lang may come before the command)", args[0])
		}
		args = args[1:]
		if !hasValue {
			if len(args) == 0 {
				return env, nil, usagef("--%s needs a value", name)
			}
			value, args = args[0], args[1:]
		}
		if name == "lang" && value != "en" && value != "ja" {
			return env, nil, usagef("--lang must be en or ja, not %q", value)
		}
		set[envName(name)] = value
	}
	if len(set) == 0 {
		return env, args, nil
	}
	outer := env.getenv
	e := *env
	e.getenv = func(k string) (string, bool) {
		if v, ok := set[k]; ok {
			return v, true
		}
		return outer(k)
	}
	return &e, args, nil
}

// versionInfo is the module version, the commit and its time, from the
// build information (go build records them from the VCS).
func versionInfo() string {
	v, commit, at, modified := version, "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		v += " " + bi.GoVersion
	}
	var b strings.Builder
	fmt.Fprintf(&b, "meibo %s", v)
	if commit != "" {
		fmt.Fprintf(&b, "\ncommit %s", commit)
		if modified {
			b.WriteString(" (with uncommitted changes)")
		}
	}
	if at != "" {
		fmt.Fprintf(&b, "\nbuilt from the commit of %s", at)
	}
	return b.String()
}
