// Command meibo is the whole of meibo in one binary: the server, the command
// line for administrators and scripts, and a device simulator. This package
// only wires the others together; every flag has a MEIBO_* environment
// fallback (--db → MEIBO_DB).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"github.com/meibo/meibo"
)

// Exit codes: 0 success, 1 failure (for import: the file was refused),
// 2 usage error.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a mistake in the command line; it exits with 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit code chosen by a command.
type exitError struct {
	code int
	err  error
	lang meibo.Lang // of err's message, when the command has its own --lang
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a command may use of the process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
}

// lang is the language of the service's messages: --lang before the
// command, or MEIBO_LANG (English unless either says ja).
func (e *cliEnv) lang() meibo.Lang {
	if v, _ := e.getenv("MEIBO_LANG"); strings.EqualFold(strings.TrimSpace(v), "ja") {
		return meibo.Japanese
	}
	return meibo.English
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the server (JSON API, console, portal, import worker)", runServe},
		{"migrate", "apply pending database migrations", runMigrate},
		{"group", "groups: list, create, rename, delete", groupNoun.run},
		{"profile", "profiles of a group: list, create, edit, delete", profileNoun.run},
		{"user", "users: add, list, show, edit, delete, duplicate, disable, enable, invite, reset-link", userNoun.run},
		{"admin", "administrators: list, show, create, edit, delete", adminNoun.run},
		{"token", "API tokens: create, list, revoke", tokenNoun.run},
		{"scim", "scim token create --group ID [--name N] [--ttl D]", runSCIM},
		{"settings", "settings: list, set", settingsNoun.run},
		{"device", "devices: list, show, command, revoke", deviceNoun.run},
		{"enrolment-token", "device enrolment tokens: create, list, delete", enrolmentNoun.run},
		{"audit", "the audit log: list, export", auditNoun.run},
		{"licence", "the licence count and limit", runLicence},
		{"import", "import --format personal|users|admins|devices [--group ID] [...] FILE", runImport},
		{"export", "export --format users|admins|devices [--group ID] [--encoding utf-8|cp932] [--bom] [-o FILE]", runExport},
		{"imports", "import jobs: list, show, errors, file", importsNoun.run},
		{"mail", "the outbox: list, show, test", mailNoun.run},
		{"backup", "backup [--db DSN] -o FILE | backup --verify FILE", runBackup},
		{"restore", "restore [--db DSN] [--replace] FILE: into an empty database", runRestore},
		{"agent", "agent --server URL --token T [--count N]: simulate devices", runAgent},
		{"version", "print the version", runVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, env *cliEnv, args []string) int {
	env, args, err := globalFlags(env, args)
	if err != nil {
		return report(env, "", err)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(withCommandLog(ctx, env.stderr), env, args[1:])
			return report(env, c.name, err)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	fmt.Fprintf(env.stderr, "meibo: unknown command %q%s\n\n", args[0], suggest(args[0], names))
	printUsage(env.stderr)
	return exitUsage
}

func report(env *cliEnv, name string, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue) && name == "":
		fmt.Fprintf(env.stderr, "meibo: %s\n(see meibo --help)\n", ue.msg)
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "meibo %s: %s\n(see meibo %s --help)\n", name, ue.msg, name)
		return exitUsage
	case errors.As(err, &ee):
		if ee.err != nil {
			lang := env.lang()
			if ee.lang != "" {
				lang = ee.lang
			}
			fmt.Fprintf(env.stderr, "meibo %s: %s\n", name, message(ee.err, lang))
		}
		return ee.code
	default:
		fmt.Fprintf(env.stderr, "meibo %s: %s\n", name, message(err, env.lang()))
		return exitFail
	}
}

// plainField is a field named as a person would read it ("name", "email"),
// not a setting's key (mfa_required) or a path (authorities.import).
var plainField = regexp.MustCompile(`^[a-z][a-zA-Z]*$`)

// message renders an error for a person in lang: a meibo error with its
// fields, or the error text.
func message(err error, lang meibo.Lang) string {
	var e *meibo.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if e.Code == meibo.CodeInternal {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Msg.In(lang))
	if len(e.Fields) == 1 {
		// One field, whose message is the error's: name the field when
		// the message does not ("At most 64 characters." says of what).
		for f, m := range e.Fields {
			if m.Key == e.Msg.Key && plainField.MatchString(f) && !strings.Contains(strings.ToLower(e.Msg.In(meibo.English)), strings.ToLower(f)) {
				fmt.Fprintf(&b, " (%s)", f)
			}
		}
	}
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if m := e.Fields[f]; len(e.Fields) > 1 || m.Key != e.Msg.Key {
			fmt.Fprintf(&b, "\n  %s: %s", f, m.In(lang))
		}
	}
	return b.String()
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "meibo — a user directory for device and app platforms")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: meibo COMMAND [flags] [args]")
	fmt.Fprintln(w)
	t := &table{}
	for _, c := range commands {
		t.add("  "+c.name, c.summary)
	}
	t.writeBare(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "--db and --lang may also come before the command: meibo --db meibo.db user list --group G1.")
	fmt.Fprintln(w, "Flags can also be set in the environment: --db is MEIBO_DB, --admin-password is MEIBO_ADMIN_PASSWORD;")
	fmt.Fprintln(w, "what a command writes (--password, --email, --name, --admin, …) --replace, -o and --verify come from the command line alone.")
	fmt.Fprintln(w, "Run meibo COMMAND --help for a command's flags.")
}

func runVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "version", "version")
	if pos, err := fs.parse(args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(env.stdout, versionInfo())
	return nil
}

// cliActor is who the command line acts as in the audit trail: the system,
// named after the operating-system user.
func cliActor() *meibo.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = "cli:" + u.Username
	}
	return meibo.System(name)
}
