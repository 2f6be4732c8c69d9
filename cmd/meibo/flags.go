package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// flagSet is a flag.FlagSet whose flags fall back to MEIBO_* environment
// variables and may come before or after the positional arguments.
type flagSet struct {
	*flag.FlagSet
	env *cliEnv
}

func newFlags(env *cliEnv, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs, env: env}
	fs.Usage = func() {
		w := env.stdout
		fmt.Fprintf(w, "Usage: meibo %s\n\nFlags (a flag followed by a variable is also read from it):\n", usage)
		fs.VisitAll(func(fl *flag.Flag) {
			def := ""
			if fl.DefValue != "" && fl.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", fl.DefValue)
			}
			name := "--" + fl.Name
			if len(fl.Name) == 1 {
				name = "-" + fl.Name // -o, as it is written
			}
			if commandLineOnly[fl.Name] {
				fmt.Fprintf(w, "  %-22s %s%s\n", name, fl.Usage, def)
				return
			}
			fmt.Fprintf(w, "  %-22s %s%s [%s]\n", name, fl.Usage, def, envName(fl.Name))
		})
	}
	return f
}

// commandLineOnly are the flags no environment variable sets: what a
// command writes into a user, an administrator, a group or a profile (a
// password, an address, a name, authorities, "admin"), a device command's
// message, restore's --replace, and the file a backup or an export writes
// (-o) or a backup checks (--verify). A variable left in a shell must never
// change every user edited after it (MEIBO_PASSWORD), nor turn every nightly
// backup into a check of an old file (MEIBO_VERIFY) or a write over another
// file (MEIBO_O); and one variable must not stand for two flags of
// different meanings (MEIBO_ADMIN was both "user add --admin" and "token
// create --admin ID").
var commandLineOnly = map[string]bool{
	"name": true, "email": true, "password": true, "password-file": true, "password-hash": true,
	"admin": true, "api-access": true, "disabled": true, "enabled": true, "profile": true,
	"notes": true, "authorities": true, "groups": true, "actions": true,
	"message": true, "replace": true, "o": true, "verify": true,
}

func envName(flagName string) string {
	return "MEIBO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// plainFlagName is what a flag's name looks like; anything else given as a
// flag is more likely a value that begins with "-".
var plainFlagName = regexp.MustCompile(`^[a-z][a-z0-9-]*(=.*)?$`)

// parse reads flags anywhere among args and returns the positional ones.
// Flags not given take their MEIBO_* environment value when it is set.
func (f *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // the flag package printed the usage
			}
			if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
				switch bare := strings.TrimLeft(name, "-"); {
				case bare == "lang" && f.Lookup("lang") == nil:
					return nil, usagef("%v (--lang goes before the command: meibo --lang ja group list)", err)
				case !plainFlagName.MatchString(bare):
					// A value that begins with "-" (a name such as
					// -マイナス) reads as a flag: say how to give it.
					return nil, usagef("%v (a value that begins with \"-\" goes after \"--\": meibo … -- -value)", err)
				}
			}
			return nil, usagef("%v", err)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if set[fl.Name] || err != nil || commandLineOnly[fl.Name] {
			return
		}
		if v, ok := f.env.getenv(envName(fl.Name)); ok {
			if e := f.Set(fl.Name, v); e != nil {
				err = usagef("%s=%q: %v", envName(fl.Name), v, e)
			}
		}
	})
	return pos, err
}

// secret returns a secret given directly or, with the -file flag, read from a
// file (trailing line breaks removed).
func secret(value, file string) (string, error) {
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
