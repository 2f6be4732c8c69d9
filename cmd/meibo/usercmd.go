package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// optBool is a boolean flag that may be left unset (--admin, --admin=false).
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	o.v = &b
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }

// optString is a string flag that may be left unset.
type optString struct{ v *string }

func (o *optString) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return *o.v
}

func (o *optString) Set(s string) error { o.v = &s; return nil }

// userFlags are the flags every user verb reads: the group.
func groupFlag(fs *flagSet) *string { return fs.String("group", "", "group ID (required)") }

// findUser reads the user NAME of group.
func (x *verbRun) findUser(group, name string) (*meibo.User, error) {
	if group == "" {
		return nil, usagef("--group is required")
	}
	return x.c.svc.UserByName(x.c.ctx, group, name)
}

func userRow(t *table, u *meibo.User) {
	t.add(u.Name, u.Email, u.ProfileName, u.Admin, u.APIAccess, u.Disabled, yesNo(u.HasPassword()))
}

func printUser(x *verbRun, u *meibo.User) error {
	if x.out.json {
		return printJSON(x.env.stdout, u)
	}
	t := &table{}
	t.add("name", u.Name)
	t.add("group", u.GroupID)
	t.add("e-mail", u.Email)
	t.add("profile", u.ProfileName)
	t.add("admin", u.Admin)
	t.add("API access", u.APIAccess)
	t.add("disabled", u.Disabled)
	t.add("password", yesNo(u.HasPassword()))
	t.add("created", u.CreatedAt.Local().Format(time.DateTime))
	if u.LastSignInAt != nil {
		t.add("last sign-in", u.LastSignInAt.Local().Format(time.DateTime))
	}
	return t.writeBare(x.env.stdout)
}

// password reads --password, --password-file and --password-hash: at most
// one of them.
type passwordFlags struct{ value, file, hash *string }

func newPasswordFlags(fs *flagSet, what string) passwordFlags {
	return passwordFlags{
		value: fs.String("password", "", what),
		file:  fs.String("password-file", "", "file holding the password"),
		hash:  fs.String("password-hash", "", "a hash made by another system (bcrypt, argon2, scrypt, PBKDF2, SHA-crypt), replaced at the first sign-in"),
	}
}

func (p passwordFlags) read() (pw, hash string, err error) {
	pw, err = secret(*p.value, *p.file)
	if err != nil {
		return "", "", err
	}
	if pw != "" && *p.hash != "" {
		return "", "", usagef("--password and --password-hash exclude each other")
	}
	return pw, *p.hash, nil
}

var userNoun = &noun{name: "user", verbs: []verb{
	{name: "add", args: "--group ID NAME [--email E] [--password P | --password-file F | --password-hash H] [--profile P] [--admin] [--api-access] [--disabled] [--send-invitation | --no-invite] [--json]",
		summary: "add a user to a group", hashes: true, mail: true, setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			email := fs.String("email", "", "e-mail address")
			pw := newPasswordFlags(fs, "password (blank: none, the user cannot sign in yet)")
			profile := fs.String("profile", "", "profile name (default: the group's default profile)")
			admin := fs.Bool("admin", false, "may see and control every device of the group in the portal")
			apiAccess := fs.Bool("api-access", false, "may create personal API tokens")
			disabled := fs.Bool("disabled", false, "cannot sign in (still counts for the licence)")
			invite := fs.Bool("send-invitation", false, "mail the user a link to choose a password (needs --email and --public-url); the default for an address without a password where the public URL is set")
			noInvite := fs.Bool("no-invite", false, "send no invitation, even to an address without a password")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(x *verbRun) error {
				if *group == "" || len(x.pos) != 1 {
					return usagef("user add needs --group and one NAME")
				}
				if *invite && *noInvite {
					return usagef("choose --send-invitation or --no-invite, not both")
				}
				p, h, err := pw.read()
				if err != nil {
					return err
				}
				// Invited by default (an address, no password, a public
				// URL to build the link from), unless --no-invite.
				if !*invite && !*noInvite && h == "" {
					*invite = x.c.svc.ShouldInvite(nil, *email, p)
				}
				u, err := x.c.svc.CreateUser(x.c.ctx, *group, service.UserInput{Name: x.pos[0], Email: *email, Password: p, PasswordHash: h,
					Profile: *profile, Admin: *admin, APIAccess: *apiAccess, Disabled: *disabled, SendInvitation: *invite})
				if err != nil {
					return err
				}
				if *asJSON {
					return printJSON(x.env.stdout, u)
				}
				fmt.Fprintf(x.env.stdout, "added user %s to group %s (profile %q)\n", u.Name, u.GroupID, u.ProfileName)
				if *invite {
					fmt.Fprintf(x.env.stdout, "an invitation to %s is in the outbox (meibo mail list)\n", u.Email)
				}
				return nil
			}
		}},
	{name: "list", args: "--group ID [--q KEYWORD] [--disabled | --enabled] [--weak-hashes] [--limit N] [--after NAME] [--json | --csv]",
		summary: "list the users of a group", list: true, setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			q := fs.String("q", "", "keyword: name, e-mail or profile name")
			disabled := fs.Bool("disabled", false, "only disabled users")
			enabled := fs.Bool("enabled", false, "only enabled users")
			weak := fs.Bool("weak-hashes", false, "only users whose password hash is of a weak legacy format")
			limit := fs.Int("limit", 50, "users per page (at most 500)")
			after := fs.String("after", "", "list users after this name")
			return func(x *verbRun) error {
				if *group == "" {
					return usagef("--group is required")
				}
				f := meibo.UserFilter{GroupID: *group, Keyword: *q, Limit: *limit, After: *after, WeakHash: *weak}
				switch {
				case *disabled && *enabled:
					return usagef("--disabled and --enabled exclude each other")
				case *disabled:
					f.Disabled = ptrTo(true)
				case *enabled:
					f.Disabled = ptrTo(false)
				}
				pg, err := x.c.svc.FindUsers(x.c.ctx, f)
				if err != nil {
					return err
				}
				t := newTable("NAME", "EMAIL", "PROFILE", "ADMIN", "API", "DISABLED", "PASSWORD")
				for _, u := range pg.Users {
					userRow(t, u)
				}
				if err := x.emit(t, pg); err != nil {
					return err
				}
				if n := len(pg.Users); n > 0 {
					x.more(pg.HasNext, pg.Users[n-1].Name)
				}
				return nil
			}
		}},
	{name: "show", args: "--group ID NAME [--json]", summary: "show a user", setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *verbRun) error {
			if err := x.need(1, "one NAME"); err != nil {
				return err
			}
			u, err := x.findUser(*group, x.pos[0])
			if err != nil {
				return err
			}
			x.out.json = *asJSON
			return printUser(x, u)
		}
	}},
	{name: "edit", args: "--group ID NAME [--email E] [--password P | --password-file F | --password-hash H] [--profile P] [--admin[=false]] [--api-access[=false]] [--disabled[=false]]",
		summary: "change a user (only the flags given)", hashes: true, setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			var email, profile optString
			fs.Var(&email, "email", "e-mail address (\"\" removes it)")
			fs.Var(&profile, "profile", "profile name (\"\": the default profile)")
			pw := newPasswordFlags(fs, "new password")
			var admin, api, disabled optBool
			fs.Var(&admin, "admin", "may see and control every device of the group in the portal")
			fs.Var(&api, "api-access", "may create personal API tokens")
			fs.Var(&disabled, "disabled", "cannot sign in")
			return func(x *verbRun) error {
				if err := x.need(1, "one NAME"); err != nil {
					return err
				}
				u, err := x.findUser(*group, x.pos[0])
				if err != nil {
					return err
				}
				p, h, err := pw.read()
				if err != nil {
					return err
				}
				up := meibo.UserUpdate{Email: email.v, Profile: profile.v, Admin: admin.v, APIAccess: api.v, Disabled: disabled.v}
				if p != "" {
					up.Password = &p
				}
				if h != "" {
					up.PasswordHash = &h
				}
				u, err = x.c.svc.UpdateUser(x.c.ctx, u.ID, up)
				if err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "changed user %s of group %s\n", u.Name, u.GroupID)
				return nil
			}
		}},
	{name: "delete", args: "--group ID NAME", summary: "delete a user", setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		return func(x *verbRun) error {
			if err := x.need(1, "one NAME"); err != nil {
				return err
			}
			u, err := x.findUser(*group, x.pos[0])
			if err != nil {
				return err
			}
			if err := x.c.svc.DeleteUser(x.c.ctx, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "deleted user %s of group %s\n", u.Name, u.GroupID)
			return nil
		}
	}},
	{name: "duplicate", args: "--group ID SOURCE NAME [--email E] [--password P | --password-file F]",
		summary: "add a user with the profile and flags of another", hashes: true, setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			email := fs.String("email", "", "e-mail address of the new user")
			password := fs.String("password", "", "password of the new user")
			file := fs.String("password-file", "", "file holding the password")
			return func(x *verbRun) error {
				if err := x.need(2, "SOURCE and the new NAME"); err != nil {
					return err
				}
				src, err := x.findUser(*group, x.pos[0])
				if err != nil {
					return err
				}
				pw, err := secret(*password, *file)
				if err != nil {
					return err
				}
				u, err := x.c.svc.DuplicateUser(x.c.ctx, src.ID, service.UserInput{Name: x.pos[1], Email: *email, Password: pw})
				if err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "added user %s to group %s as a copy of %s (profile %q)\n", u.Name, u.GroupID, src.Name, u.ProfileName)
				return nil
			}
		}},
	enableVerb("disable", true),
	enableVerb("enable", false),
	{name: "invite", args: "--group ID NAME", summary: "mail a user a new invitation (revokes older links)", mail: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			return func(x *verbRun) error {
				if err := x.need(1, "one NAME"); err != nil {
					return err
				}
				u, err := x.findUser(*group, x.pos[0])
				if err != nil {
					return err
				}
				if err := x.c.svc.ResendInvitation(x.c.ctx, u.ID); err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "an invitation to %s is in the outbox (meibo mail list)\n", u.Email)
				return nil
			}
		}},
	{name: "reset-link", args: "--group ID NAME [--kind reset|invitation] --public-url URL",
		summary: "make a password link to hand over yourself (only without an SMTP server)", mail: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			kind := fs.String("kind", meibo.MailReset, "reset or invitation")
			return func(x *verbRun) error {
				if err := x.need(1, "one NAME"); err != nil {
					return err
				}
				if *kind != meibo.MailReset && *kind != meibo.MailInvitation {
					return usagef("--kind must be reset or invitation")
				}
				u, err := x.findUser(*group, x.pos[0])
				if err != nil {
					return err
				}
				l, err := x.c.svc.IssuePasswordLink(x.c.ctx, u.ID, *kind)
				if err != nil {
					return err
				}
				fmt.Fprintln(x.env.stdout, l.Link)
				fmt.Fprintf(x.env.stderr, "valid until %s, once\n", l.ExpiresAt.Local().Format(time.DateTime))
				return nil
			}
		}},
}}

// enableVerb disables or enables a user.
func enableVerb(name string, disabled bool) verb {
	return verb{name: name, args: "--group ID NAME", summary: name + " a user", setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		return func(x *verbRun) error {
			if err := x.need(1, "one NAME"); err != nil {
				return err
			}
			u, err := x.findUser(*group, x.pos[0])
			if err != nil {
				return err
			}
			if _, err := x.c.svc.UpdateUser(x.c.ctx, u.ID, meibo.UserUpdate{Disabled: &disabled}); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "%sd user %s of group %s\n", name, u.Name, u.GroupID)
			return nil
		}
	}}
}

func ptrTo[T any](v T) *T { return &v }

func yesNo(b bool) string {
	if b {
		return "set"
	}
	return "none"
}
